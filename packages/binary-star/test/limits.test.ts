/**
 * Issue 11, finding 5, for the Binary Star server (it shares core's request
 * server with the Lazy Pirate server, which has the full regression test): a
 * flood of large requests to a handler that hangs holds bounded bytes, and
 * each refusal is counted with its reason.
 */
import { waitFor } from "@zmq-reliable/core/testing";
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStarServer, type RequestDropEvent } from "../src/index.js";
import { FakePeer, cleanup, closeAll, endpoints } from "./helpers.js";

afterEach(closeAll);

describe("BinaryStarServer holds bounded bytes under a flood of large requests (issue 11, finding 5)", () => {
  it("drops too-large and queue-full requests, counts hung handlers' bytes, and serves again once they settle", async () => {
    const [frontend, local, remote] = await endpoints(3);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const limits = { concurrency: 1, maxAbandoned: 1, maxQueuedBytes: 4 * 1024 * 1024, maxRequestBytes: 3 * 1024 * 1024 };
    const server = new BinaryStarServer({
      role: "primary",
      bind: { frontend: frontend!, state: local! },
      peer: remote!,
      heartbeatInterval: 50,
      handlerTimeout: 30,
      handler: async (body) => (body[0]?.toString() === "hang" ? gate.then(() => body) : body),
      ...limits,
    });
    cleanup.push(() => server.close());
    const drops: RequestDropEvent[] = [];
    server.on("drop", (e) => drops.push(e));
    await server.start();
    const peer = await FakePeer.create(remote!, local!);
    peer.say("BACKUP");
    await waitFor(() => server.state === "ACTIVE", { timeout: 5000 });

    const dealer = new zmq.Dealer({ linger: 0, sendHighWaterMark: 4 });
    cleanup.push(() => dealer.close());
    dealer.connect(frontend!);
    const big = Buffer.alloc(2 * 1024 * 1024);
    const bound = (limits.concurrency + limits.maxAbandoned) * (big.length + 64) + limits.maxQueuedBytes;
    let peak = 0;
    const sample = () => (peak = Math.max(peak, server.stats().heldBytes));
    server.on("drop", sample);
    await dealer.send(["", "hang", Buffer.alloc(limits.maxRequestBytes)]); // a few bytes over maxRequestBytes: too-large
    for (let i = 0; i < 40; i++) {
      await dealer.send(["", "hang", big]);
      sample();
    }
    await waitFor(() => (sample(), server.stats().requests === 41), { timeout: 10_000 });
    await waitFor(() => server.stats().handlerTimeouts === 2, { timeout: 5000 });
    const stats = server.stats();
    expect(peak).toBeLessThanOrEqual(bound);
    expect(stats).toMatchObject({ abandoned: 2, inFlight: 0 });
    expect(stats.drops["too-large"]).toBe(1);
    // The rest were refused: queue-full, or rejected by the node (an event loop busy with 80 MB can look like a pause to it).
    expect(stats.drops["queue-full"]).toBeGreaterThan(0);
    expect(stats.drops["queue-full"] + stats.drops.rejected, JSON.stringify(stats)).toBe(40 - 2 - stats.queued);
    expect(drops.filter((d) => d.reason === "queue-full").every((d) => d.state === "ACTIVE")).toBe(true);

    release();
    await waitFor(() => server.stats().abandoned === 0 && server.stats().queued === 0, { timeout: 5000 });
    const req = new zmq.Request({ linger: 0, receiveTimeout: 2000 });
    cleanup.push(() => req.close());
    req.connect(frontend!);
    await req.send("normal");
    expect((await req.receive()).map(String)).toEqual(["normal"]);
    await waitFor(() => server.stats().heldBytes === 0, { timeout: 5000 });
  });
});
