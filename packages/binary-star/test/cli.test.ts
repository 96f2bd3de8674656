import { type ChildHandle, killAllChildren, reservePort, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStarClient } from "../src/index.js";
import { FakePeer, cleanup, closeAll, endpoints } from "./helpers.js";
import { CLI, stateLines } from "./processes.js";

const NAME = "binary-star-server";
/** The request-server limit flags (issue 11), in the order the start line prints them. */
const LIMIT_FLAGS = ["concurrency", "max-queued", "max-queued-bytes", "max-request-bytes", "handler-timeout", "max-abandoned", "receive-hwm", "send-hwm"];
/** Their defaults, as the start line prints them. */
const LIMIT_DEFAULTS = "concurrency=16 max-queued=1000 max-queued-bytes=33554432 max-request-bytes=1048576 handler-timeout=10000 max-abandoned=16 receive-hwm=100 send-hwm=16";

afterEach(async () => {
  await closeAll();
  await killAllChildren();
});

/** The bin's own stderr lines (`<name>: …`), as opposed to timestamped log lines; every stderr line is one or the other. */
function ownLines(child: ChildHandle): string[] {
  const lines = child.stderr.split("\n").filter((l) => l !== "");
  for (const line of lines) expect(line).toMatch(new RegExp(`^(${NAME}: |\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z (DEBUG|INFO|WARN|ERROR) )`));
  return lines.filter((l) => l.startsWith(`${NAME}: `));
}

