import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "docs",
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    // Blocks of different files run at once; a file's blocks run in order (code-blocks.test.ts).
    maxConcurrency: 50,
    hookTimeout: 20_000,
  },
});
