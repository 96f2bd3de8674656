import { Driver, FRAME_OVERHEAD_BYTES as O, toBuffers, WAKE } from "@zmq-reliable/core";
import { FakeClock } from "@zmq-reliable/core/testing";
import { describe, expect, it } from "vitest";
import { PendingRequests } from "../src/queue-pending-state.js";
import { decodeBackendMessage, decodeFrontendMessage, type QueueAction, type QueueInput, QueueState, type QueueStateEvents, type QueueStateOptions } from "../src/index.js";

const W1 = Buffer.from([0x00, 0, 0, 0, 1]);
const W2 = Buffer.from([0x00, 0, 0, 0, 2]);
const W3 = Buffer.from([0x00, 0, 0, 0, 3]);
const C1 = Buffer.from([0x00, 1, 1, 1, 1]);
const C2 = Buffer.from([0x00, 2, 2, 2, 2]);
const READY = [Buffer.from([0x01])];
const HEARTBEAT = [Buffer.from([0x02])];
const request = (client: Buffer, ...body: string[]) => [client, Buffer.alloc(0), ...body.map((s) => Buffer.from(s))];
const PAUSE = { type: "pause", channel: "frontend" } as const;

/** What the backend ROUTER received from `worker`, as the role feeds it. */
const fromWorker = (worker: Buffer, frames: Buffer[]): QueueInput => ({ type: "message", channel: "backend", message: decodeBackendMessage([worker, ...frames]) });
/** What the frontend ROUTER received, as the role feeds it. */
const fromClient = (frames: Buffer[]): QueueInput => ({ type: "message", channel: "frontend", message: decodeFrontendMessage(frames) });

/** The emit action of `event` with `payload`. */
function emitted<K extends keyof QueueStateEvents>(event: K, payload: QueueStateEvents[K][0]): QueueAction {
  return { type: "emit", event, args: [payload] } as QueueAction;
}

/** The payloads of every `event` emitted in `actions`. */
function events<K extends keyof QueueStateEvents>(actions: QueueAction[], event: K): QueueStateEvents[K][0][] {
  return actions.filter((a) => a.type === "emit" && a.event === event).map((a) => (a as unknown as { args: QueueStateEvents[K] }).args[0]);
}

type Send = Extract<QueueAction, { type: "send" }>;
const backendSends = (actions: QueueAction[]): Send[] => actions.filter((a): a is Send => a.type === "send" && a.channel === "backend");

/** The worker each request sent on the backend goes to, ignoring heartbeats. */
function dispatched(actions: QueueAction[]): { worker: string; frames: Buffer[] }[] {
  return backendSends(actions)
    .filter((a) => a.frames.length > 2)
    .map((a) => ({ worker: toBuffers(a.frames[0]!)[0]!.toString("hex"), frames: toBuffers(a.frames.slice(1)) }));
}

function heartbeatsTo(actions: QueueAction[]): string[] {
  return backendSends(actions)
    .filter((a) => a.frames.length === 2)
    .map((a) => {
      expect(toBuffers(a.frames.slice(1))).toEqual(HEARTBEAT);
      return toBuffers(a.frames[0]!)[0]!.toString("hex");
    });
}

/** A QueueState with the old per-input methods spelled on top of the machine contract. */
function newQueue(now = 0, options: QueueStateOptions = {}) {
  const q = new QueueState({ heartbeatInterval: 1000, liveness: 3, ...options }, now);
  return Object.assign(q, {
    workerMessage: (worker: Buffer, frames: Buffer[], t: number) => q.handle(fromWorker(worker, frames), t),
    clientRequest: (frames: Buffer[], t: number) => q.handle(fromClient(frames), t),
    tick: (t: number) => q.handle(WAKE, t),
  });
}

