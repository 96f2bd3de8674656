import { fileURLToPath } from "node:url";
import { killAllChildren, reservePort, spawnNode } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ParanoidPirateWorker } from "../src/index.js";
import { closeAll, lazyRequest, track } from "./helpers.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

afterEach(async () => {
  await killAllChildren();
  await closeAll();
});

describe("paranoid-pirate-queue (bin)", () => {
  it("--help prints usage and exits 0", async () => {
    const child = spawnNode(CLI, ["--help"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const out = child.lines.join("\n");
    for (const flag of ["--frontend", "--backend", "--heartbeat", "--liveness", "--verbose", "--help"]) expect(out).toContain(flag);
  });

  it.each([
    [["--bogus"], /bogus/],
    [["--heartbeat", "soon"], /--heartbeat/],
    [["--liveness", "2.5"], /--liveness/],
  ])("rejects bad arguments %j with status 2", async (args, message) => {
    const child = spawnNode(CLI, args);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toMatch(message);
    expect(child.stderr).toContain("Usage:");
  });

  it.each(["SIGTERM", "SIGINT"] as const)("binds, serves, and closes cleanly on %s", async (signal) => {
    const frontend = `tcp://127.0.0.1:${await reservePort()}`;
    const backend = `tcp://127.0.0.1:${await reservePort()}`;
    const child = spawnNode(CLI, ["--frontend", frontend, "--backend", backend, "--heartbeat", "50", "--liveness", "3", "--verbose"]);
    const line = await child.waitForLine(/^paranoid-pirate-queue ready /);
    expect(line).toBe(`paranoid-pirate-queue ready frontend=${frontend} backend=${backend}`);
    const worker = track(new ParanoidPirateWorker({ endpoint: backend, heartbeatInterval: 50, handler: (body) => ["cli", ...body] }));
    await worker.start();
    expect((await lazyRequest(frontend, ["a", "b"], { timeout: 5000 })).reply).toEqual(["cli", "a", "b"]);
    expect(child.stderr).toMatch(/INFO \[ppp-queue\] worker [0-9a-f]+ ready/);
    expect(child.stderr).toMatch(/DEBUG \[ppp-queue\] client →/); // --verbose traces messages
    child.process.kill(signal);
    await child.waitForLine(/^paranoid-pirate-queue closed$/);
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("exits 1 when it cannot bind", async () => {
    const port = await reservePort();
    const first = spawnNode(CLI, ["--frontend", `tcp://127.0.0.1:${port}`, "--backend", "tcp://127.0.0.1:*"]);
    await first.waitForLine(/ready frontend=/);
    const second = spawnNode(CLI, ["--frontend", `tcp://127.0.0.1:${port}`, "--backend", "tcp://127.0.0.1:*"]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.stderr).toMatch(/cannot start/);
  });
});
