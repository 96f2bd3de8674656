/** The `majordomo-broker` bin (built dist/cli.js) as a process. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ephemeralEndpoint } from "@zmq-reliable/core";
import { killAllChildren, spawnNode } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { MajordomoClient, MajordomoWorker } from "../src/index.js";
import { show } from "./helpers.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const E = Buffer.alloc(0);
const closers: (() => unknown)[] = [];
afterEach(async () => {
  await killAllChildren();
  for (const c of closers.splice(0).reverse()) await c();
});

async function startCli(...args: string[]) {
  const child = spawnNode(CLI, args);
  const line = await child.waitForLine(/active at/);
  const endpoints = line.split("active at ")[1]!.split(" ");
  return { child, endpoints };
}

describe("majordomo-broker", () => {
  it("starts with a node shebang and is the package's bin", () => {
    expect(readFileSync(CLI, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin["majordomo-broker"]).toBe("./dist/cli.js");
  });

  it("--help prints usage and exits 0", async () => {
    const child = spawnNode(CLI, ["--help"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const out = child.lines.join("\n");
    for (const flag of ["--bind", "--heartbeat", "--liveness", "--request-expiry", "--verbose", "--help"]) expect(out).toContain(flag);
  });

  it.each([[["--bogus"]], [["--heartbeat", "fast"]], [["--liveness", "0"]], [["positional"]]])("rejects %j with exit code 2", async (args) => {
    const child = spawnNode(CLI, args);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toContain("Usage: majordomo-broker");
  });

  it("binds every --bind, serves on each, and logs every message with --verbose", async () => {
    const ipc = ephemeralEndpoint("ipc");
    const { child, endpoints } = await startCli("--bind", "tcp://127.0.0.1:*", "--bind", ipc, "--heartbeat", "50", "--verbose");
    expect(endpoints).toHaveLength(2);
    expect(endpoints[1]).toBe(ipc);
    const worker = new MajordomoWorker({ endpoint: endpoints[1]!, service: "echo", handler: (b) => b, heartbeatInterval: 50 });
    closers.push(() => worker.close());
    await worker.start();
    const client = new MajordomoClient({ endpoint: endpoints[0]!, timeout: 300, attempts: 10 });
    closers.push(() => client.close());
    expect((await client.request("echo", "via-cli")).map(String)).toEqual(["via-cli"]);
    expect(child.stderr).toMatch(/D: \[mdp-broker\] recv .*"MDPC01"/);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("on %s tells workers DISCONNECT and exits 0", async (signal) => {
    const { child, endpoints } = await startCli("--bind", "tcp://127.0.0.1:*", "--heartbeat", "50");
    const worker = new zmq.Dealer({ linger: 0 });
    closers.push(() => worker.close());
    worker.connect(endpoints[0]!);
    await worker.send([E, "MDPW01", Buffer.from([1]), "echo"]);
    worker.receiveTimeout = 5000;
    expect(show(await worker.receive())).toEqual(["", "MDPW01", "0x04"]); // registered: heartbeats come
    child.process.kill(signal);
    let m: string[];
    do m = show(await worker.receive());
    while (m[2] === "0x04");
    expect(m).toEqual(["", "MDPW01", "0x05"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("exits 1 when it cannot bind", async () => {
    const { endpoints } = await startCli("--bind", "tcp://127.0.0.1:*");
    const second = spawnNode(CLI, ["--bind", endpoints[0]!]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.stderr).toMatch(/cannot bind/);
  });
});
