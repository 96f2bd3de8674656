/**
 * Issue 11, found by `npm run flood` (row 4): 20 client connections sending
 * 10 MB requests held ~330 MB in libzmq (one whole frame per connection,
 * allocated before the queue could refuse it as `too-large`). The frontend's
 * ZMQ_MAXMSGSIZE is now twice `maxRequestBytes`: libzmq disconnects the
 * sender of a larger frame before buffering it.
 */
import { EMPTY } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ParanoidPirateQueue, type QueueDropEvent } from "../src/index.js";
import { closeAll, rawDealer, track } from "./helpers.js";

afterEach(closeAll);

describe("ParanoidPirateQueue frame size limit", () => {
  it("disconnects a client whose frame is over twice maxRequestBytes, counts a smaller too-large request, and keeps serving", async () => {
    const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: 50, liveness: 3, maxRequestBytes: 1024 }));
    await queue.start();
    const drops: QueueDropEvent[] = [];
    queue.on("drop", (e) => drops.push(e));
    const client = track(rawDealer(queue.endpoints.frontend));
    let disconnects = 0;
    client.socket.events.on("disconnect", () => disconnects++);
    await client.send([EMPTY, Buffer.alloc(4096)]); // over 2 × 1024: never reaches the queue
    await waitFor(() => disconnects === 1, { timeout: 5000 });
    await client.send([EMPTY, Buffer.alloc(2000)]); // too large, under 2 × 1024: a counted drop (after the reconnect)
    await client.send([EMPTY, "q1"]);
    await waitFor(() => drops.length === 1 && queue.stats().queued === 1, { timeout: 5000 });
    expect(drops.map((d) => d.reason)).toEqual(["too-large"]);
    expect(disconnects).toBe(1);
  });
});
