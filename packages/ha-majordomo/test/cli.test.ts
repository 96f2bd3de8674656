/** The `ha-majordomo-broker` bin (built dist/cli.js) as a process: flags, start line, exit statuses. */
import { fileURLToPath } from "node:url";
import { type ChildHandle, killAllChildren, reservePort, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const NAME = "ha-majordomo-broker";
const closers: (() => unknown)[] = [];

afterEach(async () => {
  await killAllChildren();
  for (const c of closers.splice(0).reverse()) await c();
});

/** The bin's own stderr lines (`<name>: …`), as opposed to timestamped log lines; every stderr line is one or the other. */
function ownLines(child: ChildHandle): string[] {
  const lines = child.stderr.split("\n").filter((l) => l !== "");
  for (const line of lines) expect(line).toMatch(new RegExp(`^(${NAME}: |\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z (DEBUG|INFO|WARN|ERROR) )`));
  return lines.filter((l) => l.startsWith(`${NAME}: `));
}

/** The majordomo-broker limit flags (issue 11), in the order the start line prints them, with their defaults. */
const LIMITS =
  "request-expiry=7500 max-attempts=3 max-queued=100000 max-queued-bytes=67108864 max-queued-per-service=10000 max-queued-bytes-per-service=33554432 " +
  "max-queued-per-client=1000 max-request-bytes=1048576 max-services=10000 send-hwm=1000 receive-hwm=1000 max-message-size=1048576";
const LIMIT_FLAGS = LIMITS.split(" ").map((kv) => `--${kv.split("=")[0]} <`);

const tcp = async () => `tcp://127.0.0.1:${await reservePort()}`;

describe("ha-majordomo-broker", () => {
  it("--help lists every flag, --verbose included, and exits 0", async () => {
    const child = spawnNode(CLI, ["--help"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const out = child.lines.join("\n");
    expect(out).toMatch(/^Usage: ha-majordomo-broker \(--primary \| --backup\)/);
    for (const flag of ["    --primary", "    --backup", "--frontend", "--local", "--remote", "--heartbeat", "--mdp-heartbeat", "--liveness", "-v, --verbose", "-h, --help", "--drain-timeout <", ...LIMIT_FLAGS]) {
      expect(out).toContain(flag);
    }
  });

  it.each([
    [[], "give exactly one of --primary or --backup"],
    [["--primary", "--bogus"], "unknown option --bogus"],
    // Regression: parseArgs called this "ambiguous"; the message is the bounds one.
    [["--primary", "--heartbeat", "-5"], "--heartbeat must be an integer between 1 and 2147483647, got -5"],
    // Regression: a heartbeat past Node's longest timer was accepted.
    [["--primary", "--heartbeat", "99999999999"], "--heartbeat must be an integer between 1 and 2147483647, got 99999999999"],
    [["--primary", "--mdp-heartbeat", "99999999999"], "--mdp-heartbeat must be an integer between 1 and 2147483647, got 99999999999"],
    [["--primary", "--liveness", "0"], "--liveness must be an integer between 1 and 1000, got 0"],
    // Regression: -b meant --backup here and --bind in majordomo-broker; the roles are long flags only now.
    [["-b"], "unknown option -b"],
    // Issue 11: every majordomo-broker limit flag, with the same bounds.
    [["--primary", "--request-expiry", "-1"], "--request-expiry must be an integer between 0 and 2147483647, got -1"],
    [["--primary", "--max-attempts", "0"], "--max-attempts must be an integer between 1 and 1000, got 0"],
    [["--primary", "--max-queued", "x"], "--max-queued must be an integer between 0 and 10000000, got x"],
    [["--primary", "--max-queued-bytes", "-1"], "--max-queued-bytes must be an integer between 0 and 1099511627776, got -1"],
    [["--primary", "--max-queued-per-service", "10000001"], "--max-queued-per-service must be an integer between 0 and 10000000, got 10000001"],
    [["--primary", "--max-queued-bytes-per-service", "1.5"], "--max-queued-bytes-per-service must be an integer between 0 and 1099511627776, got 1.5"],
    [["--primary", "--max-queued-per-client", "-3"], "--max-queued-per-client must be an integer between 0 and 10000000, got -3"],
    [["--primary", "--max-request-bytes", "2000000000000"], "--max-request-bytes must be an integer between 0 and 1099511627776, got 2000000000000"],
    [["--primary", "--max-services", "many"], "--max-services must be an integer between 0 and 10000000, got many"],
    [["--primary", "--send-hwm", "0"], "--send-hwm must be an integer between 1 and 1000000, got 0"],
    [["--primary", "--receive-hwm", "0"], "--receive-hwm must be an integer between 1 and 1000000, got 0"],
  ])("exits 2 on bad usage with one stderr line: %j", async (args, message) => {
    const child = spawnNode(CLI, args);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toBe(`${NAME}: ${message} (see ${NAME} --help)\n`);
    expect(child.lines).toEqual([]);
  });

  it("prints the endpoints as bound and every timing; --verbose logs messages; SIGTERM exits 0", async () => {
    const [front, local] = [await reservePort(), await reservePort()];
    const remote = await tcp();
    const child = spawnNode(CLI, ["--primary", "--frontend", `tcp://*:${front}`, "--local", `tcp://*:${local}`, "--remote", remote, "--heartbeat", "50", "--verbose"]);
    const started = await child.waitForLine(/^started /);
    // Regression: tcp://* was printed as 127.0.0.1.
    expect(started).toMatch(
      new RegExp(
        `^started role=primary state=PRIMARY frontend=tcp://0\\.0\\.0\\.0:${front} local=tcp://0\\.0\\.0\\.0:${local} remote=${remote} ` +
          `heartbeat=50 mdp-heartbeat=2500 liveness=3 ${LIMITS} drain-timeout=5000 curve=off pid=${child.pid} at=[\\d.]+$`,
      ),
    );
    // Regression: there was no --verbose; with it every message is logged at debug level.
    const worker = new zmq.Dealer({ linger: 0 });
    closers.push(() => worker.close());
    worker.connect(`tcp://127.0.0.1:${front}`);
    await worker.send(["", "MDPW01", Buffer.from([1]), "echo"]);
    await waitFor(() => / DEBUG \[mdp-broker\] recv .*"MDPW01"/.test(child.stderr), { timeout: 5000, message: child.stderr });
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines.at(-1)).toMatch(/^stopped at=[\d.]+$/);
    expect(ownLines(child)).toEqual([]);
  });

  it("applies the limit flags: they are in the start line, and --max-request-bytes / --max-services refusals are logged drops", async () => {
    const front = await tcp();
    const limits = ["--request-expiry", "100", "--max-attempts", "2", "--max-queued", "5", "--max-queued-bytes", "600", "--max-queued-per-service", "4", "--max-queued-bytes-per-service", "500"];
    // a request counts its body plus 256 bytes per frame: "ok" is 258, "toolong" 263
    const more = ["--max-queued-per-client", "3", "--max-request-bytes", "259", "--max-services", "1", "--send-hwm", "7", "--receive-hwm", "8", "--max-message-size", "65536", "--drain-timeout", "0"];
    const child = spawnNode(CLI, ["--primary", "--heartbeat", "50", "--frontend", front, "--local", await tcp(), "--remote", await tcp(), ...limits, ...more]);
    const started = await child.waitForLine(/^started /);
    expect(started).toContain(
      " liveness=3 request-expiry=100 max-attempts=2 max-queued=5 max-queued-bytes=600 max-queued-per-service=4 max-queued-bytes-per-service=500 " +
        "max-queued-per-client=3 max-request-bytes=259 max-services=1 send-hwm=7 receive-hwm=8 max-message-size=65536 drain-timeout=0 curve=off pid=",
    );
    const client = new zmq.Dealer({ linger: 0 });
    closers.push(() => client.close());
    client.connect(front);
    // The lone primary turns active on a client request once its peer has expired (two heartbeats); until then
    // requests are not admitted. Each request is a vote: send until the broker takes one and finds it too large.
    await waitFor(
      async () => {
        await client.send(["", "MDPC01", "a", "toolong"]);
        return child.stderr.includes('drop (too-large) 263 bytes service="a"');
      },
      { timeout: 5000, interval: 50, message: child.stderr },
    );
    await client.send(["", "MDPC01", "a", "ok"]); // queued: service "a" exists now
    await client.send(["", "MDPC01", "b", "ok"]);
    await waitFor(() => child.stderr.includes('drop (too-many-services) service="b"'), { timeout: 5000, message: child.stderr });
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("exits 1 with one stderr line naming the endpoint when it cannot bind (EADDRINUSE)", async () => {
    const [front, local, remote] = [await tcp(), await tcp(), await tcp()];
    const first = spawnNode(CLI, ["--backup", "--frontend", front, "--local", local, "--remote", remote]);
    await first.waitForLine(/^started /);
    const second = spawnNode(CLI, ["--primary", "--frontend", front, "--local", await tcp(), "--remote", remote]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    const [line, ...more] = ownLines(second);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^${NAME}: cannot start: .*${front.replace(/\./g, "\\.")}.*(EADDRINUSE|in use)`));
  });

  it("exits 1 with one stderr line naming a bad endpoint", async () => {
    const child = spawnNode(CLI, ["--primary", "--frontend", await tcp(), "--local", "bogus://nowhere", "--remote", await tcp()]);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    const [line, ...more] = ownLines(child);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^${NAME}: cannot start: .*bogus://nowhere`));
  });
});