describe("QueueState: dispatch", () => {
  it("registers workers on READY and dispatches least recently used first (within each group: here every worker has answered once)", () => {
    const q = newQueue();
    expect(q.canAccept).toBe(true); // the frontend is read all the time (but while draining)
    expect(q.workerMessage(W1, READY, 0)).toEqual([emitted("ready", { worker: W1 })]);
    q.workerMessage(W2, READY, 1);
    q.workerMessage(W3, READY, 2);
    expect(q.readyWorkers()).toEqual([W1, W2, W3]);
    // Fresh workers are served least recently used first too; each answers once, in order, so all three are proven.
    for (const [i, w] of [W1, W2, W3].entries()) expect(dispatched(q.clientRequest(request(C1, `w${i}`), 3 + i))[0]!.worker).toBe(w.toString("hex"));
    for (const [i, w] of [W1, W2, W3].entries()) q.workerMessage(w, request(C1, `re:w${i}`), 6 + i);
    expect(q.readyWorkers()).toEqual([W1, W2, W3]);

    const a1 = q.clientRequest(request(C1, "r1"), 10);
    expect(dispatched(a1)).toEqual([{ worker: W1.toString("hex"), frames: request(C1, "r1") }]);
    const a2 = q.clientRequest(request(C2, "r2", "more"), 11);
    expect(dispatched(a2)).toEqual([{ worker: W2.toString("hex"), frames: request(C2, "r2", "more") }]);
    expect(q.readyWorkers()).toEqual([W3]);
    expect(q.busyCount).toBe(2);

    // W2 answers first, so it goes to the back of the list, behind W3.
    expect(q.workerMessage(W2, request(C2, "re2", "x"), 20)).toEqual([{ type: "send", channel: "frontend", frames: request(C2, "re2", "x") }]);
    expect(q.readyWorkers()).toEqual([W3, W2]);
    expect(dispatched(q.clientRequest(request(C1, "r3"), 21))[0]!.worker).toBe(W3.toString("hex"));
    expect(q.stats()).toMatchObject({ requests: 3 + 3, replies: 3 + 1, registrations: 3, dropped: 0 });
  });

  it("holds client requests while no worker is ready and dispatches them, oldest first, when one is", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    expect(q.canAccept).toBe(true);
    // Taking the last ready worker does not stop the frontend being read…
    expect(q.clientRequest(request(C1, "r1"), 1)).toHaveLength(1);
    expect(q.canAccept).toBe(true);
    // …a request that finds no ready worker is held (bytes: envelope and body, plus O per frame)…
    expect(q.clientRequest(request(C2, "r2"), 2)).toEqual([]);
    expect(q.clientRequest(request(C1, "r3", "x"), 3)).toEqual([]);
    expect([q.queuedCount, q.queuedBytes]).toEqual([2, 5 + 2 + 5 + 2 + 1 + 5 * O]);
    // …and handed out, oldest first, as workers become ready.
    const a = q.workerMessage(W1, request(C1, "re1"), 4);
    expect(a[0]).toEqual({ type: "send", channel: "frontend", frames: request(C1, "re1") });
    expect(dispatched(a)).toEqual([{ worker: W1.toString("hex"), frames: request(C2, "r2") }]);
    expect(dispatched(q.workerMessage(W2, READY, 5))).toEqual([{ worker: W2.toString("hex"), frames: request(C1, "r3", "x") }]);
    expect([q.queuedCount, q.queuedBytes]).toEqual([0, 0]);
    expect(q.requestOf(W1)?.since).toBe(4); // when it was handed to the worker
    expect(q.stats()).toMatchObject({ requests: 3, dropped: 0 });
  });

  it("a busy worker's heartbeat keeps it alive but never makes it ready (the ppqueue bug, §4.5)", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.clientRequest(request(C1, "r1"), 10);
    for (let t = 100; t <= 5000; t += 500) {
      expect(q.workerMessage(W1, HEARTBEAT, t)).toEqual([]);
      q.tick(t);
      expect(q.readyCount).toBe(0);
      expect(q.readyWorkers()).toEqual([]);
    }
    expect(q.clientRequest(request(C2, "r2"), 5001)).toEqual([]); // held, not dispatched to the busy worker
    expect(q.queuedCount).toBe(1);
    expect(q.requestOf(W1)?.body.map(String)).toEqual(["r1"]);
    expect(q.stats().workersExpired).toBe(0);
  });

  it("forwards a reply only from the worker holding that client's request; a forged or stale envelope is dropped", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W2, READY, 0);
    // W1 once served C2 (and W2 served C1, answering first: both proven, W2 least recently used).
    q.clientRequest(request(C2, "r0"), 1);
    q.clientRequest(request(C1, "r00"), 1);
    q.workerMessage(W2, request(C1, "re00"), 2);
    q.workerMessage(W1, request(C2, "re0"), 2);
    // Now W2 holds C2's request and W1 holds C1's.
    expect(dispatched(q.clientRequest(request(C2, "r1"), 3))[0]!.worker).toBe(W2.toString("hex"));
    expect(dispatched(q.clientRequest(request(C1, "r2"), 4))[0]!.worker).toBe(W1.toString("hex"));
    // W1 answers C2: dropped, never forwarded; W1 keeps C1's request.
    expect(q.workerMessage(W1, request(C2, "FORGED"), 5)).toEqual([emitted("drop", { reason: "unexpected-reply", worker: W1, error: undefined })]);
    // A longer or shorter envelope than the one held is no match either.
    expect(events(q.workerMessage(W1, [C1, C2, Buffer.alloc(0), Buffer.from("x")], 6), "drop")[0]!.reason).toBe("unexpected-reply");
    expect(events(q.workerMessage(W1, [Buffer.alloc(0), Buffer.from("x")], 7), "drop").length + events(q.workerMessage(W1, [Buffer.from("x")], 7), "drop").length).toBe(2);
    expect(q.requestOf(W1)?.client).toEqual([C1]);
    expect(q.busyCount).toBe(2);
    // The real replies go through.
    expect(q.workerMessage(W2, request(C2, "re1"), 8)[0]).toEqual({ type: "send", channel: "frontend", frames: request(C2, "re1") });
    expect(q.workerMessage(W1, request(C1, "re2"), 9)[0]).toEqual({ type: "send", channel: "frontend", frames: request(C1, "re2") });
    expect(q.stats()).toMatchObject({ replies: 3 + 1, dropped: 4 });
    expect(q.stats().drops["unexpected-reply"]).toBe(2);
  });

  it("forwards multi-hop envelopes whole", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    const msg = [Buffer.from("hop1"), Buffer.from("hop2"), Buffer.alloc(0), Buffer.from("a"), Buffer.from("b")];
    expect(dispatched(q.clientRequest(msg, 1))[0]!.frames).toEqual(msg);
    expect(q.workerMessage(W1, msg, 2)).toEqual([{ type: "send", channel: "frontend", frames: msg }]);
  });
});

