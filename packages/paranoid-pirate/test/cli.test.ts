import { fileURLToPath } from "node:url";
import { type ChildHandle, killAllChildren, reservePort, spawnNode } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ParanoidPirateWorker } from "../src/index.js";
import { closeAll, lazyRequest, track } from "./helpers.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const NAME = "paranoid-pirate-queue";

afterEach(async () => {
  await killAllChildren();
  await closeAll();
});

/** The bin's own stderr lines (`<name>: …`), as opposed to timestamped log lines; every stderr line is one or the other. */
function ownLines(child: ChildHandle): string[] {
  const lines = child.stderr.split("\n").filter((l) => l !== "");
  for (const line of lines) expect(line).toMatch(new RegExp(`^(${NAME}: |\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z (DEBUG|INFO|WARN|ERROR) )`));
  return lines.filter((l) => l.startsWith(`${NAME}: `));
}

describe("paranoid-pirate-queue (bin)", () => {
  it("--help prints usage and exits 0", async () => {
    const child = spawnNode(CLI, ["--help"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const out = child.lines.join("\n");
    expect(out).toMatch(/^Usage: paranoid-pirate-queue \[options\]/);
    for (const flag of ["--frontend", "--backend", "--heartbeat", "--liveness", "--request-expiry", "--max-queued", "--max-queued-bytes", "--max-queued-per-client", "--max-request-bytes", "--receive-hwm", "-v, --verbose", "-h, --help"]) expect(out).toContain(flag);
  });

  it.each([
    [["--bogus"], "unknown option --bogus"],
    [["--heartbeat", "soon"], "--heartbeat must be an integer between 1 and 2147483647, got soon"],
    [["--liveness", "2.5"], "--liveness must be an integer between 1 and 1000, got 2.5"],
    // Regression: parseArgs called this "ambiguous"; the message is the bounds one.
    [["--heartbeat", "-5"], "--heartbeat must be an integer between 1 and 2147483647, got -5"],
    // Regression: a heartbeat past Node's longest timer was accepted.
    [["--heartbeat", "99999999999"], "--heartbeat must be an integer between 1 and 2147483647, got 99999999999"],
    // Regression: -b meant --bind in one bin and --backup in two; here it means nothing.
    [["-b", "tcp://*:1"], "unknown option -b"],
    [["--request-expiry", "0"], "--request-expiry must be an integer between 1 and 2147483647, got 0"],
    [["--max-queued", "-1"], "--max-queued must be an integer between 0 and 10000000, got -1"],
    [["--max-request-bytes", "1e12"], "--max-request-bytes must be an integer between 1 and 68719476736, got 1e12"],
    [["--receive-hwm", "0"], "--receive-hwm must be an integer between 1 and 10000000, got 0"],
    [["extra"], 'unexpected argument "extra"'],
  ])("rejects bad arguments %j with status 2 and one stderr line", async (args, message) => {
    const child = spawnNode(CLI, args);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toBe(`${NAME}: ${message} (see ${NAME} --help)\n`);
    expect(child.lines).toEqual([]);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("binds, serves, and closes cleanly on %s", async (signal) => {
    const frontend = `tcp://127.0.0.1:${await reservePort()}`;
    const backend = `tcp://127.0.0.1:${await reservePort()}`;
    const child = spawnNode(CLI, ["--frontend", frontend, "--backend", backend, "--heartbeat", "50", "--liveness", "3", "--verbose"]);
    const line = await child.waitForLine(/^started /);
    expect(line).toMatch(new RegExp(`^started frontend=${frontend} backend=${backend} heartbeat=50 liveness=3 request-expiry=10000 max-queued=1000 max-queued-bytes=67108864 max-queued-per-client=100 max-request-bytes=1048576 receive-hwm=100 curve=off pid=${child.pid} at=[\\d.]+$`));
    const worker = track(new ParanoidPirateWorker({ endpoint: backend, heartbeatInterval: 50, handler: (body) => ["cli", ...body] }));
    await worker.start();
    expect((await lazyRequest(frontend, ["a", "b"], { timeout: 5000 })).reply).toEqual(["cli", "a", "b"]);
    expect(child.stderr).toMatch(/INFO \[ppp-queue\] worker [0-9a-f]+ ready/);
    expect(child.stderr).toMatch(/DEBUG \[ppp-queue\] client →/); // --verbose traces messages
    child.process.kill(signal);
    await child.waitForLine(/^stopped at=[\d.]+$/);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(ownLines(child)).toEqual([]);
  });

  it("prints the endpoints as bound (regression: tcp://* was printed as 127.0.0.1) and every timing in effect", async () => {
    const [f, b] = [await reservePort(), await reservePort()];
    const child = spawnNode(CLI, ["--frontend", `tcp://*:${f}`, "--backend", `tcp://*:${b}`]);
    const line = await child.waitForLine(/^started /);
    expect(line).toMatch(new RegExp(`^started frontend=tcp://0\\.0\\.0\\.0:${f} backend=tcp://0\\.0\\.0\\.0:${b} heartbeat=1000 liveness=3 request-expiry=10000 max-queued=1000 max-queued-bytes=67108864 max-queued-per-client=100 max-request-bytes=1048576 receive-hwm=100 curve=off pid=\\d+ at=`));
    expect(child.stderr).not.toMatch(/DEBUG/); // no --verbose
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("takes every limit as a flag and prints the limits in effect", async () => {
    const args = ["--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--request-expiry", "250", "--max-queued", "7", "--max-queued-bytes", "4096", "--max-queued-per-client", "3", "--max-request-bytes", "512", "--receive-hwm", "9"];
    const child = spawnNode(CLI, args);
    const line = await child.waitForLine(/^started /);
    expect(line).toMatch(/ liveness=3 request-expiry=250 max-queued=7 max-queued-bytes=4096 max-queued-per-client=3 max-request-bytes=512 receive-hwm=9 curve=off pid=/);
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("exits 1 with one stderr line naming the endpoint when it cannot bind (EADDRINUSE)", async () => {
    const port = await reservePort();
    const first = spawnNode(CLI, ["--frontend", `tcp://127.0.0.1:${port}`, "--backend", "tcp://127.0.0.1:*"]);
    await first.waitForLine(/^started frontend=/);
    const second = spawnNode(CLI, ["--frontend", `tcp://127.0.0.1:${port}`, "--backend", "tcp://127.0.0.1:*"]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    const [line, ...more] = ownLines(second);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^${NAME}: cannot start: .*tcp://127\\.0\\.0\\.1:${port}.*(EADDRINUSE|in use)`));
  });

  it("exits 1 with one stderr line naming a bad endpoint", async () => {
    const child = spawnNode(CLI, ["--frontend", "tcp://127.0.0.1:*", "--backend", "bogus://nowhere"]);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    const [line, ...more] = ownLines(child);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^${NAME}: cannot start: .*bogus://nowhere`));
  });
});
