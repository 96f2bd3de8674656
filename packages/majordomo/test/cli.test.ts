/** The `majordomo-broker` bin (built dist/cli.js) as a process. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ephemeralEndpoint } from "@zmq-reliable/core";
import { type ChildHandle, killAllChildren, reservePort, spawnNode, waitFor } from "@zmq-reliable/core/testing";
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

const NAME = "majordomo-broker";

async function startCli(...args: string[]) {
  const child = spawnNode(CLI, args);
  const line = await child.waitForLine(/^started /);
  const endpoints = /^started bind=(\S+) /.exec(line)![1]!.split(",");
  return { child, line, endpoints };
}

/** The bin's own stderr lines (`<name>: …`), as opposed to timestamped log lines; every stderr line is one or the other. */
function ownLines(child: ChildHandle): string[] {
  const lines = child.stderr.split("\n").filter((l) => l !== "");
  for (const line of lines) expect(line).toMatch(new RegExp(`^(${NAME}: |\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z (DEBUG|INFO|WARN|ERROR) )`));
  return lines.filter((l) => l.startsWith(`${NAME}: `));
}

describe("majordomo-broker", () => {
  it("starts with a node shebang and is the package's bin", () => {
    expect(readFileSync(CLI, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin["majordomo-broker"]).toBe("./bin/majordomo-broker.js");
    expect(readFileSync(new URL("../bin/majordomo-broker.js", import.meta.url), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n(.*\n)*import "\.\.\/dist\/cli\.js";\n$/);
  });

  it("--help prints usage and exits 0", async () => {
    const child = spawnNode(CLI, ["--help"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const out = child.lines.join("\n");
    expect(out).toMatch(/^Usage: majordomo-broker \[options\]/);
    for (const flag of ["-b, --bind", "--heartbeat", "--liveness", "--request-expiry", "--max-attempts", "--max-queued", "--max-queued-bytes", "--max-queued-per-service", "--max-queued-bytes-per-service", "--max-queued-per-client", "--max-request-bytes", "--max-services", "--send-hwm", "--receive-hwm", "-v, --verbose", "-h, --help"]) expect(out).toContain(flag);
  });

  it.each([
    [["--bogus"], "unknown option --bogus"],
    [["--heartbeat", "fast"], "--heartbeat must be an integer between 1 and 2147483647, got fast"],
    [["--liveness", "0"], "--liveness must be an integer between 1 and 1000, got 0"],
    [["positional"], 'unexpected argument "positional"'],
    // Regression: parseArgs called this "ambiguous"; the message is the bounds one.
    [["--heartbeat", "-5"], "--heartbeat must be an integer between 1 and 2147483647, got -5"],
    // Regression: a heartbeat past Node's longest timer was accepted.
    [["--heartbeat", "99999999999"], "--heartbeat must be an integer between 1 and 2147483647, got 99999999999"],
    [["--request-expiry", "-1"], "--request-expiry must be an integer between 0 and 2147483647, got -1"],
    [["--max-attempts", "1001"], "--max-attempts must be an integer between 1 and 1000, got 1001"],
    [["-b"], "--bind needs a value"],
    [["--max-queued", "-1"], "--max-queued must be an integer between 0 and 10000000, got -1"],
    [["--max-queued-bytes", "2000000000000"], "--max-queued-bytes must be an integer between 0 and 1099511627776, got 2000000000000"],
    [["--max-queued-per-client", "x"], "--max-queued-per-client must be an integer between 0 and 10000000, got x"],
    [["--send-hwm", "0"], "--send-hwm must be an integer between 1 and 1000000, got 0"],
    [["--receive-hwm", "0"], "--receive-hwm must be an integer between 1 and 1000000, got 0"],
  ])("rejects %j with exit code 2 and one stderr line", async (args, message) => {
    const child = spawnNode(CLI, args);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toBe(`${NAME}: ${message} (see ${NAME} --help)\n`);
    expect(child.lines).toEqual([]);
  });

  it("prints the endpoints as bound (regression: tcp://* was printed as 127.0.0.1) and every timing in effect; -b is --bind", async () => {
    const port = await reservePort();
    const { child, line } = await startCli("-b", `tcp://*:${port}`);
    expect(line).toMatch(new RegExp(`^started bind=tcp://0\\.0\\.0\\.0:${port} heartbeat=2500 liveness=3 request-expiry=7500 max-attempts=3 drain-timeout=5000 curve=off pid=${child.pid} at=[\\d.]+$`));
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines.at(-1)).toMatch(/^stopped at=[\d.]+$/);
    expect(ownLines(child)).toEqual([]);
  });

  it("applies the queue limit flags: --max-request-bytes and --max-services refusals are logged drops", async () => {
    // a request counts its body plus FRAME_OVERHEAD_BYTES (256) per frame: "ok" is 258, "toolong" 263
    const { child, endpoints } = await startCli("--bind", "tcp://127.0.0.1:*", "--max-request-bytes", "259", "--max-services", "1", "--receive-hwm", "10");
    const dealer = new zmq.Dealer({ linger: 0 });
    closers.push(() => dealer.close());
    dealer.connect(endpoints[0]!);
    await dealer.send([E, "MDPC01", "a", "toolong"]);
    await waitFor(() => child.stderr.includes('drop (too-large) 263 bytes service="a"'), { timeout: 5000 });
    await dealer.send([E, "MDPC01", "a", "ok"]); // queued: service "a" exists now
    await dealer.send([E, "MDPC01", "b", "ok"]);
    await waitFor(() => child.stderr.includes('drop (too-many-services) service="b"'), { timeout: 5000 });
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("--max-message-size: a peer that sends a bigger frame is disconnected before the broker reads it", async () => {
    const { child, endpoints } = await startCli("--bind", "tcp://127.0.0.1:*", "--heartbeat", "50", "--max-message-size", "1000");
    const worker = new MajordomoWorker({ endpoint: endpoints[0]!, service: "echo", handler: (b) => b, heartbeatInterval: 50 });
    closers.push(() => worker.close());
    await worker.start();
    const client = new MajordomoClient({ endpoint: endpoints[0]!, timeout: 300, attempts: 10 });
    closers.push(() => client.close());
    expect((await client.request("echo", "x".repeat(900))).map(String)).toEqual(["x".repeat(900)]);
    const big = new MajordomoClient({ endpoint: endpoints[0]!, timeout: 200, attempts: 2 });
    closers.push(() => big.close());
    await expect(big.request("echo", "x".repeat(1001))).rejects.toMatchObject({ code: "ERR_SERVICE_UNAVAILABLE" });
    expect(worker.stats()).toMatchObject({ requests: 1 }); // the big one never reached it
    expect((await client.request("echo", "still")).map(String)).toEqual(["still"]);
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
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
    // The reply can overtake the log line on the child's stderr pipe: wait for the line.
    await waitFor(() => / DEBUG \[mdp-broker\] recv .*"MDPC01"/.test(child.stderr), { timeout: 5000, message: child.stderr });
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

  it("exits 1 with one stderr line naming the endpoint when it cannot bind (EADDRINUSE)", async () => {
    const { endpoints } = await startCli("--bind", "tcp://127.0.0.1:*");
    const second = spawnNode(CLI, ["--bind", endpoints[0]!]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    const [line, ...more] = ownLines(second);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^${NAME}: cannot start: .*${endpoints[0]!.replace(/\./g, "\\.")}.*(EADDRINUSE|in use)`));
  });

  it("exits 1 with one stderr line naming a bad endpoint", async () => {
    const child = spawnNode(CLI, ["--bind", "tcp://127.0.0.1:*", "--bind", "bogus://nowhere"]);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    const [line, ...more] = ownLines(child);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^${NAME}: cannot start: .*bogus://nowhere`));
  });
});
