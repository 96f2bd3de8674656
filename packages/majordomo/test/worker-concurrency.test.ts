/**
 * `MajordomoWorker` with `concurrency`: N sessions in one object, each a
 * worker to the broker, sharing the handler. Overlap is asserted by the
 * handlers themselves (how many ran at once), never by wall-clock time.
 */
import { InvalidOptionError, nextEvent } from "@zmq-reliable/core";
import { failingOnce, heldHandler, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MajordomoBroker, MajordomoClient, type MajordomoHandler, MajordomoWorker, type ReadyEvent } from "../src/index.js";
import { closeTracked, track } from "./live.js";

const HB = 50;
const LIVENESS = 10; // generous: no session may expire on a loaded machine (connects are counted)
afterEach(closeTracked);

async function setup(concurrency: number, handler: MajordomoHandler) {
  const broker = track(new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: HB, liveness: LIVENESS }));
  await broker.start();
  const ready: ReadyEvent[] = [];
  broker.on("ready", (e) => ready.push(e));
  const worker = new MajordomoWorker({ endpoint: broker.endpoint, service: "work", handler, concurrency, heartbeatInterval: HB, liveness: LIVENESS, reconnect: { initial: 20, max: 100 } });
  track({ close: () => worker.close({ timeout: 1000 }) });
  await worker.start();
  await waitFor(() => ready.length >= concurrency, { timeout: 5000 });
  const client = track(new MajordomoClient({ endpoint: broker.endpoint, timeout: 5000, attempts: 1 }));
  return { broker, worker, client, ready };
}

describe("MajordomoWorker concurrency", () => {
  it("is 1 by default and refuses anything but an integer from 1 to 1024, naming the option", () => {
    const base = { endpoint: "tcp://127.0.0.1:5555", service: "s", handler: (b: Buffer[]) => b };
    expect(new MajordomoWorker(base).concurrency).toBe(1);
    expect(new MajordomoWorker({ ...base, concurrency: 1024 }).concurrency).toBe(1024);
    for (const bad of [0, -1, 1.5, 1025, Number.NaN, "4"]) {
      expect(() => new MajordomoWorker({ ...base, concurrency: bad as number })).toThrow(InvalidOptionError);
      expect(() => new MajordomoWorker({ ...base, concurrency: bad as number })).toThrow(/concurrency must be an integer from 1 to 1024/);
    }
  });

  it("registers N distinct workers with the broker and runs N handlers at once", async () => {
    const held = heldHandler((body: Buffer[]) => ["done", ...body]);
    const { broker, worker, client, ready } = await setup(4, held.handler);
    expect(new Set(ready.map((e) => e.worker)).size).toBe(4);
    expect(broker.stats().workers).toBe(4);
    const replies = ["a", "b", "c", "d"].map((x) => client.request("work", x));
    await waitFor(() => held.running === 4, { timeout: 5000 }); // all four in hand at once
    expect(worker.busy).toBe(true);
    expect(worker.stats()).toMatchObject({ requests: 4, inFlight: 4 });
    held.release();
    expect((await Promise.all(replies)).map((r) => r.map(String))).toEqual([
      ["done", "a"],
      ["done", "b"],
      ["done", "c"],
      ["done", "d"],
    ]);
    expect(held.most).toBe(4);
    expect(worker.stats()).toMatchObject({ requests: 4, replies: 4, inFlight: 0, connects: 4 });
  });

  it("with a 50 ms handler, requests sent at once overlap", async () => {
    const spans: [number, number][] = [];
    const { client } = await setup(4, async (body) => {
      const start = performance.now();
      await new Promise((r) => setTimeout(r, 50));
      spans.push([start, performance.now()]);
      return body;
    });
    await Promise.all(["a", "b", "c", "d"].map((x) => client.request("work", x)));
    // the most handlers running at one instant: each start counted against the spans it falls in
    const overlap = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a <= s && s < b).length));
    expect(overlap).toBeGreaterThanOrEqual(2);
  });

  it("close() finishes every request in hand and closes every session (the broker sees N DISCONNECTs)", async () => {
    const held = heldHandler((body: Buffer[]) => ["done", ...body]);
    const { broker, worker, client } = await setup(3, held.handler);
    const replies = ["a", "b", "c"].map((x) => client.request("work", x));
    await waitFor(() => held.running === 3, { timeout: 5000 });
    const gone: unknown[] = [];
    broker.on("disconnect", (e) => gone.push(e));
    const closed = worker.close();
    held.release();
    await closed;
    expect((await Promise.all(replies)).map((r) => String(r[1]))).toEqual(["a", "b", "c"]);
    expect(worker.phase).toBe("closed");
    await waitFor(() => broker.stats().workers === 0, { timeout: 5000 });
    expect(gone).toHaveLength(3);
  });

  it("one session's reconnect (after a handler error) leaves the others' requests alone", async () => {
    const held = heldHandler((body: Buffer[]) => ["done", ...body]);
    const { broker, worker, client } = await setup(3, failingOnce("fail", held.handler));
    const disconnects: unknown[] = [];
    worker.on("disconnect", (e) => disconnects.push(e));
    const slow = ["a", "b"].map((x) => client.request("work", x));
    await waitFor(() => held.running === 2, { timeout: 5000 });
    const reRegistered = nextEvent(broker, "ready", { timeout: 5000 });
    const retried = client.request("work", "fail"); // the broker hands it again, to the re-registered session
    await reRegistered;
    await waitFor(() => held.running === 3, { timeout: 5000 });
    held.release();
    expect((await Promise.all([...slow, retried])).map((r) => String(r[1]))).toEqual(["a", "b", "fail"]);
    expect(disconnects).toEqual([expect.objectContaining({ reason: "handler-error" })]);
    expect(worker.stats()).toMatchObject({ connects: 4, failures: 1, replies: 3, drops: { "handler-error": 1 } });
    expect(broker.stats().workers).toBe(3);
  });
});
