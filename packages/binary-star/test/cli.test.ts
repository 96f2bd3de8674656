import { killAllChildren, spawnNode } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStarClient } from "../src/index.js";
import { FakePeer, cleanup, closeAll, endpoints } from "./helpers.js";
import { CLI, stateLines } from "./processes.js";

afterEach(async () => {
  await closeAll();
  await killAllChildren();
});

describe("binary-star-server CLI", () => {
  it("prints usage with --help and exits 0", async () => {
    const child = spawnNode(CLI, ["--help"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const out = child.lines.join("\n");
    expect(out).toMatch(/^Usage: binary-star-server \(--primary \| --backup\)/);
    for (const flag of ["--primary", "--backup", "--frontend", "--local", "--remote", "--heartbeat", "--help"]) expect(out).toContain(flag);
  });

  it.each([[[]], [["--primary", "--backup"]], [["--primary", "--heartbeat", "0"]], [["--primary", "--bogus"]], [["--primary", "extra"]]])(
    "exits 2 on bad usage: %j",
    async (args) => {
      const child = spawnNode(CLI, args);
      expect((await child.exited).code).toBe(2);
      expect(child.stderr).toContain("Usage:");
    },
  );

  it("runs an echo server that serves once it is active, and stops cleanly on SIGTERM", async () => {
    const [frontend, local, remote] = await endpoints(3);
    const child = spawnNode(CLI, ["-p", "--frontend", frontend!, "--local", local!, "--remote", remote!, "--heartbeat", "50"]);
    const started = await child.waitForLine(/^started /);
    expect(started).toMatch(new RegExp(`^started role=primary state=PRIMARY frontend=${frontend} local=${local} remote=${remote} heartbeat=50 pid=\\d+ at=[\\d.]+$`));
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
  });

  it("exits 1 on a fatal error (dual actives)", async () => {
    const [frontend, local, remote] = await endpoints(3);
    const child = spawnNode(CLI, ["-p", "--frontend", frontend!, "--local", local!, "--remote", remote!, "--heartbeat", "50"]);
    await child.waitForLine(/^started /);
    const peer = await FakePeer.create(remote!, local!);
    peer.say("BACKUP");
    await child.waitForLine(/^state from=PRIMARY to=ACTIVE event=PEER_BACKUP/);
    await child.waitForLine(/^peer state=BACKUP/);
    peer.say("ACTIVE");
    await child.waitForLine(/^fatal reason=dual-active at=/);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(child.stderr).toContain("dual actives");
  });

  it("fails with status 1 when it cannot bind", async () => {
    const [local, remote] = await endpoints(2);
    const a = spawnNode(CLI, ["-b", "--frontend", "tcp://127.0.0.1:*", "--local", local!, "--remote", remote!]);
    await a.waitForLine(/^started /);
    const b = spawnNode(CLI, ["-p", "--frontend", "tcp://127.0.0.1:*", "--local", local!, "--remote", remote!]);
    expect((await b.exited).code).toBe(1);
    expect(b.stderr).toMatch(/cannot start/);
  });
});