describe("QueueState: heartbeats and expiry", () => {
  it("heartbeats idle and busy workers every interval, and nobody when there are no workers", () => {
    const q = newQueue();
    expect(q.wakeAt()).toBe(Number.POSITIVE_INFINITY);
    expect(q.tick(1000)).toEqual([]);
    q.workerMessage(W1, READY, 1500);
    q.workerMessage(W2, READY, 1500);
    q.clientRequest(request(C1, "r1"), 1600); // W1 busy
    expect(q.wakeAt()).toBe(2000);
    expect(heartbeatsTo(q.tick(2000)).sort()).toEqual([W1.toString("hex"), W2.toString("hex")]);
    expect(q.wakeAt()).toBe(3000);
    expect(q.tick(2999)).toEqual([]);
    q.workerMessage(W1, HEARTBEAT, 2999);
    q.workerMessage(W2, HEARTBEAT, 2999);
    expect(heartbeatsTo(q.tick(3000))).toHaveLength(2);
    expect(q.stats()).toMatchObject({ heartbeatsSent: 4, heartbeatsReceived: 2 });
  });

  it("expires an idle worker after exactly liveness × interval of silence", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W1, HEARTBEAT, 1000);
    expect(q.ttl).toBe(3000);
    expect(events(q.tick(3999), "expire")).toEqual([]);
    const actions = q.tick(4000);
    expect(actions).toContainEqual(emitted("expire", { worker: W1, busy: false, silentFor: 3000 }));
    expect(events(actions, "request-lost")).toEqual([]);
    expect(q.workerCount).toBe(0);
    expect(q.readyCount).toBe(0);
    // It is never sent anything again: no heartbeats, no work.
    expect(q.tick(10_000)).toEqual([]);
    expect(q.wakeAt()).toBe(Number.POSITIVE_INFINITY);
  });

  it("expires a busy worker and names the request it lost", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W2, READY, 0);
    q.clientRequest(request(C1, "lost", "frames"), 500);
    q.workerMessage(W2, HEARTBEAT, 2500);
    expect(q.wakeAt()).toBe(1000);
    const actions = q.tick(3000);
    expect(actions).toContainEqual(emitted("expire", { worker: W1, busy: true, silentFor: 3000 }));
    expect(actions).toContainEqual(
      emitted("request-lost", {
        worker: W1,
        cause: "expired",
        client: [C1],
        request: [Buffer.from("lost"), Buffer.from("frames")],
        since: 500,
      }),
    );
    expect(q.workerCount).toBe(1);
    expect(q.stats()).toMatchObject({ workersExpired: 1, requestsLost: 1 });
    // A late reply from the expired worker is dropped, not forwarded.
    expect(q.workerMessage(W1, request(C1, "late"), 3100)).toMatchObject([{ type: "emit", event: "drop", args: [{ reason: "unknown-worker" }] }]);
  });

  it("expires workers oldest first and keeps the next deadline exact", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W2, READY, 100);
    q.workerMessage(W3, READY, 200);
    q.workerMessage(W1, HEARTBEAT, 250);
    expect(q.wakeAt()).toBe(1000); // heartbeat first
    q.tick(1000);
    expect(q.wakeAt()).toBe(2000);
    q.tick(2000);
    expect(q.wakeAt()).toBe(3000);
    q.tick(3000);
    expect(q.wakeAt()).toBe(3100); // W2's expiry comes before the next heartbeat
    const expired = events([...q.tick(3200), ...q.tick(3250)], "expire").map((e) => e.worker);
    expect(expired).toEqual([W2, W3, W1]);
  });

  it("a READY from a worker holding a request means it restarted: with maxAttempts 1, the request is lost", () => {
    const q = newQueue(0, { maxAttempts: 1 });
    q.workerMessage(W1, READY, 0);
    q.clientRequest(request(C1, "r1"), 10);
    const actions = q.workerMessage(W1, READY, 20);
    expect(actions).toEqual([
      emitted("request-lost", { worker: W1, cause: "restarted", client: [C1], request: [Buffer.from("r1")], since: 10 }),
      emitted("ready", { worker: W1 }),
    ]);
    expect(q.readyWorkers()).toEqual([W1]);
    // A repeated READY from an idle worker changes nothing.
    expect(q.workerMessage(W1, READY, 30)).toEqual([]);
    expect(q.workerCount).toBe(1);
  });

  it("an expired worker that says READY again is registered afresh", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.tick(3000);
    expect(q.workerCount).toBe(0);
    expect(q.workerMessage(W1, HEARTBEAT, 3100)).toMatchObject([{ type: "emit", event: "drop", args: [{ reason: "unknown-worker" }] }]);
    expect(q.workerMessage(W1, READY, 3200)).toEqual([emitted("ready", { worker: W1 })]);
    expect(q.readyWorkers()).toEqual([W1]);
  });

  it("close reports every held request as lost", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W2, READY, 0);
    q.clientRequest(request(C1, "r1"), 10);
    expect(q.handle({ type: "close" }, 20)).toEqual([
      emitted("request-lost", { worker: W1, cause: "closed", client: [C1], request: [Buffer.from("r1")], since: 10 }),
    ]);
    expect(q.workerCount).toBe(0);
    expect(q.wakeAt()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("QueueState: bad input", () => {
  it("drops and counts malformed backend traffic without disturbing registered workers", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    const drops = [
      q.workerMessage(W1, [Buffer.from([0x07])], 1), // unknown command
      q.workerMessage(W1, [Buffer.alloc(0)], 2), // empty message
      q.workerMessage(W1, [Buffer.from("no"), Buffer.from("delimiter")], 3),
      q.workerMessage(W2, HEARTBEAT, 4), // never said READY
      q.workerMessage(W2, request(C1, "reply"), 5), // reply from an unknown worker
      q.workerMessage(W1, request(C1, "reply"), 6), // reply from an idle worker
      q.clientRequest([C1, Buffer.from("no delimiter")], 7),
    ].map((actions) => {
      expect(actions).toHaveLength(1);
      return events(actions, "drop")[0]!.reason;
    });
    expect(drops).toEqual(["unknown-command", "malformed-message", "malformed-message", "unknown-worker", "unknown-worker", "unexpected-reply", "malformed-request"]);
    expect(q.stats().dropped).toBe(7);
    expect(q.stats().drops).toEqual({
      "malformed-request": 1,
      "no-worker": 0,
      "too-large": 0,
      "queue-full": 0,
      "client-full": 0,
      expired: 0,
      "unknown-command": 1,
      "malformed-message": 2,
      "unknown-worker": 2,
      "unexpected-reply": 1,
    });
    // Malformed messages do not count as signs of life; the unexpected reply (well-formed) does.
    expect(q.readyWorkers()).toEqual([W1]);
    expect(events(q.tick(3005), "expire")).toHaveLength(0);
    expect(events(q.tick(3006), "expire")).toHaveLength(1);
  });

  it("rejects bad options", () => {
    expect(() => new QueueState({ heartbeatInterval: 0 }, 0)).toThrow(/heartbeatInterval/);
    expect(() => new QueueState({ liveness: 0 }, 0)).toThrow(/liveness/);
    expect(() => new QueueState({ maxQueued: -1 }, 0)).toThrow(/maxQueued/);
    expect(() => new QueueState({ maxQueuedBytes: Number.NaN }, 0)).toThrow(/maxQueuedBytes/);
    expect(() => new QueueState({ maxRequestBytes: 0 }, 0)).toThrow(/maxRequestBytes/);
    expect(() => new QueueState({ requestExpiry: 0 }, 0)).toThrow(/requestExpiry/);
  });
});

