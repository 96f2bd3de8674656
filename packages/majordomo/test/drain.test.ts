/** Graceful drain: close() lets the requests workers hold be answered and delivered, and refuses new ones (issue 13). */
import { nextEvent } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { DropEvent, MajordomoHandler } from "../src/index.js";
import { MajordomoBroker, MajordomoClient } from "../src/index.js";
import { broker, closeTracked, track, worker } from "./live.js";

afterEach(closeTracked);

/** A handler that holds each request until the test lets it go. */
function gate() {
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  let started = 0;
  const handler: MajordomoHandler = async (body) => {
    started++;
    await released;
    return ["done", ...body];
  };
  return { handler, release, started: () => started };
}

/** A broker with `drainTimeout` whose one worker holds one request until `stuck.release()`. */
async function heldRequest(drainTimeout: number): Promise<{ b: MajordomoBroker; stuck: ReturnType<typeof gate> }> {
  const b = await broker({ drainTimeout });
  const stuck = gate();
  await worker(b, "stuck", stuck.handler);
  const c = track(new MajordomoClient({ endpoint: b.endpoint, timeout: 5000, attempts: 1 }));
  void c.request("stuck", "x").catch(() => {});
  await waitFor(() => stuck.started() === 1, { timeout: 5000 });
  return { b, stuck };
}

describe("MajordomoBroker.close(): graceful drain", () => {
  it("delivers the reply of a request a slow worker holds, refuses new requests (draining), then DISCONNECTs", async () => {
    const b = await broker({ drainTimeout: 5000 });
    const slow = gate();
    const w = await worker(b, "slow", slow.handler);
    const c = track(new MajordomoClient({ endpoint: b.endpoint, timeout: 5000, attempts: 1 }));
    const held = c.request("slow", "held");
    await waitFor(() => slow.started() === 1, { timeout: 5000 });
    const drops: DropEvent[] = [];
    b.on("drop", (e) => drops.push(e));
    const draining = nextEvent(b, "drop", { timeout: 5000, filter: (e) => e.reason === "draining" });
    const disconnected = nextEvent(w, "disconnect", { timeout: 5000 });
    const closed = b.close();
    const late = track(new MajordomoClient({ endpoint: b.endpoint, timeout: 300, attempts: 1 }));
    const refused = late.request("slow", "late").catch((e: unknown) => e);
    await draining; // the new request was dropped while the worker still held the first
    expect(slow.started()).toBe(1);
    slow.release();
    expect((await held).map(String)).toEqual(["done", "held"]);
    await closed;
    await disconnected;
    expect(await refused).toBeInstanceOf(Error); // no reply: its one attempt timed out
    expect(drops.map((d) => d.reason)).toEqual(["draining"]);
    expect(b.stats()).toMatchObject({ replies: 1, drops: { draining: 1, shutdown: 0 } });
  });

  it("stops waiting after drainTimeout: what workers still hold is dropped (shutdown)", async () => {
    const { b, stuck } = await heldRequest(100);
    const started = performance.now();
    await b.close();
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(b.stats().drops).toMatchObject({ shutdown: 1, draining: 0 });
    stuck.release();
  });

  it("drainTimeout 0 closes at once, as before: the held request is dropped", async () => {
    const { b, stuck } = await heldRequest(0);
    await b.close();
    expect(b.stats().drops).toMatchObject({ shutdown: 1, draining: 0 });
    stuck.release();
  });

  it("refuses a negative drainTimeout", () => {
    expect(() => new MajordomoBroker({ drainTimeout: -1 })).toThrow(/drainTimeout/);
  });
});