describe("binary-star-server CLI", () => {
  it("prints usage with --help and exits 0", async () => {
    const child = spawnNode(CLI, ["--help"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const out = child.lines.join("\n");
    expect(out).toMatch(/^Usage: binary-star-server \(--primary \| --backup\)/);
    for (const flag of ["    --primary", "    --backup", "--frontend", "--local", "--remote", "--heartbeat", "-v, --verbose", "-h, --help"]) expect(out).toContain(flag);
    for (const flag of LIMIT_FLAGS) expect(out).toContain(`--${flag}`);
  });

  it.each([
    [[], "give exactly one of --primary or --backup"],
    [["--primary", "--backup"], "give exactly one of --primary or --backup"],
    [["--primary", "--heartbeat", "0"], "--heartbeat must be an integer between 1 and 2147483647, got 0"],
    [["--primary", "--bogus"], "unknown option --bogus"],
    [["--primary", "extra"], 'unexpected argument "extra"'],
    // Regression: parseArgs called this "ambiguous"; the message is the bounds one.
    [["--primary", "--heartbeat", "-5"], "--heartbeat must be an integer between 1 and 2147483647, got -5"],
    // Regression: a heartbeat past Node's longest timer was accepted.
    [["--primary", "--heartbeat", "99999999999"], "--heartbeat must be an integer between 1 and 2147483647, got 99999999999"],
    // Regression: -b meant --backup here and --bind in majordomo-broker; the roles are long flags only now.
    [["-b"], "unknown option -b"],
    [["-p"], "unknown option -p"],
    // Issue 11: every request-server limit is a flag, each bounded.
    [["--primary", "--concurrency", "0"], "--concurrency must be an integer between 1 and 1000, got 0"],
    [["--primary", "--max-queued", "-1"], "--max-queued must be an integer between 0 and 10000000, got -1"],
    [["--primary", "--max-queued-bytes", "x"], "--max-queued-bytes must be an integer between 0 and 1099511627776, got x"],
    [["--primary", "--max-request-bytes", "0"], "--max-request-bytes must be an integer between 1 and 1099511627776, got 0"],
    [["--primary", "--handler-timeout", "99999999999"], "--handler-timeout must be an integer between 0 and 2147483647, got 99999999999"],
    [["--primary", "--max-abandoned", "-2"], "--max-abandoned must be an integer between 0 and 10000000, got -2"],
    [["--primary", "--receive-hwm", "0"], "--receive-hwm must be an integer between 1 and 1000000, got 0"],
    [["--primary", "--send-hwm", "1000001"], "--send-hwm must be an integer between 1 and 1000000, got 1000001"],
  ])("exits 2 on bad usage with one stderr line: %j", async (args, message) => {
    const child = spawnNode(CLI, args);
    expect((await child.exited).code).toBe(2);
    expect(child.stderr).toBe(`${NAME}: ${message} (see ${NAME} --help)\n`);
    expect(child.lines).toEqual([]);
  });

  it("runs an echo server that serves once it is active, and stops cleanly on SIGTERM", async () => {
    const [frontend, local, remote] = await endpoints(3);
    const child = spawnNode(CLI, ["--primary", "--frontend", frontend!, "--local", local!, "--remote", remote!, "--heartbeat", "50"]);
    const started = await child.waitForLine(/^started /);
    expect(started).toMatch(new RegExp(`^started role=primary state=PRIMARY frontend=${frontend} local=${local} remote=${remote} heartbeat=50 ${LIMIT_DEFAULTS} curve=off pid=\\d+ at=[\\d.]+$`));
    // Alone, the primary waits two heartbeats, then a client vote makes it active.
    const client = new BinaryStarClient({ endpoint: [frontend!, remote!], heartbeatInterval: 50 });
    cleanup.push(() => client.close());
    expect((await client.request(["hello", "world"])).map(String)).toEqual(["hello", "world"]);
    // The reply can overtake the state line on the child's stdout pipe: wait for the line.
    await child.waitForLine(/^state /);
    expect(stateLines(child)).toEqual([expect.objectContaining({ from: "PRIMARY", to: "ACTIVE", event: "CLIENT_REQUEST" })]);
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines.at(-1)).toMatch(/^stopped at=/);
    expect(ownLines(child)).toEqual([]);
  });

  it("prints the endpoints as bound (regression: tcp://* was printed as 127.0.0.1) and the heartbeat in effect", async () => {
    const [f, l] = [await reservePort(), await reservePort()];
    const [remote] = await endpoints(1);
    const child = spawnNode(CLI, ["--backup", "--frontend", `tcp://*:${f}`, "--local", `tcp://*:${l}`, "--remote", remote!]);
    const started = await child.waitForLine(/^started /);
    expect(started).toMatch(new RegExp(`^started role=backup state=BACKUP frontend=tcp://0\\.0\\.0\\.0:${f} local=tcp://0\\.0\\.0\\.0:${l} remote=${remote} heartbeat=1000 ${LIMIT_DEFAULTS} curve=off pid=${child.pid} at=`));
    await child.kill("SIGINT");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("applies the limit flags: they are in the start line, and a request over --max-request-bytes is a too-large drop", async () => {
    const [frontend, local, remote] = await endpoints(3);
    const limits = ["--concurrency", "2", "--max-queued", "3", "--max-queued-bytes", "4000", "--max-request-bytes", "1000", "--handler-timeout", "500", "--max-abandoned", "1", "--receive-hwm", "5", "--send-hwm", "6"];
    const child = spawnNode(CLI, ["--primary", "--frontend", frontend!, "--local", local!, "--remote", remote!, "--heartbeat", "50", "--verbose", ...limits]);
    const started = await child.waitForLine(/^started /);
    expect(started).toContain(" heartbeat=50 concurrency=2 max-queued=3 max-queued-bytes=4000 max-request-bytes=1000 handler-timeout=500 max-abandoned=1 receive-hwm=5 send-hwm=6 curve=off pid=");
    const client = new BinaryStarClient({ endpoint: [frontend!, remote!], heartbeatInterval: 50 });
    cleanup.push(() => client.close());
    expect((await client.request("small")).map(String)).toEqual(["small"]);
    // every frame counts 256 bytes besides its payload: "small" (3 frames with its envelope) is under 1000, this is not
    const big = client.request("x".repeat(2000), { signal: AbortSignal.timeout(2000) }).catch(() => "refused");
    await child.waitForLine(/^drop reason=too-large state=ACTIVE /);
    expect(await big).toBe("refused");
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("does not exit when its peer says ACTIVE too (regression: dual actives were fatal)", async () => {
    const [frontend, local, remote] = await endpoints(3);
    // 250 ms, not 50: a node starved for two heartbeats (a loaded machine stalls a child process
    // that long) rightly thinks itself stale and steps down, which is not what this test is about
    const child = spawnNode(CLI, ["--primary", "--frontend", frontend!, "--local", local!, "--remote", remote!, "--heartbeat", "250"]);
    await child.waitForLine(/^started /);
    const peer = await FakePeer.create(remote!, local!);
    peer.say("BACKUP");
    await child.waitForLine(/^state from=PRIMARY to=ACTIVE event=PEER_BACKUP/);
    await child.waitForLine(/^peer state=BACKUP/);
    peer.say("ACTIVE");
    await child.waitForLine(/^peer state=ACTIVE/);
    const heard = peer.heard.length;
    await waitFor(() => peer.heard.length >= heard + 5, { timeout: 5000 }); // five more heartbeats
    expect(child.running).toBe(true);
    expect(child.lines.filter((l) => l.startsWith("fatal"))).toEqual([]);
    expect(peer.heardDigits.at(-1)).toBe("3");
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(ownLines(child)).toEqual([]);
  });

  it("exits 1 with one stderr line naming the endpoint when it cannot bind (EADDRINUSE)", async () => {
    const [local, remote] = await endpoints(2);
    const a = spawnNode(CLI, ["--backup", "--frontend", "tcp://127.0.0.1:*", "--local", local!, "--remote", remote!]);
    await a.waitForLine(/^started /);
    const b = spawnNode(CLI, ["--primary", "--frontend", "tcp://127.0.0.1:*", "--local", local!, "--remote", remote!]);
    expect((await b.exited).code).toBe(1);
    const [line, ...more] = ownLines(b);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^${NAME}: cannot start: .*${local!.replace(/\./g, "\\.")}.*(EADDRINUSE|in use)`));
  });

  it("exits 1 with one stderr line naming a bad endpoint", async () => {
    const [local] = await endpoints(1);
    const child = spawnNode(CLI, ["--primary", "--frontend", "bogus://nowhere", "--local", local!]);
    expect((await child.exited).code).toBe(1);
    const [line, ...more] = ownLines(child);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^${NAME}: cannot start: .*bogus://nowhere`));
  });
});