describe("QueueState: the machine contract", () => {
  it("drain stops dispatching and reports `drained` once no worker holds a request", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W2, READY, 0);
    q.clientRequest(request(C1, "r1"), 10);
    expect(q.handle({ type: "drain" }, 20)).toEqual([PAUSE]);
    expect(q.canAccept).toBe(false);
    // W2 is ready, but a request read while draining is not dispatched.
    expect(q.clientRequest(request(C2, "r2"), 21)).toEqual([emitted("drop", { reason: "no-worker", worker: undefined, error: undefined, client: [C2] })]);
    expect(q.workerMessage(W1, request(C1, "re1"), 30)).toEqual([{ type: "send", channel: "frontend", frames: request(C1, "re1") }, { type: "drained" }]);
    expect(q.workerMessage(W1, HEARTBEAT, 40)).toEqual([]); // reported once
    expect(newQueue().handle({ type: "drain" }, 0)).toEqual([PAUSE, { type: "drained" }]);
  });

  it("runs under core's Driver with a FakeClock: wakeAt() schedules heartbeats and expiry", () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    const errors: string[] = [];
    const driver = new Driver(new QueueState({ heartbeatInterval: 100, liveness: 3 }, clock.now()), {
      clock,
      emit: (event, payload) => seen.push(`${clock.now()} ${event} ${JSON.stringify((payload as { silentFor?: number }).silentFor ?? null)}`),
      perform: (action) => seen.push(`${clock.now()} ${action.type}`),
      onError: (error) => errors.push(error.message), // no channels attached: sends fail here
    });
    clock.advance(50);
    driver.feed(fromWorker(W1, READY));
    clock.advance(100); // 150: one heartbeat, at 100 (the schedule started at 0)
    clock.advance(199); // 349: two more, at 200 and 300; still alive
    expect(seen).toEqual(["50 ready null"]);
    clock.advance(1); // 350 = 50 + 3 × 100: expired
    expect(seen).toEqual(["50 ready null", "350 expire 300"]);
    expect(errors).toHaveLength(3); // the three heartbeats: no channel is attached, so each send fails here
    driver.close();
  });
});

