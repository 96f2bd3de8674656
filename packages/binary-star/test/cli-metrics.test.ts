/** `binary-star-server --metrics`: /healthz carries the Binary Star state, /readyz is 503 until the node is ACTIVE (issue 13). */
import { killAllChildren, spawnNode } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStarClient } from "../src/index.js";
import { cleanup, closeAll, endpoints } from "./helpers.js";
import { CLI } from "./processes.js";

afterEach(async () => {
  await closeAll();
  await killAllChildren();
});

describe("binary-star-server --metrics", () => {
  it("reports the node's state in /healthz and serves /readyz only when ACTIVE", async () => {
    const [frontend, local, remote] = await endpoints(3);
    const child = spawnNode(CLI, ["--primary", "--frontend", frontend!, "--local", local!, "--remote", remote!, "--heartbeat", "50", "--metrics", "0"]);
    const url = `http://${/\bmetrics=(\S+)/.exec(await child.waitForLine(/^started /))![1]!}`;
    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.json()]).toEqual([
      200,
      { status: "ok", role: "binary-star-server", pid: child.pid, pair: "primary", state: "PRIMARY", peerState: null, peerAlive: expect.any(Boolean), serving: false },
    ]);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    const client = new BinaryStarClient({ endpoint: [frontend!, remote!], heartbeatInterval: 50 });
    cleanup.push(() => client.close());
    expect((await client.request("hello")).map(String)).toEqual(["hello"]); // a client vote makes the lone primary ACTIVE
    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.json()]).toMatchObject([200, { status: "ok", state: "ACTIVE", serving: true }]);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^zmq_reliable_replies_total [1-9]\d*$/m); // a retry may have been answered too
    expect(text).toMatch(/^zmq_reliable_node_state\{state="ACTIVE"\} 1$/m);
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
