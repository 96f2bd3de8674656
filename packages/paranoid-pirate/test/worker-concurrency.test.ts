/**
 * `ParanoidPirateWorker` with `concurrency`: N sessions in one object, each a
 * worker to the queue, sharing the handler. Overlap is asserted by the
 * handlers themselves (how many ran at once), never by wall-clock time.
 */
import { InvalidOptionError, nextEvent } from "@zmq-reliable/core";
import { failingOnce, heldHandler, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ParanoidPirateQueue, ParanoidPirateWorker, type RequestHandler } from "../src/index.js";
import { HEARTBEAT_FRAME } from "../src/protocol.js";
import { closeAll, isCommand, lazyRequest, rawRouter, track } from "./helpers.js";

const HEARTBEAT = 50;
const LIVENESS = 10; // generous: no session may expire on a loaded machine unless a test means it to

afterEach(closeAll);

async function setup(concurrency: number, handler: RequestHandler) {
  const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: HEARTBEAT, liveness: LIVENESS }));
  await queue.start();
  const ready: Buffer[] = [];
  queue.on("ready", (e) => ready.push(e.worker));
  const worker = new ParanoidPirateWorker({ endpoint: queue.endpoints.backend, handler, concurrency, heartbeatInterval: HEARTBEAT, liveness: LIVENESS, reconnect: { initial: 20, max: 100 } });
  track({ close: () => worker.close({ timeout: 1000 }) });
  await worker.start();
  await waitFor(() => ready.length >= concurrency, { timeout: 5000 });
  return { queue, worker, ready };
}

const request = (queue: ParanoidPirateQueue, body: string) => lazyRequest(queue.endpoints.frontend, [body], { timeout: 10_000, attempts: 1 });

describe("ParanoidPirateWorker concurrency", () => {
  it("is 1 by default and refuses anything but an integer from 1 to 1024, naming the option", () => {
    const base = { endpoint: "tcp://127.0.0.1:5555", handler: (b: Buffer[]) => b };
    expect(new ParanoidPirateWorker(base).concurrency).toBe(1);
    for (const bad of [0, 2.5, 1025, "2"]) {
      expect(() => new ParanoidPirateWorker({ ...base, concurrency: bad as number })).toThrow(InvalidOptionError);
      expect(() => new ParanoidPirateWorker({ ...base, concurrency: bad as number })).toThrow(/concurrency must be an integer from 1 to 1024/);
    }
  });

  it("registers N distinct workers with the queue and runs N handlers at once", async () => {
    const held = heldHandler((body: Buffer[]) => ["done", ...body]);
    const { queue, worker, ready } = await setup(4, held.handler);
    expect(new Set(ready.map((id) => id.toString("hex"))).size).toBe(4);
    expect(queue.stats()).toMatchObject({ workers: 4, ready: 4 });
    const replies = ["a", "b", "c", "d"].map((x) => request(queue, x));
    await waitFor(() => held.running === 4, { timeout: 5000 });
    expect(worker.stats()).toMatchObject({ requests: 4, inFlight: 4 });
    held.release();
    expect((await Promise.all(replies)).map((r) => r.reply)).toEqual([
      ["done", "a"],
      ["done", "b"],
      ["done", "c"],
      ["done", "d"],
    ]);
    expect(held.most).toBe(4);
    expect(worker.stats()).toMatchObject({ requests: 4, replies: 4, inFlight: 0, connects: 4 });
  });

  it("close() finishes every request in hand, then closes every session (the queue expires N workers)", async () => {
    const held = heldHandler((body: Buffer[]) => ["done", ...body]);
    const { queue, worker } = await setup(3, held.handler);
    const replies = ["a", "b", "c"].map((x) => request(queue, x));
    await waitFor(() => held.running === 3, { timeout: 5000 });
    const expired: unknown[] = [];
    queue.on("expire", (e) => expired.push(e));
    const closed = worker.close();
    held.release();
    await closed;
    expect((await Promise.all(replies)).map((r) => r.reply[1])).toEqual(["a", "b", "c"]);
    expect(worker.phase).toBe("closed");
    await waitFor(() => expired.length === 3, { timeout: 5000 }); // PPP has no goodbye: each session falls silent
    expect(queue.stats().workers).toBe(0);
  });

  it("one session's failed handler (READY again) leaves the others' requests alone", async () => {
    const held = heldHandler((body: Buffer[]) => ["done", ...body]);
    const { queue, worker } = await setup(3, failingOnce("fail", held.handler));
    const slow = ["a", "b"].map((x) => request(queue, x));
    await waitFor(() => held.running === 2, { timeout: 5000 });
    const dropped = nextEvent(worker, "drop", { timeout: 5000 });
    const retried = request(queue, "fail"); // given back by READY, handed again by the queue
    expect((await dropped)[0].reason).toBe("handler-error");
    await waitFor(() => held.running === 3, { timeout: 5000 });
    held.release();
    expect((await Promise.all([...slow, retried])).map((r) => r.reply[1])).toEqual(["a", "b", "fail"]);
    expect(worker.stats()).toMatchObject({ connects: 3, failures: 1, replies: 3, drops: { "handler-error": 1 } });
  });
});

describe("ParanoidPirateWorker sessions against a raw queue", () => {
  it("one session's reconnect (its queue went silent) leaves the other sessions connected", async () => {
    const { inbox, endpoint } = await rawRouter();
    const worker = new ParanoidPirateWorker({ endpoint, handler: (b) => b, concurrency: 3, heartbeatInterval: HEARTBEAT, liveness: LIVENESS, reconnect: { initial: 20, max: 100 } });
    track({ close: () => worker.close({ timeout: 0 }) });
    const disconnects: unknown[] = [];
    worker.on("disconnect", (e) => disconnects.push(e));
    await worker.start();
    const readies = () => inbox.messages.filter((m) => isCommand(m.frames.slice(1), 0x01)).map((m) => m.frames[0]!);
    await waitFor(() => readies().length === 3, { timeout: 5000 });
    const kept = readies().slice(0, 2); // heartbeat these two sessions; the third hears nothing
    const beat = setInterval(() => void Promise.all(kept.map((id) => inbox.send([id, HEARTBEAT_FRAME]))).catch(() => {}), HEARTBEAT / 2);
    track({ close: () => clearInterval(beat) });
    await waitFor(() => readies().length === 4, { timeout: 5000 }); // the silent one came back with a fresh identity
    expect(readies()[3]!.equals(readies()[2]!)).toBe(false);
    expect(disconnects).toEqual([expect.objectContaining({ reason: "expire" })]);
    // the kept sessions still answer, on their first connection
    await inbox.send([kept[0]!, Buffer.from("client"), Buffer.alloc(0), Buffer.from("ping")]);
    const reply = await inbox.next((f) => f[0]!.equals(kept[0]!) && String(f.at(-1)) === "ping");
    expect(reply.frames.map(String).slice(1)).toEqual(["client", "", "ping"]);
    expect(worker.stats().connects).toBe(4);
  });
});
