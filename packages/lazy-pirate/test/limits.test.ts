/**
 * Issue 11, finding 5: a LazyPirateServer whose handler never settles, fed
 * 1,100 × 2 MB requests, held 2.1 GB for about ten minutes (its limit counted
 * messages, not bytes, and every handler timeout let one more request start
 * while the abandoned one still held its frames). Now every byte it holds is
 * bounded: too-large requests are dropped on arrival, waiting ones are
 * bounded in bytes, and abandoned handlers count until they settle.
 */
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@zmq-reliable/core/testing";
import { LAZY_PIRATE_SERVER_DEFAULTS, type LazyPirateServer, type ServerDropEvent } from "../src/index.js";
import { client, closeAll, deferred, raw, server, text } from "./helpers.js";

afterEach(closeAll);

const MB2 = Buffer.alloc(2 * 1024 * 1024, 7);

/** A handler that never settles for requests whose first frame is `hang` (until `gate` resolves), and echoes the others. */
function hangingHandler(gate: Promise<void> = new Promise<void>(() => {})) {
  return async (frames: Buffer[]) => {
    if (frames[0]?.toString() === "hang") await gate;
    return frames;
  };
}

/**
 * Floods `s` with `count` × 2 MB flagged requests from one raw DEALER and
 * samples `heldBytes` after every send and on every drop; resolves with the
 * largest value seen once the server has received them all.
 */
async function flood(s: LazyPirateServer & { endpoint: string }, count: number): Promise<number> {
  let peak = 0;
  const sample = () => (peak = Math.max(peak, s.stats().heldBytes));
  s.on("drop", sample);
  s.on("handler-timeout", sample);
  const dealer = raw(new zmq.Dealer({ linger: 0, sendHighWaterMark: 4 }));
  dealer.connect(s.endpoint);
  const before = s.stats().requests;
  for (let i = 0; i < count; i++) {
    await dealer.send(["", "hang", MB2]);
    sample();
  }
  await waitFor(() => (sample(), s.stats().requests - before === count), { timeout: 15_000, message: "the flood was not all received" });
  s.off("drop", sample);
  s.off("handler-timeout", sample);
  return peak;
}

describe("LazyPirateServer holds bounded bytes whatever clients send (issue 11, finding 5)", () => {
  it("with the defaults, 120 × 2 MB requests to a handler that never settles are dropped as too-large; normal requests are still answered", async () => {
    const s = await server({ handler: hangingHandler(), handlerTimeout: 30 });
    const drops: ServerDropEvent[] = [];
    s.on("drop", (e) => drops.push(e));
    const peak = await flood(s, 120);
    expect(peak).toBe(0);
    const stats = s.stats();
    expect(stats).toMatchObject({ dropped: 120, heldBytes: 0, abandoned: 0, handlerTimeouts: 0, drops: { "too-large": 120 } });
    expect(drops.every((d) => d.reason === "too-large")).toBe(true);
    expect(LAZY_PIRATE_SERVER_DEFAULTS.maxRequestBytes).toBe(1024 * 1024);
    const c = client({ endpoint: s.endpoint, timeout: 2000, attempts: 1 });
    expect(text(await c.request("normal"))).toEqual(["normal"]);
  });

  it("with room for 2 MB requests, hung handlers and the queue hold at most (concurrency + maxAbandoned) × request + maxQueuedBytes", async () => {
    const gate = deferred();
    const limits = { concurrency: 2, maxAbandoned: 2, maxQueuedBytes: 8 * 1024 * 1024, maxRequestBytes: 4 * 1024 * 1024 };
    const s = await server({ handler: hangingHandler(gate.promise), handlerTimeout: 30, ...limits });
    const bound = (limits.concurrency + limits.maxAbandoned) * (MB2.length + 64) + limits.maxQueuedBytes;
    const peak = await flood(s, 100);
    // The first two time out and free their slots, the next two time out and keep them: no handler runs any more.
    await waitFor(() => s.stats().handlerTimeouts === 4, { timeout: 5000 });
    const stats = s.stats();
    expect(peak).toBeLessThanOrEqual(bound);
    expect(stats.heldBytes).toBeLessThanOrEqual(bound);
    expect(stats).toMatchObject({ abandoned: 4, inFlight: 0 });
    expect(stats.queued).toBeLessThanOrEqual(4);
    expect(stats.drops["queue-full"]).toBe(100 - 4 - stats.queued);
    expect(stats.drops["handler-timeout"]).toBe(4);
    // Once the hung handlers settle, their bytes are free and the server serves again.
    gate.resolve();
    await waitFor(() => s.stats().abandoned === 0 && s.stats().queued === 0, { timeout: 5000 });
    const c = client({ endpoint: s.endpoint, timeout: 2000, attempts: 1 });
    expect(text(await c.request("normal"))).toEqual(["normal"]);
    await waitFor(() => s.stats().heldBytes === 0, { timeout: 5000 });
    expect(s.stats().lateResults).toBe(4);
  });
});
