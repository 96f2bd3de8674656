import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "ha-majordomo",
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 20_000,
  },
});