describe("QueueState: bounded memory and request expiry (issue 11, finding 4)", () => {
  /** A queue with small limits; C1/C2 ids are 5 bytes, so `request(C, "r")` counts 6 bytes plus O for each of its 2 frames. */
  function limited(options: { maxQueued?: number; maxQueuedBytes?: number; maxQueuedPerClient?: number; maxRequestBytes?: number; requestExpiry?: number }) {
    const q = new QueueState({ heartbeatInterval: 1000, liveness: 3, ...options }, 0);
    return Object.assign(q, {
      workerMessage: (worker: Buffer, frames: Buffer[], t: number) => q.handle(fromWorker(worker, frames), t),
      clientRequest: (frames: Buffer[], t: number) => q.handle(fromClient(frames), t),
    });
  }

  it("refuses a request larger than maxRequestBytes (envelope and body), whether or not a worker is ready", () => {
    const q = limited({ maxRequestBytes: 10 + 2 * O });
    expect(q.clientRequest(request(C1, "12345"), 1)).toEqual([]); // 10 + 2 O bytes: held
    expect(q.clientRequest(request(C1, "123456"), 2)).toEqual([emitted("drop", { reason: "too-large", worker: undefined, error: undefined, client: [C1] })]);
    q.workerMessage(W1, READY, 3);
    q.workerMessage(W1, request(C1, "re"), 4);
    expect(events(q.clientRequest(request(C2, "12", "3456"), 5), "drop").map((d) => d.reason)).toEqual(["too-large"]);
    expect(q.stats()).toMatchObject({ requests: 1, dropped: 2 });
    expect(q.stats().drops["too-large"]).toBe(2);
    expect(q.readyWorkers()).toEqual([W1]);
  });

  it("holds at most maxQueued requests and maxQueuedBytes bytes; past either a request is dropped (queue-full)", () => {
    const byCount = limited({ maxQueued: 2 });
    expect(byCount.clientRequest(request(C1, "a"), 1)).toEqual([]);
    expect(byCount.clientRequest(request(C2, "b"), 2)).toEqual([]);
    expect(byCount.clientRequest(request(C1, "c"), 3)).toEqual([emitted("drop", { reason: "queue-full", worker: undefined, error: undefined, client: [C1] })]);
    expect(byCount.queuedCount).toBe(2);

    const byBytes = limited({ maxQueuedBytes: 20 + 4 * O });
    expect(byBytes.clientRequest(request(C1, "123456789"), 1)).toEqual([]); // 14 + 2 O bytes
    expect(events(byBytes.clientRequest(request(C2, "1234567"), 2), "drop").map((d) => d.reason)).toEqual(["queue-full"]); // 14 + 12 > 20 (+ 4 O)
    expect(byBytes.clientRequest(request(C2, "1"), 3)).toEqual([]); // 14 + 6 = 20 (+ 4 O)
    expect([byBytes.queuedCount, byBytes.queuedBytes]).toEqual([2, 20 + 4 * O]);
    expect(byBytes.stats().drops["queue-full"]).toBe(1);
    // Dispatching frees the room again.
    expect(dispatched(byBytes.workerMessage(W1, READY, 4))).toHaveLength(1);
    expect(byBytes.queuedBytes).toBe(6 + 2 * O);
    expect(byBytes.clientRequest(request(C1, "1234567"), 5)).toEqual([]);

    // maxQueued 0: nothing is held; requests go straight to a ready worker or are dropped.
    const none = limited({ maxQueued: 0 });
    expect(events(none.clientRequest(request(C1, "a"), 1), "drop").map((d) => d.reason)).toEqual(["queue-full"]);
    none.workerMessage(W1, READY, 2);
    expect(dispatched(none.clientRequest(request(C1, "b"), 3))).toHaveLength(1);
  });

  it("holds at most maxQueuedPerClient requests per client connection, so one client cannot fill the queue (client-full)", () => {
    const q = limited({ maxQueued: 10, maxQueuedPerClient: 2 });
    const hop = [C1, Buffer.from("behind a hop"), Buffer.alloc(0), Buffer.from("h")]; // counts against C1's connection
    expect(q.clientRequest(request(C1, "1"), 1)).toEqual([]);
    expect(q.clientRequest(hop, 2)).toEqual([]);
    expect(q.clientRequest(request(C1, "3"), 3)).toEqual([emitted("drop", { reason: "client-full", worker: undefined, error: undefined, client: [C1] })]);
    expect(q.clientRequest(request(C2, "a"), 4)).toEqual([]); // another client is still held
    expect(q.stats().drops["client-full"]).toBe(1);
    // Dispatching one of C1's frees one of its places.
    q.workerMessage(W1, READY, 5);
    expect(q.clientRequest(request(C1, "4"), 6)).toEqual([]);
    expect(events(q.clientRequest(request(C1, "5"), 7), "drop").map((d) => d.reason)).toEqual(["client-full"]);
    // Expiry frees places too.
    q.handle(WAKE, 10_007);
    expect(q.queuedCount).toBe(0);
    expect(q.clientRequest(request(C1, "6"), 10_008)).toEqual([]);
  });

  it("never dispatches a held request older than requestExpiry: a worker attaching later gets only fresh ones", () => {
    const q = limited({ requestExpiry: 1000 });
    q.clientRequest(request(C1, "old"), 0);
    q.clientRequest(request(C2, "fresh"), 800);
    expect(q.wakeAt()).toBe(1000); // the oldest held request's expiry
    const woken = q.handle(WAKE, 1000);
    expect(woken).toEqual([emitted("drop", { reason: "expired", worker: undefined, error: undefined, client: [C1] })]);
    expect(q.wakeAt()).toBe(1800);
    const a = q.workerMessage(W1, READY, 1500);
    expect(dispatched(a)).toEqual([{ worker: W1.toString("hex"), frames: request(C2, "fresh") }]);
    expect(q.stats()).toMatchObject({ requests: 1, dropped: 1 });
    expect(q.stats().drops.expired).toBe(1);
  });

  it("checks expiry when a worker becomes ready even before the wake-up ran", () => {
    const q = limited({ requestExpiry: 1000 });
    q.clientRequest(request(C1, "old"), 0);
    q.clientRequest(request(C2, "old too"), 10);
    q.clientRequest(request(C1, "fresh"), 900);
    const a = q.workerMessage(W1, READY, 1010); // no wake at 1000 or 1010 happened
    expect(events(a, "drop").map((d) => [d.reason, d.client])).toEqual([
      ["expired", [C1]],
      ["expired", [C2]],
    ]);
    expect(dispatched(a).map((d) => d.frames)).toEqual([request(C1, "fresh")]);
  });

  it("drain drops what is held (no-worker): nothing is dispatched while closing", () => {
    const q = limited({});
    q.clientRequest(request(C1, "a"), 1);
    expect(q.handle({ type: "drain" }, 2)).toEqual([
      emitted("drop", { reason: "no-worker", worker: undefined, error: undefined, client: [C1] }),
      { type: "pause", channel: "frontend" },
      { type: "drained" },
    ]);
    expect(q.queuedCount).toBe(0);
  });

  it("runs under core's Driver with a FakeClock: held requests expire on time", () => {
    const clock = new FakeClock(0);
    const drops: string[] = [];
    const driver = new Driver(new QueueState({ heartbeatInterval: 100, liveness: 3, requestExpiry: 250 }, clock.now()), {
      clock,
      emit: (event, payload) => drops.push(`${clock.now()} ${event} ${(payload as { reason?: string }).reason}`),
      perform: () => {},
      onError: () => {},
    });
    driver.feed(fromClient(request(C1, "a")));
    clock.advance(100);
    driver.feed(fromClient(request(C2, "b")));
    clock.advance(149);
    expect(drops).toEqual([]);
    clock.advance(1); // 250
    expect(drops).toEqual(["250 drop expired"]);
    clock.advance(100); // 350
    expect(drops).toEqual(["250 drop expired", "350 drop expired"]);
    driver.close();
  });
});

