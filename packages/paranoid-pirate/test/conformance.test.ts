/**
 * Conformance with the 6/PPP wire of docs/protocols/paranoid-pirate.md#frames, byte for byte, using
 * raw zeromq sockets in place of the other side: raw DEALER workers against
 * ParanoidPirateQueue, and a raw ROUTER queue against ParanoidPirateWorker.
 */
import { createSocket, EMPTY, type LinkDisconnectEvent, type LinkReadyEvent, nextEvent } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  ParanoidPirateQueue,
  ParanoidPirateWorker,
  type ParanoidPirateQueueOptions,
  type ParanoidPirateWorkerOptions,
  type QueueDropEvent,
  type RequestLostEvent,
} from "../src/index.js";
import { closeAll, deferred, isCommand, lazyRequest, rawDealer, rawRouter, track } from "./helpers.js";

const READY = Buffer.from([0x01]);
const HEARTBEAT = Buffer.from([0x02]);

afterEach(closeAll);

/** Calls `fn` every `ms` until the test ends. */
function every(ms: number, fn: () => void): { stop: () => void } {
  const timer = setInterval(fn, ms);
  const handle = { stop: () => clearInterval(timer), close: () => clearInterval(timer) };
  track(handle);
  return handle;
}

describe("raw DEALER workers against ParanoidPirateQueue", () => {
  const INTERVAL = 50;

  async function startQueue(interval = INTERVAL, options: ParanoidPirateQueueOptions = {}): Promise<ParanoidPirateQueue> {
    const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: interval, liveness: 3, ...options }));
    await queue.start();
    return queue;
  }

  /** A raw worker that has said READY and been registered. */
  async function readyDealer(queue: ParanoidPirateQueue) {
    const dealer = rawDealer(queue.endpoints.backend);
    const ready = nextEvent(queue, "ready", { timeout: 5000 });
    await dealer.send([READY]);
    const [{ worker }] = await ready;
    return { dealer, id: worker };
  }

  it("READY [0x01] registers; a request arrives as exactly [client id, ∅, body…]; the echoed envelope reaches the client", async () => {
    const queue = await startQueue();
    const { dealer, id } = await readyDealer(queue);
    expect(id.length).toBe(5); // a ROUTER-generated id
    const reply = lazyRequest(queue.endpoints.frontend, ["hello", "world"], { timeout: 5000, attempts: 1 });
    const { frames } = await dealer.next((m) => m.length > 1);
    expect(frames).toHaveLength(4);
    const [cid, delimiter, ...body] = frames;
    expect(cid!.length).toBe(5); // the frontend's id of the REQ client, no empty frame before it
    expect(delimiter).toEqual(EMPTY);
    expect(body.map(String)).toEqual(["hello", "world"]);
    await dealer.send([cid!, EMPTY, "re:hello", "x"]);
    expect((await reply).reply).toEqual(["re:hello", "x"]);
  });

  it("heartbeats [0x02] every interval to idle and busy workers; a busy worker's heartbeats never get it a second request", async () => {
    const queue = await startQueue();
    const { dealer } = await readyDealer(queue);
    every(INTERVAL, () => void dealer.send([HEARTBEAT]).catch(() => {}));
    // Idle: heartbeats arrive, each exactly one frame [0x02], spaced by the interval (no flood).
    const first = await dealer.next((m) => isCommand(m, 0x02));
    const third = await dealer.next((m) => isCommand(m, 0x02), first.index + 1).then((second) => dealer.next((m) => isCommand(m, 0x02), second.index + 1));
    expect(third.at - first.at).toBeGreaterThanOrEqual(INTERVAL);
    for (const { frames } of dealer.messages) expect(frames).toEqual([HEARTBEAT]);

    // Busy: the worker holds request 1 and keeps heartbeating; a second client's request must wait.
    const r1 = lazyRequest(queue.endpoints.frontend, ["r1"], { timeout: 10_000, attempts: 1 });
    const req1 = await dealer.next((m) => m.length > 1);
    const r2 = lazyRequest(queue.endpoints.frontend, ["r2"], { timeout: 10_000, attempts: 1 });
    const sentBefore = queue.stats().heartbeatsReceived;
    let hb = req1;
    for (let i = 0; i < 4; i++) hb = await dealer.next((m) => isCommand(m, 0x02), hb.index + 1);
    await waitFor(() => queue.stats().heartbeatsReceived >= sentBefore + 4);
    expect(dealer.messages.slice(req1.index + 1).every((m) => isCommand(m.frames, 0x02))).toBe(true);
    expect(queue.stats()).toMatchObject({ busy: 1, ready: 0, workersExpired: 0 });

    await dealer.send([req1.frames[0]!, EMPTY, "re1"]);
    expect((await r1).reply).toEqual(["re1"]);
    const req2 = await dealer.next((m) => m.length > 1, req1.index + 1);
    expect(req2.frames.slice(2).map(String)).toEqual(["r2"]);
    await dealer.send([req2.frames[0]!, EMPTY, "re2"]);
    expect((await r2).reply).toEqual(["re2"]);
  });

  it("expires a silent worker after liveness × interval, and never sends it anything again", async () => {
    const interval = 100;
    const queue = await startQueue(interval);
    const silentAt = performance.now();
    const { dealer: silent, id } = await readyDealer(queue);
    const [expired] = await nextEvent(queue, "expire", { timeout: 5000 });
    const elapsed = performance.now() - silentAt;
    expect(expired.worker).toEqual(id);
    expect(expired.busy).toBe(false);
    expect(expired.silentFor).toBeGreaterThanOrEqual(3 * interval);
    expect(elapsed).toBeGreaterThanOrEqual(3 * interval - 5);
    expect(expired.silentFor).toBeLessThanOrEqual(4 * interval); // (liveness + 1) × interval

    // Work now goes to another worker, and the expired one hears nothing more.
    const { dealer: other } = await readyDealer(queue);
    await other.next((m) => isCommand(m, 0x02)); // anything sent to `silent` before its expiry has landed by now
    const seen = silent.messages.length;
    const reply = lazyRequest(queue.endpoints.frontend, ["x"], { timeout: 5000, attempts: 1 });
    const req = await other.next((m) => m.length > 1);
    await other.send([req.frames[0]!, EMPTY, "from other"]);
    expect((await reply).reply).toEqual(["from other"]);
    await other.next((m) => isCommand(m, 0x02)).then((h) => other.next((m) => isCommand(m, 0x02), h.index + 1));
    expect(silent.messages.length).toBe(seen);
  });

  it("a worker that dies holding a request is expired, and request-lost names the client and the request", async () => {
    const queue = await startQueue();
    const { dealer, id } = await readyDealer(queue);
    const lost = nextEvent(queue, "request-lost", { timeout: 5000 });
    void lazyRequest(queue.endpoints.frontend, ["precious", "cargo"], { timeout: 5000, attempts: 1 }).catch(() => {});
    const req = await dealer.next((m) => m.length > 1);
    const [event] = (await lost) as [RequestLostEvent];
    expect(event.worker).toEqual(id);
    expect(event.cause).toBe("expired");
    expect(event.client).toEqual([req.frames[0]]);
    expect(event.request.map(String)).toEqual(["precious", "cargo"]);
    expect(queue.stats()).toMatchObject({ workersExpired: 1, requestsLost: 1, workers: 0 });
  });

  it("a READY from a worker holding a request (maxAttempts 1) reports the request lost and lists the worker again", async () => {
    const queue = await startQueue(INTERVAL, { maxAttempts: 1 });
    const { dealer, id } = await readyDealer(queue);
    void lazyRequest(queue.endpoints.frontend, ["r"], { timeout: 5000, attempts: 1 }).catch(() => {});
    await dealer.next((m) => m.length > 1);
    const lost = nextEvent(queue, "request-lost", { timeout: 5000 });
    await dealer.send([READY]);
    const [event] = await lost;
    expect(event).toMatchObject({ cause: "restarted", worker: id });
    await waitFor(() => queue.stats().ready === 1);
  });

  it("drops and counts malformed backend traffic, and keeps serving", async () => {
    const queue = await startQueue();
    const drops: QueueDropEvent[] = [];
    queue.on("drop", (e) => drops.push(e));
    const { dealer: good } = await readyDealer(queue);
    const bad = rawDealer(queue.endpoints.backend);
    await bad.send([Buffer.from([0x07])]); // unknown command byte
    await bad.send([EMPTY]); // empty message
    await bad.send([Buffer.from([0x01, 0x01])]); // not a one-byte command
    await bad.send(["no", "delimiter"]);
    await bad.send([HEARTBEAT]); // never said READY
    await bad.send([Buffer.from([0, 1, 2, 3, 4]), EMPTY, "reply from an unknown worker"]);
    await good.send([Buffer.from([0, 1, 2, 3, 4]), EMPTY, "reply while idle"]);
    await waitFor(() => drops.length === 7, { message: `drops: ${drops.map((d) => d.reason).join(",")}` });
    expect(drops.map((d) => d.reason).sort()).toEqual(
      ["unknown-command", "malformed-message", "malformed-message", "malformed-message", "unknown-worker", "unknown-worker", "unexpected-reply"].sort(),
    );
    expect(queue.stats()).toMatchObject({ dropped: 7, workers: 1, ready: 1 });
    expect(queue.stats().drops).toMatchObject({ "unknown-command": 1, "malformed-message": 3, "unknown-worker": 2, "unexpected-reply": 1 });

    const reply = lazyRequest(queue.endpoints.frontend, ["still serving"], { timeout: 5000, attempts: 1 });
    const req = await good.next((m) => m.length > 1);
    await good.send([req.frames[0]!, EMPTY, "yes"]);
    expect((await reply).reply).toEqual(["yes"]);
  });

  it("never forwards a reply addressed to a client other than the one whose request the worker holds (a forged reply)", async () => {
    const queue = await startQueue();
    const drops: QueueDropEvent[] = [];
    queue.on("drop", (e) => drops.push(e));
    const { dealer: w1 } = await readyDealer(queue);
    const { dealer: w2 } = await readyDealer(queue);
    const a = rawDealer(queue.endpoints.frontend); // raw clients: [∅, body] out, [∅, reply] in
    const b = rawDealer(queue.endpoints.frontend);
    // W1 (least recently used) serves B once, so it learns B's id; W2 serves A, and answers first
    // (both proven, W2 least recently used).
    await b.send([EMPTY, "b1"]);
    const first = await w1.next((m) => m.length > 1);
    const bId = first.frames[0]!;
    await a.send([EMPTY, "a0"]);
    const a0 = await w2.next((m) => m.length > 1);
    await w2.send([a0.frames[0]!, EMPTY, "re:a0"]);
    expect((await a.next()).frames.map(String)).toEqual(["", "re:a0"]);
    await w1.send([bId, EMPTY, "re:b1"]);
    expect((await b.next()).frames.map(String)).toEqual(["", "re:b1"]);
    // Now B's next request goes to W2, A's to W1.
    await b.send([EMPTY, "b2"]);
    const b2 = await w2.next((m) => m.length > 1, a0.index + 1);
    expect(b2.frames[0]).toEqual(bId);
    await a.send([EMPTY, "a1"]);
    const a1 = await w1.next((m) => m.length > 1, first.index + 1);
    // W1, holding A's request, answers B instead: dropped, never forwarded.
    await w1.send([bId, EMPTY, "FORGED"]);
    await waitFor(() => drops.some((d) => d.reason === "unexpected-reply"));
    expect(drops.map((d) => d.reason)).toEqual(["unexpected-reply"]);
    // W1 still holds A's request and W2 B's: the real replies go through.
    await w2.send([bId, EMPTY, "re:b2"]);
    await w1.send([a1.frames[0]!, EMPTY, "re:a1"]);
    expect((await b.next(() => true, 1)).frames.map(String)).toEqual(["", "re:b2"]);
    expect((await a.next(() => true, 1)).frames.map(String)).toEqual(["", "re:a1"]);
    expect(b.messages.map((m) => m.frames.map(String).join("|"))).toEqual(["|re:b1", "|re:b2"]);
    expect(queue.stats()).toMatchObject({ requests: 3 + 1, replies: 3 + 1, dropped: 1, ready: 2 });
  });

  it("never hands a worker that attaches late a request older than requestExpiry (issue 11, finding 4)", async () => {
    const queue = track(
      new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: INTERVAL, liveness: 3, requestExpiry: 100 }),
    );
    await queue.start();
    const gone = rawDealer(queue.endpoints.frontend); // a client that sends and leaves
    const expired = nextEvent(queue, "drop", { timeout: 5000 });
    await gone.send([EMPTY, "old"]);
    const [drop] = await expired;
    expect(drop.reason).toBe("expired");
    await gone.close();
    const client = rawDealer(queue.endpoints.frontend);
    await client.send([EMPTY, "fresh"]);
    await waitFor(() => queue.stats().queued === 1);
    const { dealer } = await readyDealer(queue);
    const req = await dealer.next((m) => m.length > 1);
    expect(req.frames.slice(1).map(String)).toEqual(["", "fresh"]);
    await dealer.send([req.frames[0]!, EMPTY, "re:fresh"]);
    expect((await client.next()).frames.map(String)).toEqual(["", "re:fresh"]);
    expect(dealer.messages.filter((m) => m.frames.length > 1)).toHaveLength(1);
    expect(queue.stats()).toMatchObject({ requests: 1, replies: 1, dropped: 1, queued: 0 });
    expect(queue.stats().drops.expired).toBe(1);
  });

  it("refuses requests over maxRequestBytes and past maxQueued with counted drops, and keeps serving", async () => {
    const queue = track(
      new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: INTERVAL, liveness: 3, maxQueued: 2, maxRequestBytes: 1024 }),
    );
    await queue.start();
    const drops: QueueDropEvent[] = [];
    queue.on("drop", (e) => drops.push(e));
    const client = rawDealer(queue.endpoints.frontend);
    await client.send([EMPTY, Buffer.alloc(2048)]); // too large
    for (const body of ["q1", "q2", "q3"]) await client.send([EMPTY, body]); // q3: queue full
    await waitFor(() => drops.length === 2);
    expect(drops.map((d) => d.reason)).toEqual(["too-large", "queue-full"]);
    expect(queue.stats()).toMatchObject({ queued: 2, dropped: 2 });
    const { dealer } = await readyDealer(queue);
    const first = await dealer.next((m) => m.length > 1);
    expect(first.frames.slice(2).map(String)).toEqual(["q1"]);
    await dealer.send([first.frames[0]!, EMPTY, "re:q1"]);
    const second = await dealer.next((m) => m.length > 1, first.index + 1);
    expect(second.frames.slice(2).map(String)).toEqual(["q2"]);
    await dealer.send([second.frames[0]!, EMPTY, "re:q2"]);
    await waitFor(() => client.messages.length === 2);
    expect(client.messages.map((m) => m.frames.map(String).join("|"))).toEqual(["|re:q1", "|re:q2"]);
  });

  it("one client flooding while no worker is ready cannot crowd out another (maxQueuedPerClient)", async () => {
    const queue = track(
      new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: INTERVAL, liveness: 3, maxQueued: 10, maxQueuedPerClient: 3 }),
    );
    await queue.start();
    const flood = rawDealer(queue.endpoints.frontend);
    for (let i = 0; i < 50; i++) await flood.send([EMPTY, `flood${i}`]);
    await waitFor(() => queue.stats().drops["client-full"] === 47);
    const polite = rawDealer(queue.endpoints.frontend);
    await polite.send([EMPTY, "mine"]);
    await waitFor(() => queue.stats().queued === 4);
    const { dealer } = await readyDealer(queue);
    const bodies: string[] = [];
    for (let from = 0; bodies.length < 4; ) {
      const req = await dealer.next((m) => m.length > 1, from);
      bodies.push(String(req.frames[2]));
      from = req.index + 1;
      await dealer.send([req.frames[0]!, EMPTY, "ok"]);
    }
    expect(bodies).toEqual(["flood0", "mine", "flood1", "flood2"]); // the clients' lines are served in turn
    await waitFor(() => polite.messages.length === 1);
  });

  it("a client flooding a full queue cannot keep another out: the newcomer takes the place of the flood's newest request", async () => {
    const queue = track(
      new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: INTERVAL, liveness: 3, maxQueued: 5, maxQueuedPerClient: 100 }),
    );
    await queue.start();
    const drops: QueueDropEvent[] = [];
    queue.on("drop", (e) => drops.push(e));
    const flood = rawDealer(queue.endpoints.frontend);
    for (let i = 0; i < 50; i++) await flood.send([EMPTY, `flood${i}`]);
    await waitFor(() => queue.stats().drops["queue-full"] === 45);
    const polite = rawDealer(queue.endpoints.frontend);
    await polite.send([EMPTY, "mine"]);
    await waitFor(() => queue.stats().drops["queue-full"] === 46);
    expect(drops.at(-1)!.client).toEqual(drops[0]!.client); // the flood's request was dropped, not the newcomer's
    expect(queue.stats().queued).toBe(5);
    const { dealer } = await readyDealer(queue);
    const bodies: string[] = [];
    for (let from = 0; bodies.length < 5; ) {
      const req = await dealer.next((m) => m.length > 1, from);
      bodies.push(String(req.frames[2]));
      from = req.index + 1;
      await dealer.send([req.frames[0]!, EMPTY, "ok"]);
    }
    expect(bodies).toEqual(["flood0", "mine", "flood1", "flood2", "flood3"]); // flood4 made room for "mine"
    await waitFor(() => polite.messages.length === 1);
  });

  it("serves REQ clients with correlate/relaxed: the request-id frame travels in the envelope", async () => {
    const queue = await startQueue();
    const { dealer } = await readyDealer(queue);
    const req = createSocket("request", { correlate: true, relaxed: true });
    track(req);
    req.connect(queue.endpoints.frontend);
    await req.send("correlated");
    const { frames } = await dealer.next((m) => m.length > 1);
    expect(frames).toHaveLength(4); // [client id, request id, ∅, body]
    expect(frames[1]!.length).toBe(4);
    expect(frames[2]).toEqual(EMPTY);
    await dealer.send([frames[0]!, frames[1]!, EMPTY, "ok"]);
    expect((await req.receive()).map(String)).toEqual(["ok"]);
  });

  it("drops client messages without an envelope delimiter", async () => {
    const queue = await startQueue();
    await readyDealer(queue);
    const client = rawDealer(queue.endpoints.frontend); // a DEALER adds no delimiter
    const dropped = nextEvent(queue, "drop", { timeout: 5000 });
    await client.send(["no delimiter"]);
    expect((await dropped)[0].reason).toBe("malformed-request");
    expect(queue.stats()).toMatchObject({ ready: 1, requests: 0 });
  });
});

