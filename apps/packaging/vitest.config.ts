import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "packaging",
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // After every other project: npm install and tsc would otherwise load the cores under the
    // fault tests' tens-of-ms heartbeats.
    sequence: { groupOrder: 1 },
  },
});