describe("QueueState: workers that give requests back, and workers that never answer (issue 11, hostile PPP worker)", () => {
  const W4 = Buffer.from([0x00, 0, 0, 0, 4]);
  const hexOf = (w: Buffer) => w.toString("hex");
  /** `worker` answers the request it holds for `client` (whose body was `body`). */
  const answer = (q: ReturnType<typeof newQueue>, worker: Buffer, client: Buffer, t: number) => q.workerMessage(worker, request(client, "answer"), t);

  it("a READY from a busy worker re-queues its request at the front and hands it to another ready worker (retry), not losing it", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W2, READY, 0);
    expect(dispatched(q.clientRequest(request(C1, "r1", "x"), 10))[0]!.worker).toBe(hexOf(W1));
    const actions = q.workerMessage(W1, READY, 20);
    expect(actions).toEqual([
      emitted("retry", { client: [C1], request: [Buffer.from("r1"), Buffer.from("x")], attempt: 2, previous: W1, reason: "restarted" }),
      emitted("ready", { worker: W1 }),
      { type: "send", channel: "backend", frames: [W2, ...request(C1, "r1", "x")] },
    ]);
    expect(events(actions, "request-lost")).toEqual([]);
    expect(q.requestOf(W2)).toMatchObject({ client: [C1], since: 20, arrived: 10, attempts: 2 });
    expect(q.readyWorkers()).toEqual([W1]);
    // W2 answers: the client gets its reply.
    expect(answer(q, W2, C1, 30)).toEqual([{ type: "send", channel: "frontend", frames: request(C1, "answer") }]);
    expect(q.stats()).toMatchObject({ requests: 2, replies: 1, retries: 1, requestsLost: 0, dropped: 0 });
  });

  it("a re-queued request goes before newer held requests, and back to the worker that gave it up only when no other is ready", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W2, READY, 0);
    q.clientRequest(request(C1, "old"), 10); // → W1
    q.clientRequest(request(C2, "busy"), 11); // → W2
    expect(q.clientRequest(request(C2, "newer"), 12)).toEqual([]); // held: nobody ready
    // W1 gives "old" back; it is the only ready worker, so "old" (not "newer") goes back to it.
    const a = q.workerMessage(W1, READY, 20);
    expect(events(a, "retry").map((e) => e.attempt)).toEqual([2]);
    expect(dispatched(a)).toEqual([{ worker: hexOf(W1), frames: request(C1, "old") }]);
    expect(q.queuedCount).toBe(1);
    // W2 answers and takes "newer".
    expect(dispatched(answer(q, W2, C2, 30))).toEqual([{ worker: hexOf(W2), frames: request(C2, "newer") }]);
    expect(q.stats()).toMatchObject({ retries: 1, requestsLost: 0 });
    expect(q.queuedCount).toBe(0);
  });

  it("avoids the worker that gave a request up even when it would be next (it is proven, the other is not)", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0);
    q.clientRequest(request(C1, "warm-up"), 1);
    answer(q, W1, C1, 2); // W1 is proven
    q.workerMessage(W2, READY, 3); // W2 is fresh
    expect(q.readyWorkers()).toEqual([W1, W2]);
    expect(dispatched(q.clientRequest(request(C2, "r"), 4))[0]!.worker).toBe(hexOf(W1));
    // W1 gives it back: it is proven, so it goes before W2 in the ready list, yet the request goes to W2.
    const a = q.workerMessage(W1, READY, 5);
    expect(dispatched(a)).toEqual([{ worker: hexOf(W2), frames: request(C2, "r") }]);
    expect(q.readyWorkers()).toEqual([W1]); // still proven: a READY does not undo its earlier answers
    // The next new request goes to W1 as usual.
    expect(dispatched(q.clientRequest(request(C1, "next"), 6))[0]!.worker).toBe(hexOf(W1));
  });

  it("a request handed to maxAttempts workers that each gave it up is lost (request-lost, cause restarted)", () => {
    const q = newQueue(0, { maxAttempts: 3 });
    expect(q.maxAttempts).toBe(3);
    for (const w of [W1, W2, W3, W4]) q.workerMessage(w, READY, 0);
    expect(dispatched(q.clientRequest(request(C1, "cursed"), 10))[0]!.worker).toBe(hexOf(W1));
    expect(dispatched(q.workerMessage(W1, READY, 11))[0]!.worker).toBe(hexOf(W2)); // attempt 2
    const third = q.workerMessage(W2, READY, 12);
    expect(events(third, "retry").map((e) => [e.attempt, hexOf(e.previous)])).toEqual([[3, hexOf(W2)]]);
    expect(dispatched(third)[0]!.worker).toBe(hexOf(W3));
    expect(q.requestOf(W3)?.attempts).toBe(3);
    // The third worker gives it up too: it is spent.
    const last = q.workerMessage(W3, READY, 13);
    expect(last).toEqual([
      emitted("request-lost", { worker: W3, cause: "restarted", client: [C1], request: [Buffer.from("cursed")], since: 12 }),
      emitted("ready", { worker: W3 }),
    ]);
    expect(q.stats()).toMatchObject({ requests: 3, retries: 2, requestsLost: 1 });
    expect(q.busyCount).toBe(0);
    expect(() => new QueueState({ maxAttempts: 0 }, 0)).toThrow(/maxAttempts/);
  });

  it("dispatch prefers proven workers: one that never answers gets work only while every proven worker is busy", () => {
    const q = newQueue();
    q.workerMessage(W1, READY, 0); // a fake: never answers
    q.workerMessage(W2, READY, 1);
    q.workerMessage(W3, READY, 2);
    // Before anyone has answered, plain LRU: W1 first. W1 gives it back, W2 takes it and answers.
    q.clientRequest(request(C1, "a"), 10);
    expect(dispatched(q.workerMessage(W1, READY, 11))[0]!.worker).toBe(hexOf(W2));
    answer(q, W2, C1, 12);
    // W2 is proven: it goes before W1 and W3 (which keep their LRU order among themselves).
    expect(q.readyWorkers()).toEqual([W2, W3, W1]);
    for (let t = 20; t < 30; t++) {
      q.workerMessage(W1, READY, t); // the fake keeps saying READY: it keeps no place of honour
      expect(dispatched(q.clientRequest(request(C1, `r${t}`), t))[0]!.worker).toBe(hexOf(W2));
      answer(q, W2, C1, t);
    }
    // Two at once: W2 is busy with the first, so the second goes to the least recently used fresh worker, W3.
    q.clientRequest(request(C1, "p"), 40);
    expect(dispatched(q.clientRequest(request(C2, "q"), 41))[0]!.worker).toBe(hexOf(W3));
    answer(q, W3, C2, 42);
    expect(q.readyWorkers()).toEqual([W3, W1]); // W3 proven now, W1 still not
    expect(q.requestOf(W1)).toBeUndefined();
    expect(q.stats()).toMatchObject({ retries: 1, requestsLost: 0 });
  });

  it("re-queued requests count against maxQueued and maxQueuedBytes: when they do not fit, the request is lost", () => {
    const q = newQueue(0, { maxQueued: 1 });
    q.workerMessage(W1, READY, 0);
    q.clientRequest(request(C1, "given up"), 1); // → W1
    expect(q.clientRequest(request(C2, "held"), 2)).toEqual([]); // fills maxQueued
    const a = q.workerMessage(W1, READY, 3);
    expect(events(a, "request-lost").map((e) => [e.cause, e.request.map(String)])).toEqual([["restarted", ["given up"]]]);
    expect(events(a, "retry")).toEqual([]);
    expect(dispatched(a)).toEqual([{ worker: hexOf(W1), frames: request(C2, "held") }]); // W1 takes the held one instead

    const bytes = newQueue(0, { maxQueuedBytes: 5 }); // a request counts 5 (id) + its body
    bytes.workerMessage(W1, READY, 0);
    bytes.clientRequest(request(C1, "x"), 1);
    expect(events(bytes.workerMessage(W1, READY, 2), "request-lost")).toHaveLength(1);
    expect([bytes.queuedCount, bytes.queuedBytes]).toEqual([0, 0]);
  });

  it("a given-up request older than requestExpiry (counted from its arrival) is lost, not re-dispatched; so is one given up while draining", () => {
    const q = newQueue(0, { requestExpiry: 1000 });
    q.workerMessage(W1, READY, 0);
    q.workerMessage(W2, READY, 0);
    q.clientRequest(request(C1, "slow"), 10);
    q.workerMessage(W1, HEARTBEAT, 900);
    const late = q.workerMessage(W1, READY, 1010);
    expect(events(late, "request-lost").map((e) => e.cause)).toEqual(["restarted"]);
    expect(dispatched(late)).toEqual([]);
    // Just in time, it is re-dispatched; it then keeps its arrival time.
    q.clientRequest(request(C2, "on time"), 1100);
    const ok = q.workerMessage(W2, READY, 2099);
    expect(dispatched(ok)[0]!.frames).toEqual(request(C2, "on time"));
    expect(q.requestOf(W1)).toMatchObject({ arrived: 1100, since: 2099 });

    q.handle({ type: "drain" }, 2100);
    const draining = q.workerMessage(W1, READY, 2101);
    expect(events(draining, "request-lost").map((e) => e.cause)).toEqual(["restarted"]);
    expect(draining).toContainEqual({ type: "drained" });
    expect(q.stats()).toMatchObject({ retries: 1, requestsLost: 2 });
  });

  it("PendingRequests: re-queued requests go first (by arrival), count against the same limits, and expire by arrival", () => {
    const at = (client: Buffer, body: string, arrived: number) => ({ client: [client], body: [Buffer.from(body)], since: arrived, arrived, attempts: 1 });
    const p = new PendingRequests(3, 30, 100, 1);
    expect(p.push(at(C1, "new", 50), 6)).toBe("held");
    expect(p.requeue(at(C2, "late", 40), 6, "w2")).toBe("held");
    expect(p.requeue(at(C1, "early", 20), 6, "w1")).toBe("held"); // over C1's share of new requests: not refused, it was taken once
    expect(p.requeue(at(C2, "no room", 10), 6, "w3")).toBe("full"); // maxCount
    expect([p.length, p.bytes]).toEqual([3, 18]);
    expect(p.push(at(C2, "full", 60), 6)).toBe("full");
    expect(p.nextExpiry()).toBe(120);
    expect(p.popExpired(145).map((r) => r.body.map(String))).toEqual([["early"], ["late"]]);
    expect(p.nextExpiry()).toBe(150);
    expect(p.requeue(at(C2, "again", 45), 6, "w4")).toBe("held");
    expect(p.shift()).toMatchObject({ request: { body: [Buffer.from("again")] }, avoid: "w4" });
    expect(p.shift()).toEqual({ request: at(C1, "new", 50) });
    expect([p.length, p.bytes, p.shift()]).toEqual([0, 0, undefined]);
    expect(new PendingRequests(10, 10, 100).requeue(at(C1, "too big", 1), 11, "w")).toBe("full"); // maxBytes
  });
});

