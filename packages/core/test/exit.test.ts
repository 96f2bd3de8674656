import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { spawnNode } from "../src/testing/index.js";

const fixture = fileURLToPath(new URL("./fixtures/open-close.mjs", import.meta.url));

describe("process exit", () => {
  it("a process that opened and closed sockets through core exits by itself within 500 ms", async () => {
    const child = spawnNode(fixture);
    const line = await child.waitForLine(/^closed /);
    const closedAt = Number(line.split(" ")[2]);
    const exit = await child.exited;
    const exitedAt = performance.timeOrigin + performance.now();
    expect(line).toContain("closed ping");
    expect(exit).toEqual({ code: 0, signal: null });
    const lag = exitedAt - closedAt;
    console.log(`exit lag after close: ${lag.toFixed(1)} ms`);
    expect(lag).toBeLessThan(500);
  });
});