describe("a raw ROUTER queue against ParanoidPirateWorker", () => {
  const INTERVAL = 50;

  async function setup(options: Partial<ParanoidPirateWorkerOptions> = {}) {
    const { inbox: router, endpoint } = await rawRouter();
    const worker = track(
      new ParanoidPirateWorker({
        endpoint,
        heartbeatInterval: INTERVAL,
        liveness: 3,
        reconnect: { initial: 30, max: 120 },
        handler: (body) => ["re", ...body],
        ...options,
      }),
    );
    await worker.start();
    const ready = await router.next();
    return { router, worker, wid: ready.frames[0]!, ready };
  }

  /** The raw queue heartbeats `wid` every interval while `when()` holds. */
  function heartbeat(router: Awaited<ReturnType<typeof setup>>["router"], wid: Buffer, when: () => boolean = () => true) {
    return every(INTERVAL, () => {
      if (when()) void router.send([wid, HEARTBEAT]).catch(() => {});
    });
  }

  it("sends READY [0x01] first, then HEARTBEAT [0x02] every interval", async () => {
    const { router, wid, ready } = await setup();
    expect(ready.frames).toEqual([wid, READY]);
    heartbeat(router, wid);
    let hb = ready;
    for (let i = 0; i < 3; i++) hb = await router.next((m) => m[0]!.equals(wid), hb.index + 1);
    expect(hb.at - ready.at).toBeGreaterThanOrEqual(2 * INTERVAL);
    for (const { frames } of router.messages.slice(1)) expect(frames).toEqual([wid, HEARTBEAT]);
  });

  it("answers [client id, ∅, body…] with [client id, ∅, reply…]: multi-frame bodies and multi-hop envelopes", async () => {
    const { router, worker, wid } = await setup();
    heartbeat(router, wid);
    const cid = Buffer.from([0x00, 0xde, 0xad, 0xbe, 0xef]);
    await router.send([wid, cid, EMPTY, "a", "", "c"]);
    const r1 = await router.next((m) => m.length > 2);
    expect(r1.frames).toEqual([wid, cid, EMPTY, Buffer.from("re"), Buffer.from("a"), EMPTY, Buffer.from("c")]);
    await router.send([wid, Buffer.from("hop1"), Buffer.from("hop2"), EMPTY, "x"]);
    const r2 = await router.next((m) => m.length > 2, r1.index + 1);
    expect(r2.frames.map(String)).toEqual([wid.toString(), "hop1", "hop2", "", "re", "x"]);
    expect(worker.stats()).toMatchObject({ requests: 2, replies: 2 });
  });

  it("heartbeats while its async handler runs", async () => {
    const release = deferred();
    const started = deferred();
    const { router, wid } = await setup({
      handler: async (body) => {
        started.resolve();
        await release.promise;
        return body;
      },
    });
    heartbeat(router, wid);
    await router.send([wid, Buffer.from("c"), EMPTY, "work"]);
    await started.promise;
    const from = router.messages.length;
    let hb = await router.next((m) => isCommand(m.slice(1), 0x02), from);
    for (let i = 0; i < 3; i++) hb = await router.next((m) => isCommand(m.slice(1), 0x02), hb.index + 1);
    release.resolve();
    const reply = await router.next((m) => m.length > 2, from);
    expect(reply.frames.slice(1).map(String)).toEqual(["c", "", "work"]);
  });

  it("works with a queue that heartbeats idle workers only (the reference ppqueue): a long request does not trigger a reconnect", async () => {
    let busy = false;
    const { router, worker, wid } = await setup({
      handler: async (body) => {
        await new Promise((r) => setTimeout(r, INTERVAL * 3 * 4));
        return body;
      },
    });
    heartbeat(router, wid, () => !busy);
    const misses: unknown[] = [];
    worker.on("expire", (e) => misses.push(e));
    busy = true;
    await router.send([wid, Buffer.from("c"), EMPTY, "long"]);
    await router.next((m) => m.length > 2);
    busy = false;
    // A couple more intervals of normal life: still the same connection.
    const from = router.messages.length;
    await router.next((m) => isCommand(m.slice(1), 0x02), from).then((h) => router.next((m) => isCommand(m.slice(1), 0x02), h.index + 1));
    expect(misses).toEqual([]);
    expect(worker.stats().connects).toBe(1);
  });

  it("when the queue falls silent: expire, back-off, a fresh socket (new identity) and READY again", async () => {
    const { router, worker, wid } = await setup();
    const reconnects: LinkDisconnectEvent[] = [];
    const readies: LinkReadyEvent[] = [];
    worker.on("disconnect", (e) => reconnects.push(e));
    worker.on("ready", (e) => readies.push(e));
    const sent = await waitFor(
      () => {
        const list = router.messages.filter((m) => isCommand(m.frames.slice(1), 0x01));
        return list.length >= 4 ? list : undefined;
      },
      { timeout: 10_000 },
    );
    const ids = new Set(sent.map((m) => m.frames[0]!.toString("hex")));
    expect(ids.size).toBe(sent.length);
    expect(ids.has(wid.toString("hex"))).toBe(true);
    expect(reconnects.slice(0, 3).map((e) => e.reconnectIn)).toEqual([30, 60, 120]);
    expect(reconnects.slice(0, 3).map((e) => e.reason)).toEqual(["expire", "expire", "expire"]);
    expect(readies.slice(0, 3).map((e) => e.attempt)).toEqual([2, 3, 4]); // attempt 1 was emitted during start()
    // Each new conversation starts only after liveness × interval of silence plus the back-off wait.
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(3 * INTERVAL + 30 - 5);
    expect(worker.stats().expired).toBeGreaterThanOrEqual(3);
  });

  it("drops unknown commands and malformed requests from the queue, and keeps serving", async () => {
    const { router, worker, wid } = await setup();
    heartbeat(router, wid);
    const drops: string[] = [];
    worker.on("drop", (e) => drops.push(e.reason));
    await router.send([wid, Buffer.from([0x09])]);
    await router.send([wid, EMPTY]);
    await router.send([wid, "no", "delimiter"]);
    await waitFor(() => drops.length === 3);
    expect(drops).toEqual(["unknown-command", "malformed-message", "malformed-message"]);
    await router.send([wid, Buffer.from("c"), EMPTY, "ok?"]);
    const reply = await router.next((m) => m.length > 2);
    expect(reply.frames.slice(1).map(String)).toEqual(["c", "", "re", "ok?"]);
    expect(worker.stats().connects).toBe(1);
  });
});
