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

const tcp = async () => `tcp://127.0.0.1:${await reservePort()}`;

describe("ha-majordomo-broker", () => {
  it("--help lists every flag, --verbose included, and exits 0", async () => {
    const child = spawnNode(CLI, ["--help"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const out = child.lines.join("\n");
    expect(out).toMatch(/^Usage: ha-majordomo-broker \(--primary \| --backup\)/);
    for (const flag of ["    --primary", "    --backup", "--frontend", "--local", "--remote", "--heartbeat", "--mdp-heartbeat", "--liveness", "-v, --verbose", "-h, --help"]) {
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
          `heartbeat=50 mdp-heartbeat=2500 liveness=3 curve=off pid=${child.pid} at=[\\d.]+$`,
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
