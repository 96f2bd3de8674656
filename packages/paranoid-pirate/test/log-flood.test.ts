/**
 * Found by `npm run fuzz`: a fake worker that says READY while it holds a
 * request makes the queue log a lost request and a registration, once per
 * READY; the lines must be rate-limited like drops (10 per kind per window,
 * then one summary line).
 */
import { configureDropLog } from "@zmq-reliable/core";
import { captureLogger, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { ParanoidPirateQueue } from "../src/index.js";
import { closeAll, track } from "./helpers.js";

const E = Buffer.alloc(0);
const READY = Buffer.from([1]);

afterEach(closeAll);

/**
 * A queue logging into `lines` (10 lines per kind per 10 s), a raw client on
 * its frontend and a raw worker on its backend; `start` is where their lines begin.
 */
async function loggedQueue(options: { maxAttempts?: number }) {
  const before = configureDropLog({ limit: 10, window: 10_000 });
  track({ close: () => configureDropLog(before) });
  const { logger, lines } = captureLogger();
  const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: 50, maxQueuedPerClient: 1000, logger, ...options }));
  await queue.start();
  const start = lines.length;
  const client = track(new zmq.Dealer({ linger: 0 }));
  client.connect(queue.endpoints.frontend);
  const worker = track(new zmq.Dealer({ linger: 0 }));
  worker.connect(queue.endpoints.backend);
  return { queue, lines, start, client, worker };
}

describe("queue log under a hostile worker", () => {
  it("a worker saying READY 500 times while holding requests: at most 10 lines per kind, not 1,000", async () => {
    // maxAttempts 1: every READY loses the request the worker holds (the default re-queues it; see the next test).
    const { queue, lines, start, client, worker } = await loggedQueue({ maxAttempts: 1 });
    for (let i = 0; i < 500; i++) await client.send([E, `request ${i}`]);
    await waitFor(() => queue.stats().queued + queue.stats().dropped >= 500, { timeout: 10_000 });
    for (let i = 0; i < 500; i++) {
      await worker.send(READY); // takes a request; the next READY loses it and takes another
      await waitFor(() => queue.stats().registrations > i, { timeout: 10_000 });
    }
    await waitFor(() => queue.stats().requestsLost >= 499, { timeout: 10_000 });
    const flood = lines.slice(start);
    expect(flood.filter((l) => / ready$/.test(l)).length).toBeLessThanOrEqual(10);
    expect(flood.filter((l) => l.includes("lost with worker")).length).toBeLessThanOrEqual(10);
    expect(flood.length).toBeLessThanOrEqual(30);
  });

  it("with the default maxAttempts the READYs re-queue requests: the re-queue lines are rate-limited too", async () => {
    const { queue, lines, start, client, worker } = await loggedQueue({});
    for (let i = 0; i < 300; i++) await client.send([E, `request ${i}`]);
    await waitFor(() => queue.stats().queued + queue.stats().dropped >= 300, { timeout: 10_000 });
    for (let i = 0; i < 300; i++) {
      await worker.send(READY); // gives back the request it holds (re-queued, handed back to it: the only worker) or, the third time, loses it
      await waitFor(() => queue.stats().registrations > i, { timeout: 10_000 });
    }
    // Each request is handed to the one worker 3 times (maxAttempts): 2 re-queues, then lost.
    await waitFor(() => queue.stats().retries >= 199 && queue.stats().requestsLost >= 99, { timeout: 10_000 });
    const flood = lines.slice(start);
    expect(flood.filter((l) => l.includes("re-queued")).length).toBeLessThanOrEqual(10);
    expect(flood.filter((l) => l.includes("lost with worker")).length).toBeLessThanOrEqual(10);
    expect(flood.filter((l) => / ready$/.test(l)).length).toBeLessThanOrEqual(10);
    expect(flood.length).toBeLessThanOrEqual(40);
  });
});
