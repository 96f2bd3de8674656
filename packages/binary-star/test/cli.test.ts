import { type ChildHandle, killAllChildren, reservePort, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStarClient } from "../src/index.js";
import { FakePeer, cleanup, closeAll, endpoints } from "./helpers.js";
import { CLI, stateLines } from "./processes.js";

const NAME = "binary-star-server";

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
    expect(started).toMatch(new RegExp(`^started role=primary state=PRIMARY frontend=${frontend} local=${local} remote=${remote} heartbeat=50 curve=off pid=\\d+ at=[\\d.]+$`));
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
    expect(started).toMatch(new RegExp(`^started role=backup state=BACKUP frontend=tcp://0\\.0\\.0\\.0:${f} local=tcp://0\\.0\\.0\\.0:${l} remote=${remote} heartbeat=1000 curve=off pid=${child.pid} at=`));
    await child.kill("SIGINT");
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
