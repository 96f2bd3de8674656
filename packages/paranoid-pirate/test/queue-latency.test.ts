/** ParanoidPirateQueue stats().latency: request read from the frontend → reply forwarded to its client (issue 13). */
import { WAKE } from "@zmq-reliable/core";
import { afterEach, describe, expect, it } from "vitest";
import { decodeBackendMessage, decodeFrontendMessage, ParanoidPirateQueue, ParanoidPirateWorker, QueueState } from "../src/index.js";
import { closeAll, lazyRequest, track } from "./helpers.js";

afterEach(closeAll);

const W1 = Buffer.from([0x00, 0, 0, 0, 1]);
const C1 = Buffer.from([0x00, 1, 1, 1, 1]);
const READY = [Buffer.from([0x01])];
const request = (client: Buffer, body: string) => [client, Buffer.alloc(0), Buffer.from(body)];

describe("QueueState latency", () => {
  it("measures frontend read → reply forwarded on the clock it is given, held time and re-queues included", () => {
    const q = new QueueState({ heartbeatInterval: 1000, liveness: 3 }, 0);
    const fromClient = (body: string, now: number) => q.handle({ type: "message", channel: "frontend", message: decodeFrontendMessage(request(C1, body)) }, now);
    const fromWorker = (frames: Buffer[], now: number) => q.handle({ type: "message", channel: "backend", message: decodeBackendMessage([W1, ...frames]) }, now);
    expect(q.latency(0)).toEqual({ window: 0, p50: 0, p90: 0, p99: 0, max: 0, count: 0, sum: 0 });
    fromClient("held", 100); // no worker yet: held 50 ms
    fromWorker(READY, 150); // dispatched now
    fromWorker(request(C1, "re:held"), 160); // 60 ms after it was read
    fromClient("a", 200);
    fromWorker(READY, 210); // the worker restarts holding it: re-queued and handed to it again
    fromWorker(request(C1, "re:a"), 230); // 30 ms after it was first read
    fromWorker(request(C1, "unexpected"), 240); // no request held: dropped, not measured
    expect(q.stats().replies).toBe(2);
    expect(q.latency(240)).toEqual({ window: 2, p50: 30, p90: 60, p99: 60, max: 60, count: 2, sum: 90 });
    q.handle(WAKE, 60_000); // heartbeats; the window ages out after 60 s but the totals stay
    expect(q.latency(60_231)).toEqual({ window: 0, p50: 0, p90: 0, p99: 0, max: 0, count: 2, sum: 90 });
  });
});

describe("ParanoidPirateQueue latency", () => {
  it("reports a count and percentiles for requests through real sockets", async () => {
    const queue = track(new ParanoidPirateQueue({ heartbeatInterval: 50, liveness: 3, bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" } }));
    await queue.start();
    const worker = track(
      new ParanoidPirateWorker({
        endpoint: queue.endpoints.backend,
        heartbeatInterval: 50,
        liveness: 3,
        handler: async (body) => {
          await new Promise((r) => setTimeout(r, 2)); // some work, so every latency is above 0
          return body;
        },
      }),
    );
    await worker.start();
    for (const body of ["a", "b", "c"]) expect((await lazyRequest(queue.endpoints.frontend, [body], { timeout: 2000 })).reply).toEqual([body]);
    const { latency } = queue.stats();
    expect(latency.count).toBe(3);
    expect(latency.window).toBe(3);
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.max).toBeGreaterThanOrEqual(latency.p50);
  });
});