describe("QueueState: fairness between clients while requests are held (issue 11, found by npm run fuzz)", () => {
  const C3 = Buffer.from([0x00, 3, 3, 3, 3]);

  it("serves the clients' lines in turn: a flooding client delays only itself", () => {
    const q = newQueue(0, { maxQueued: 100 });
    for (let i = 0; i < 5; i++) q.clientRequest(request(C1, `flood ${i}`), i); // C1 floods while no worker is ready
    q.clientRequest(request(C2, "one"), 10);
    q.clientRequest(request(C1, "flood 5"), 11);
    q.clientRequest(request(C3, "other"), 12);
    const served: string[] = [];
    for (let i = 0; i < 8; i++) {
      const w = Buffer.from([0x01, 0, 0, 0, i]);
      served.push(...dispatched(q.workerMessage(w, READY, 20 + i)).map((d) => d.frames.slice(2).map(String).join()));
    }
    expect(served).toEqual(["flood 0", "one", "other", "flood 1", "flood 2", "flood 3", "flood 4", "flood 5"]);
  });

  it("when full, a client with fewer held requests takes the place of the longest line's newest (queue-full for that one)", () => {
    const q = newQueue(0, { maxQueued: 4 });
    for (let i = 0; i < 3; i++) q.clientRequest(request(C1, `c1 ${i}`), i);
    q.clientRequest(request(C2, "c2 0"), 3); // full: C1 3, C2 1
    const a = q.clientRequest(request(C3, "c3 0"), 4);
    expect(a).toEqual([emitted("drop", { reason: "queue-full", worker: undefined, error: undefined, client: [C1] })]);
    expect(q.queuedCount).toBe(4); // C1 2, C2 1, C3 1
    // Now no line is longer than C2's by more than one: C2's next request is refused, not C1's.
    expect(events(q.clientRequest(request(C2, "c2 1"), 5), "drop").map((d) => [d.reason, d.client])).toEqual([["queue-full", [C2]]]);
    // C1 itself never pushes out its own requests.
    expect(events(q.clientRequest(request(C1, "c1 3"), 6), "drop").map((d) => d.client)).toEqual([[C1]]);
    const served: string[] = [];
    for (let i = 0; i < 4; i++) served.push(...dispatched(q.workerMessage(Buffer.from([0x01, 0, 0, 0, i]), READY, 10 + i)).map((d) => d.frames.slice(2).map(String).join()));
    expect(served).toEqual(["c1 0", "c2 0", "c3 0", "c1 1"]); // "c1 2", the newest, made room for C3
    expect(q.stats().drops["queue-full"]).toBe(3);
  });

  it("counts every frame, not only its bytes: requests of empty frames hit the byte limits (found by npm run fuzz)", () => {
    const q = newQueue(0, { maxQueuedBytes: 100 * O, maxRequestBytes: 100 * O });
    const empties = Array.from({ length: 60 }, () => "");
    expect(q.clientRequest(request(C1, ...empties), 1)).toEqual([]); // 61 frames with the envelope
    expect(events(q.clientRequest(request(C2, ...empties), 2), "drop").map((d) => d.reason)).toEqual(["queue-full"]);
    expect(events(q.clientRequest(request(C2, ...empties, ...empties), 3), "drop").map((d) => d.reason)).toEqual(["too-large"]);
    expect([q.queuedCount, q.queuedBytes]).toEqual([1, 5 + 61 * O]);
  });

  it("makes room by bytes too, and never for a request larger than maxQueuedBytes", () => {
    const q = newQueue(0, { maxQueuedBytes: 30 + 8 * O }); // request(C, "r") counts 6 bytes + 2 O
    for (let i = 0; i < 4; i++) q.clientRequest(request(C1, `${i}`), i); // 24 bytes + 8 O
    const a = q.clientRequest(request(C2, "1234567"), 5); // 12 bytes + 2 O: 36 > 30 (+ 10 O > 8 O), one of C1's goes
    expect(events(a, "drop").map((d) => d.client)).toEqual([[C1]]);
    expect([q.queuedCount, q.queuedBytes]).toEqual([4, 30 + 8 * O]);
    const huge = newQueue(0, { maxQueuedBytes: 10 + 4 * O, maxRequestBytes: 2000 }); // room for two request(C, "")
    for (let i = 0; i < 3; i++) huge.clientRequest(request(C1, ""), i);
    expect(events(huge.clientRequest(request(C2, "x".repeat(600)), 5), "drop").map((d) => d.client)).toEqual([[C2]]); // 605 + 2 O > 10 + 4 O
    expect(huge.queuedCount).toBe(2);
  });
});
