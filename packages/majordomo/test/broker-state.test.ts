import type { AdmissionRequest, Frame } from "@zmq-reliable/core";
import { BackpressureError, EMPTY, FRAME_OVERHEAD_BYTES as O, UnreachableError } from "@zmq-reliable/core";
import { MachineHarness } from "@zmq-reliable/core/testing";
import { describe, expect, it } from "vitest";
import type { BrokerAction, BrokerInput, BrokerStateEvent, BrokerStateOptions } from "../src/index.js";
import { BrokerState } from "../src/index.js";
import { bufs, int, rng, show } from "./helpers.js";

const HB = 100;
const LIVENESS = 3;
const TTL = HB * LIVENESS;
const EXPIRY = 500;

/** The broker state plus what core's driver does with it (core's MachineHarness: one wake-up timer on a fake clock), actions performed in order. */
function harness(options: Partial<BrokerStateOptions> = {}) {
  const sent: Buffer[][] = [];
  const events: BrokerStateEvent[] = [];
  const perform = (action: BrokerAction) => {
    if (action.type === "send") sent.push(bufs(action.frames));
    else events.push(action.args[0] as BrokerStateEvent);
  };
  const h = new MachineHarness(
    (now) => new BrokerState({ heartbeatInterval: HB, liveness: LIVENESS, requestExpiry: EXPIRY, maxAttempts: 3, ...options }, now),
    { start: 1000, perform },
  );
  const feed = (input: BrokerInput) => h.feed(input);
  const { clock, machine: state } = h;
  return {
    clock,
    state,
    events,
    sent,
    /** Feeds one ROUTER message, as the driver does. */
    recv(...frames: Frame[]) {
      feed({ type: "message", channel: "router", message: bufs(frames) });
    },
    /** Feeds the shutdown command. */
    shutdown() {
      feed({ type: "shutdown" });
    },
    /** Returns and clears what was sent, rendered for assertions. */
    take(): string[][] {
      return sent.splice(0).map(show);
    },
    /** Returns and clears the events. */
    takeEvents(): BrokerStateEvent[] {
      return events.splice(0);
    },
  };
}

// Peers' messages as the broker's ROUTER receives them.
const byte = (n: number) => Buffer.from([n]);
const C = (id: string, service: string, ...body: Frame[]) => [id, EMPTY, "MDPC01", service, ...body];
const READY = (id: string, service: string) => [id, EMPTY, "MDPW01", byte(1), service];
const REPLY = (id: string, client: string, ...body: Frame[]) => [id, EMPTY, "MDPW01", byte(3), client, EMPTY, ...body];
const HEARTBEAT = (id: string) => [id, EMPTY, "MDPW01", byte(4)];
const DISCONNECT = (id: string) => [id, EMPTY, "MDPW01", byte(5)];
// What the broker sends, rendered by show().
const toWorker = (wid: string, cid: string, ...body: string[]) => [wid, "", "MDPW01", "0x02", cid, "", ...body];
const toClient = (cid: string, service: string, ...body: string[]) => [cid, "", "MDPC01", service, ...body];
const disconnect = (wid: string) => [wid, "", "MDPW01", "0x05"];
const heartbeat = (wid: string) => [wid, "", "MDPW01", "0x04"];

describe("BrokerState: dispatch", () => {
  it("hands a request to a waiting worker and the reply to the client, byte for byte", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    expect(h.take()).toEqual([]); // no reply to READY
    expect(h.takeEvents()).toEqual([{ type: "ready", worker: Buffer.from("W1").toString("hex"), service: "echo" }]);
    h.recv(...C("C1", "echo", "hello", "world"));
    expect(h.take()).toEqual([toWorker("W1", "C1", "hello", "world")]);
    h.recv(...REPLY("W1", "C1", "HELLO", "WORLD"));
    expect(h.take()).toEqual([toClient("C1", "echo", "HELLO", "WORLD")]);
    expect(h.state.stats()).toMatchObject({ workers: 1, idleWorkers: 1, requests: 1, dispatched: 1, replies: 1, dropped: 0 });
  });

  it("queues requests until a worker registers, then serves them in order", () => {
    const h = harness();
    h.recv(...C("C1", "echo", "1"));
    h.recv(...C("C2", "echo", "2"));
    expect(h.take()).toEqual([]);
    expect(h.state.stats().queued).toBe(2);
    h.recv(...READY("W1", "echo"));
    expect(h.take()).toEqual([toWorker("W1", "C1", "1")]);
    h.recv(...REPLY("W1", "C1", "r1"));
    expect(h.take()).toEqual([toClient("C1", "echo", "r1"), toWorker("W1", "C2", "2")]);
    h.recv(...REPLY("W1", "C2", "r2"));
    expect(h.take()).toEqual([toClient("C2", "echo", "r2")]);
    expect(h.state.stats()).toMatchObject({ queued: 0, idleWorkers: 1 });
  });

  it("picks the worker that has waited longest, and keeps services apart", () => {
    const h = harness();
    h.recv(...READY("W1", "a"));
    h.recv(...READY("W2", "a"));
    h.recv(...READY("W3", "b"));
    h.recv(...C("C1", "a", "x"));
    h.recv(...C("C2", "a", "y"));
    h.recv(...C("C3", "b", "z"));
    h.recv(...C("C4", "a", "w"));
    expect(h.take()).toEqual([toWorker("W1", "C1", "x"), toWorker("W2", "C2", "y"), toWorker("W3", "C3", "z")]);
    h.recv(...REPLY("W2", "C2", "ok"));
    expect(h.take()).toEqual([toClient("C2", "a", "ok"), toWorker("W2", "C4", "w")]);
  });

  it("passes empty and binary body frames through untouched", () => {
    const h = harness();
    h.recv(...READY("W1", "bin"));
    h.recv("C1", EMPTY, "MDPC01", "bin", EMPTY, Buffer.from([0, 255]));
    expect(h.take()).toEqual([["W1", "", "MDPW01", "0x02", "C1", "", "", "0x00ff"]]);
  });
});

describe("BrokerState: 8/MMI", () => {
  it("answers mmi.service with 200 or 404 and other mmi.* with 501", () => {
    const h = harness();
    h.recv(...C("C1", "mmi.service", "echo"));
    expect(h.take()).toEqual([toClient("C1", "mmi.service", "404")]);
    h.recv(...READY("W1", "echo"));
    h.recv(...C("C1", "mmi.service", "echo"));
    expect(h.take()).toEqual([toClient("C1", "mmi.service", "200")]);
    h.recv(...C("C1", "mmi.service", "ignored", "echo")); // like mdbroker.c: the last frame names the service
    expect(h.take()).toEqual([toClient("C1", "mmi.service", "200")]);
    h.recv(...C("C1", "mmi.nope", "echo"));
    expect(h.take()).toEqual([toClient("C1", "mmi.nope", "501")]);
    h.recv(...DISCONNECT("W1"));
    h.recv(...C("C1", "mmi.service", "echo"));
    expect(h.take()).toEqual([toClient("C1", "mmi.service", "404")]);
    expect(h.state.stats().mmi).toBe(5);
  });

  it("says 404 for a service that only has queued requests (unlike mdbroker.py)", () => {
    const h = harness();
    h.recv(...C("C1", "ghost", "x"));
    h.recv(...C("C2", "mmi.service", "ghost"));
    expect(h.take()).toEqual([toClient("C2", "mmi.service", "404")]);
  });

  it("refuses READY for an mmi.* service with DISCONNECT (RFC 8 MUST)", () => {
    const h = harness();
    h.recv(...READY("W1", "mmi.service"));
    expect(h.take()).toEqual([disconnect("W1")]);
    expect(h.takeEvents()).toMatchObject([{ type: "disconnect", reason: "mmi-service", disconnectSent: true }]);
    expect(h.state.stats().workers).toBe(0);
    h.recv(...C("C1", "mmi.service", "mmi.service"));
    expect(h.take()).toEqual([toClient("C1", "mmi.service", "404")]);
  });
});

describe("BrokerState: worker rules (RFC 7 where mdbroker.c differs)", () => {
  it("disconnects and forgets a worker that sends READY twice", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...READY("W1", "echo"));
    expect(h.take()).toEqual([disconnect("W1")]);
    expect(h.state.stats().workers).toBe(0);
    h.recv(...HEARTBEAT("W1")); // it is unknown now
    expect(h.take()).toEqual([disconnect("W1")]);
  });

  it("disconnects a REPLY or HEARTBEAT from an unknown worker, and drops the reply", () => {
    const h = harness();
    h.recv(...REPLY("W9", "C1", "late"));
    expect(h.take()).toEqual([disconnect("W9")]);
    expect(h.takeEvents()).toMatchObject([
      { type: "drop", reason: "unexpected-reply" },
      { type: "disconnect", reason: "unknown-worker" },
    ]);
    h.recv(...HEARTBEAT("W9"));
    expect(h.take()).toEqual([disconnect("W9")]);
  });

  it("sends nothing back to DISCONNECT, known or not", () => {
    const h = harness();
    h.recv(...DISCONNECT("W9"));
    h.recv(...READY("W1", "echo"));
    h.recv(...DISCONNECT("W1"));
    expect(h.take()).toEqual([]);
    expect(h.state.stats().workers).toBe(0);
  });

  it("disconnects a worker that sends REQUEST, an unknown command, or a REPLY with nothing in hand", () => {
    const h = harness();
    for (const [id, msg] of [
      ["W1", ["W1", EMPTY, "MDPW01", byte(2), "C1", EMPTY, "x"]],
      ["W2", ["W2", EMPTY, "MDPW01", byte(7)]],
      ["W3", REPLY("W3", "C1", "x")],
      ["W4", ["W4", EMPTY, "MDPW01"]],
    ] as const) {
      h.recv(...READY(id, "echo"));
      h.recv(...msg);
      expect(h.take()).toEqual([disconnect(id)]);
    }
    expect(h.state.stats()).toMatchObject({ workers: 0, disconnectsSent: 4 });
  });

  it("disconnects a worker whose REPLY names another client, and gives the request to another worker", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...C("C1", "echo", "x"));
    h.take();
    h.recv(...READY("W2", "echo"));
    h.recv(...REPLY("W1", "C2", "wrong"));
    expect(h.take()).toEqual([disconnect("W1"), toWorker("W2", "C1", "x")]);
    h.recv(...REPLY("W2", "C1", "right"));
    expect(h.take()).toEqual([toClient("C1", "echo", "right")]);
  });

  it("treats a malformed MDPW01 message as an invalid peer: DISCONNECT, forget, re-dispatch", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...READY("W2", "echo"));
    h.recv(...C("C1", "echo", "x"));
    expect(h.take()).toEqual([toWorker("W1", "C1", "x")]);
    h.recv("W1", EMPTY, "MDPW01", byte(3), "C1", "not-empty", "x");
    expect(h.take()).toEqual([disconnect("W1"), toWorker("W2", "C1", "x")]);
    expect(h.state.stats()).toMatchObject({ malformed: 1, retries: 1, workers: 1 });
  });
});

describe("BrokerState: malformed client traffic is dropped and counted, never fatal", () => {
  const cases: [string, Frame[]][] = [
    ["no delimiter", ["C1", "MDPC01", "echo", "x"]],
    ["only the routing id", ["C1"]],
    ["too few frames", ["C1", EMPTY, "MDPC01", "echo"]],
    ["header only", ["C1", EMPTY, "MDPC01"]],
    ["wrong header", ["C1", EMPTY, "MDPC02", "echo", "x"]],
    ["0.2 client command", ["C1", EMPTY, "MDPC02", byte(1), "echo", "x"]],
    ["empty service", ["C1", EMPTY, "MDPC01", EMPTY, "x"]],
    ["oversized service", ["C1", EMPTY, "MDPC01", Buffer.alloc(4096, 0x61), "x"]],
    ["non-UTF-8 service", ["C1", EMPTY, "MDPC01", Buffer.from([0xc3]), "x"]],
  ];

  it.each(cases)("%s", (_name, frames) => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.takeEvents();
    h.recv(...frames);
    expect(h.take()).toEqual([]);
    expect(h.takeEvents()).toMatchObject([{ type: "drop", reason: "malformed" }]);
    expect(h.state.stats()).toMatchObject({ malformed: 1, dropped: 1, workers: 1 });
    // and a valid client is still served
    h.recv(...C("C2", "echo", "ok"));
    expect(h.take()).toEqual([toWorker("W1", "C2", "ok")]);
  });
});

describe("BrokerState: heartbeats and expiry", () => {
  it("heartbeats idle and busy workers every interval", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...READY("W2", "echo"));
    h.recv(...C("C1", "echo", "x")); // W1 busy
    h.take();
    h.clock.advance(HB);
    expect(h.take()).toEqual([heartbeat("W1"), heartbeat("W2")]);
    h.recv(...HEARTBEAT("W1"));
    h.recv(...HEARTBEAT("W2"));
    h.clock.advance(HB);
    expect(h.take()).toEqual([heartbeat("W1"), heartbeat("W2")]);
  });

  it("expires a silent worker after liveness × interval and tells it DISCONNECT", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...READY("W2", "echo"));
    h.takeEvents();
    for (let t = 0; t < 10; t++) {
      h.clock.advance(HB / 2);
      h.recv(...HEARTBEAT("W2")); // W2 stays alive, W1 is silent
    }
    // 500 ms passed: W1 (TTL 300) is gone, W2 is not
    expect(h.state.stats()).toMatchObject({ workers: 1, expired: 1 });
    expect(h.takeEvents()).toMatchObject([{ type: "expire", service: "echo", busy: false }]);
    expect(h.take()).toContainEqual(disconnect("W1"));
  });

  it("expires at the TTL, not an interval later", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.clock.advance(TTL - 1);
    expect(h.state.workerCount).toBe(1);
    h.clock.advance(1);
    expect(h.state.workerCount).toBe(0);
  });

  it("counts any command as a heartbeat", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    for (let i = 0; i < 10; i++) {
      h.clock.advance(TTL - 10);
      h.recv(...C("C1", "echo", String(i)));
      h.recv(...REPLY("W1", "C1", String(i)));
    }
    expect(h.state.workerCount).toBe(1);
  });
});

describe("BrokerState: no silent loss", () => {
  it("re-dispatches the request of a busy worker that expires; its late reply is refused", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...C("C1", "echo", "job"));
    h.take();
    h.clock.advance(HB);
    h.recv(...READY("W2", "echo"));
    h.take();
    h.takeEvents();
    for (let t = 0; t < 6; t++) {
      h.clock.advance(HB / 2);
      h.recv(...HEARTBEAT("W2"));
    }
    const out = h.take();
    expect(out).toContainEqual(toWorker("W2", "C1", "job"));
    expect(h.takeEvents().map((e) => e.type)).toEqual(["expire", "retry"]);
    h.recv(...REPLY("W1", "C1", "late")); // W1 wakes up
    expect(h.take()).toEqual([disconnect("W1")]);
    h.recv(...REPLY("W2", "C1", "done"));
    expect(h.take()).toEqual([toClient("C1", "echo", "done")]); // exactly one reply
  });

  it("re-dispatches when a busy worker says DISCONNECT", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...READY("W2", "echo"));
    h.recv(...C("C1", "echo", "job"));
    h.take();
    h.recv(...DISCONNECT("W1"));
    expect(h.take()).toEqual([toWorker("W2", "C1", "job")]);
  });

  it("puts a re-dispatched request at the front of the queue", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...C("C1", "echo", "first"));
    h.recv(...C("C2", "echo", "second"));
    h.take();
    h.recv(...DISCONNECT("W1"));
    h.recv(...READY("W2", "echo"));
    expect(h.take()).toEqual([toWorker("W2", "C1", "first")]);
  });

  it("drops a request after maxAttempts workers vanished with it", () => {
    const h = harness({ maxAttempts: 2 });
    h.recv(...C("C1", "echo", "poison"));
    h.recv(...READY("W1", "echo"));
    h.recv(...DISCONNECT("W1"));
    h.recv(...READY("W2", "echo"));
    expect(h.take()).toEqual([toWorker("W1", "C1", "poison"), toWorker("W2", "C1", "poison")]);
    h.takeEvents();
    h.recv(...DISCONNECT("W2"));
    expect(h.takeEvents()).toMatchObject([
      { type: "disconnect", reason: "disconnect" },
      { type: "drop", reason: "max-attempts", service: "echo" },
    ]);
    h.recv(...READY("W3", "echo"));
    expect(h.take()).toEqual([]);
    expect(h.state.stats().drops["max-attempts"]).toBe(1);
  });
});

describe("BrokerState: requests for services nobody serves", () => {
  it("queues them and expires them after requestExpiry (RFC 7 SHOULD)", () => {
    const h = harness();
    h.recv(...C("C1", "ghost", "x"));
    h.clock.advance(EXPIRY - 1);
    expect(h.state.stats().queued).toBe(1);
    h.clock.advance(1);
    expect(h.state.stats()).toMatchObject({ queued: 0, services: 0 });
    expect(h.takeEvents()).toMatchObject([{ type: "drop", reason: "request-expired", service: "ghost" }]);
    expect(h.take()).toEqual([]);
  });

  it("wakes the shell early for an expiry shorter than the heartbeat", () => {
    const h = harness({ requestExpiry: 10 });
    h.clock.advance(HB / 2);
    h.recv(...C("C1", "ghost", "x"));
    expect(h.state.wakeAt()).toBe(h.clock.now() + 10);
    h.clock.advance(10);
    expect(h.state.stats().queued).toBe(0);
  });

  it("serves a queued request when a worker comes in time", () => {
    const h = harness({ liveness: 10 });
    h.recv(...C("C1", "late", "x"));
    h.clock.advance(EXPIRY - 50);
    h.recv(...READY("W1", "late"));
    expect(h.take()).toEqual([toWorker("W1", "C1", "x")]);
    h.clock.advance(EXPIRY); // past the request's deadline: it is in hand, nothing expires it
    h.recv(...REPLY("W1", "C1", "ok"));
    expect(h.take()).toContainEqual(toClient("C1", "late", "ok"));
    expect(h.state.stats().drops["request-expired"]).toBe(0);
  });

  it("expires requests waiting for busy workers too, and restarts the clock of a re-dispatched one", () => {
    const h = harness();
    h.recv(...READY("W1", "slow"));
    h.recv(...C("C1", "slow", "1"));
    h.recv(...C("C2", "slow", "2")); // waits for W1
    for (let t = HB; t < EXPIRY; t += HB) {
      h.clock.advance(HB);
      h.recv(...HEARTBEAT("W1"));
    }
    expect(h.state.stats().queued).toBe(1); // EXPIRY - HB later, still queued
    h.takeEvents();
    h.recv(...DISCONNECT("W1")); // C1's request goes back to the queue, with a fresh clock
    expect(h.state.stats().queued).toBe(2);
    h.clock.advance(HB); // C2's request has waited requestExpiry
    expect(h.state.stats().queued).toBe(1);
    h.clock.advance(EXPIRY - HB);
    expect(h.state.stats().queued).toBe(0);
    expect(h.takeEvents().filter((e) => e.type === "drop")).toMatchObject([
      { reason: "request-expired", peer: Buffer.from("C2").toString("hex") },
      { reason: "request-expired", peer: Buffer.from("C1").toString("hex") },
    ]);
  });

  it("bounds the queue with maxQueued", () => {
    const h = harness({ maxQueued: 2 });
    for (let i = 0; i < 3; i++) h.recv(...C(`C${i}`, "ghost", "x"));
    expect(h.state.stats()).toMatchObject({ queued: 2, drops: { "queue-full": 1 } });
  });
});

describe("BrokerState: admission hook", () => {
  it("asks before serving each client request and drops refused ones silently", () => {
    const asked: AdmissionRequest[] = [];
    let allow = false;
    const h = harness({ admission: { admit: (r) => (asked.push(r), allow) } });
    h.recv(...READY("W1", "echo"));
    h.recv(...C("C1", "echo", "x"));
    h.recv(...C("C1", "mmi.service", "echo"));
    expect(h.take()).toEqual([]);
    expect(h.state.stats().drops["not-admitted"]).toBe(2);
    allow = true;
    h.recv(...C("C1", "echo", "y"));
    expect(h.take()).toEqual([toWorker("W1", "C1", "y")]);
    expect(asked).toEqual([{ service: "echo" }, { service: "mmi.service" }, { service: "echo" }]);
  });
});

describe("BrokerState: shutdown", () => {
  it("tells every worker DISCONNECT and reports every dropped request", () => {
    const h = harness();
    h.recv(...READY("W1", "a"));
    h.recv(...READY("W2", "b"));
    h.recv(...C("C1", "a", "busy"));
    h.recv(...C("C2", "ghost", "queued"));
    h.take();
    h.takeEvents();
    h.shutdown();
    expect(h.take()).toEqual([disconnect("W1"), disconnect("W2")]);
    const drops = h.takeEvents().filter((e) => e.type === "drop");
    expect(drops).toMatchObject([
      { reason: "shutdown", service: "a" },
      { reason: "shutdown", service: "ghost" },
    ]);
    expect(h.state.stats()).toMatchObject({ workers: 0, services: 0, queued: 0 });
  });
});

describe("BrokerState: inputs from the driver", () => {
  it("counts a failed send as a drop and reports the error", () => {
    const h = harness();
    const error = new BackpressureError("router: 10000 sends already waiting");
    const actions = h.state.handle({ type: "send-failed", channel: "router", frames: [], error }, h.clock.now());
    expect(actions).toEqual([
      { type: "emit", event: "drop", args: [{ type: "drop", reason: "send-failed", detail: error.message }] },
      { type: "emit", event: "error", args: [error] },
    ]);
    expect(h.state.stats()).toMatchObject({ dropped: 1, drops: { "send-failed": 1 } });
  });

  it("reports requests in workers' hands as inFlight", () => {
    const h = harness();
    h.recv(...READY("W1", "echo"));
    h.recv(...READY("W2", "echo"));
    h.recv(...C("C1", "echo", "x"));
    expect(h.state.stats()).toMatchObject({ workers: 2, idleWorkers: 1, inFlight: 1, queued: 0 });
    h.recv(...REPLY("W1", "C1", "y"));
    expect(h.state.stats()).toMatchObject({ idleWorkers: 2, inFlight: 0 });
  });
});

describe("BrokerState: random traffic (property)", () => {
  it("never throws, never answers a client twice for one request, keeps its counters consistent", () => {
    const random = rng(42);
    const h = harness({ maxAttempts: 2 });
    const workers = ["W1", "W2", "W3", "W4"];
    const clients = ["C1", "C2", "C3"];
    const services = ["a", "b", "mmi.service", "mmi.x"];
    let seq = 0;
    const outstanding = new Map<string, number>(); // request id → replies seen
    const inHand = new Map<string, [string, string]>(); // worker → [client, request id]
    for (let step = 0; step < 20_000; step++) {
      const r = random();
      const w = workers[int(random, workers.length)]!;
      const c = clients[int(random, clients.length)]!;
      if (r < 0.25) {
        const id = `r${seq++}`;
        outstanding.set(id, 0);
        h.recv(...C(c, services[int(random, 2)]!, id));
      } else if (r < 0.35) h.recv(...READY(w, services[int(random, services.length)]!));
      else if (r < 0.6) {
        const held = inHand.get(w);
        if (held) h.recv(...REPLY(w, held[0], held[1]));
        else h.recv(...REPLY(w, c, "bogus"));
      } else if (r < 0.75) h.recv(...HEARTBEAT(w));
      else if (r < 0.8) h.recv(...DISCONNECT(w));
      else if (r < 0.85) h.recv(...[w, EMPTY, "MDPW01", byte(int(random, 8))]);
      else if (r < 0.88) h.recv(c, EMPTY, "MDPC01");
      else h.clock.advance(int(random, 120));

      for (const m of h.sent.splice(0)) {
        const frames = show(m);
        if (frames[2] === "MDPW01" && frames[3] === "0x02") inHand.set(frames[0]!, [frames[4]!, frames[6]!]);
        if (frames[2] === "MDPW01" && frames[3] === "0x05") inHand.delete(frames[0]!);
        if (frames[2] === "MDPC01" && !frames[3]!.startsWith("mmi.")) {
          const id = frames[4]!;
          expect(outstanding.get(id)).toBe(0);
          outstanding.set(id, 1);
        }
      }
      // a worker whose reply was forwarded is idle again
      for (const [wid, [, id]] of inHand) if (outstanding.get(id) === 1) inHand.delete(wid);
      const s = h.state.stats();
      expect(s.idleWorkers).toBeLessThanOrEqual(s.workers);
      expect(s.queued).toBeGreaterThanOrEqual(0);
    }
    const s = h.state.stats();
    expect(s.replies).toBeGreaterThan(100);
    expect(s.dropped).toBeGreaterThan(0);
  });
});

describe("BrokerState: bounds under overload (issue 11)", () => {
  const dropsOf = (h: ReturnType<typeof harness>) => h.state.stats().drops;

  it("expires queued requests of a service whose only worker heartbeats but never replies", () => {
    const h = harness();
    h.recv(...READY("W1", "stuck"));
    for (let i = 0; i < 100; i++) h.recv(...C(`C${i}`, "stuck", "x"));
    expect(h.state.stats()).toMatchObject({ inFlight: 1, queued: 99 });
    for (let t = 0; t < EXPIRY / HB; t++) {
      h.clock.advance(HB);
      h.recv(...HEARTBEAT("W1"));
    }
    expect(h.state.stats()).toMatchObject({ workers: 1, inFlight: 1, queued: 0, queuedBytes: 0, drops: { "request-expired": 99 } });
  });

  it("refuses requests past maxQueuedPerService and maxQueuedBytesPerService, other services unaffected", () => {
    const h = harness({ maxQueuedPerService: 2 });
    for (let i = 0; i < 3; i++) h.recv(...C(`C${i}`, "a", "x"));
    h.recv(...C("C9", "b", "x"));
    expect(h.state.stats()).toMatchObject({ queued: 3, drops: { "service-queue-full": 1, "queue-full": 0 } });
    const k = harness({ maxQueuedBytesPerService: 10 + 3 * O }); // a request counts its body plus O per frame
    k.recv(...C("C1", "a", "12345", "6789")); // 9 + 2 O
    k.recv(...C("C2", "a", "12")); // 11 + 3 O > 10 + 3 O
    k.recv(...C("C3", "a", "1")); // 10 + 3 O
    expect(k.state.stats()).toMatchObject({ queued: 2, queuedBytes: 10 + 3 * O, drops: { "service-queue-full": 1 } });
  });

  it("refuses requests past maxQueuedBytes, all services together, and frees the bytes on expiry", () => {
    const h = harness({ maxQueuedBytes: 8 + 2 * O });
    h.recv(...C("C1", "a", "1234"));
    h.recv(...C("C2", "b", "1234"));
    h.recv(...C("C3", "c", "1"));
    expect(h.state.stats()).toMatchObject({ queued: 2, queuedBytes: 8 + 2 * O, services: 2, drops: { "queue-full": 1 } });
    h.clock.advance(EXPIRY);
    expect(h.state.stats()).toMatchObject({ queued: 0, queuedBytes: 0, services: 0 });
    h.recv(...C("C3", "c", "1"));
    expect(h.state.stats().queued).toBe(1);
  });

  it("counts every frame, not only its bytes: a flood of empty frames hits the byte limits", () => {
    const h = harness({ maxQueuedBytes: 100 * O });
    const empties = Array.from({ length: 60 }, () => EMPTY);
    h.recv(...C("C1", "a", ...empties));
    h.recv(...C("C2", "a", ...empties)); // 120 frames > 100 O
    expect(h.state.stats()).toMatchObject({ queued: 1, queuedBytes: 60 * O, drops: { "queue-full": 1 } });
  });

  it("refuses a request body larger than maxRequestBytes, even with an idle worker", () => {
    const h = harness({ maxRequestBytes: 4 + O });
    h.recv(...READY("W1", "echo"));
    h.take();
    h.recv(...C("C1", "echo", "12345"));
    h.recv(...C("C1", "echo", "123", "4")); // 4 bytes of body, but two frames
    expect(h.take()).toEqual([]);
    expect(dropsOf(h)["too-large"]).toBe(2);
    h.recv(...C("C1", "echo", "1234"));
    expect(h.take()).toEqual([toWorker("W1", "C1", "1234")]);
  });

  it("caps the number of services: a new service past maxServices is refused, a forgotten one frees a place", () => {
    const h = harness({ maxServices: 2 });
    h.recv(...C("C1", "s1", "x"));
    h.recv(...C("C1", "s2", "x"));
    h.recv(...C("C1", "s3", "x"));
    expect(h.state.stats()).toMatchObject({ services: 2, queued: 2, drops: { "too-many-services": 1 } });
    h.takeEvents();
    h.recv(...READY("W1", "s4"));
    expect(h.take()).toEqual([["W1", "", "MDPW01", "0x05"]]);
    expect(h.takeEvents()).toMatchObject([{ type: "disconnect", reason: "too-many-services", service: "s4" }]);
    h.recv(...C("C1", "s1", "y")); // a known service is still served
    expect(h.state.stats().queued).toBe(3);
    h.clock.advance(EXPIRY); // everything expires: the services are forgotten
    expect(h.state.stats().services).toBe(0);
    h.recv(...C("C1", "s3", "x"));
    expect(h.state.stats()).toMatchObject({ services: 1, queued: 1 });
  });

  it("serves the clients of a service in turn, each in its own order; a re-dispatched request goes first", () => {
    const h = harness();
    for (const [client, n] of [["A", 3], ["B", 2], ["C", 1]] as const) for (let i = 0; i < n; i++) h.recv(...C(client, "echo", `${client}${i}`));
    h.recv(...READY("W1", "echo"));
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const request = h.take().find((m) => m[3] === "0x02")!;
      served.push(request[6]!);
      if (i === 1) h.recv(...DISCONNECT("W1")); // W1 leaves holding B0: it goes first to the next worker
      if (i === 1) h.recv(...READY("W2", "echo"));
      else h.recv(...REPLY(i < 1 ? "W1" : "W2", request[4]!, request[6]!));
    }
    expect(served).toEqual(["A0", "B0", "B0", "C0", "A1", "B1"]);
    const last = h.take().find((m) => m[3] === "0x02")!;
    expect(last[6]).toBe("A2");
    expect(h.state.stats()).toMatchObject({ queued: 0, retries: 1 });
  });

  it("caps the requests queued per client: a flooding client cannot starve another", () => {
    const h = harness({ maxQueuedPerClient: 3 });
    h.recv(...READY("W1", "echo"));
    h.take();
    for (let i = 0; i < 100; i++) h.recv(...C("FLOOD", "echo", `f${i}`)); // 1 in hand, 3 queued
    h.recv(...C("C2", "echo", "mine"));
    expect(h.state.stats()).toMatchObject({ inFlight: 1, queued: 4, drops: { "client-queue-full": 96 } });
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const request = h.take().find((m) => m[3] === "0x02")!;
      h.recv(...REPLY("W1", request[4]!, request[6]!));
      served.push(request[6]!);
    }
    // clients take turns: C2 waits behind one of the flooder's requests, not all of them
    expect(served).toEqual(["f0", "f1", "mine", "f2"]);
    expect(h.take()).toContainEqual(toWorker("W1", "FLOOD", "f3"));
    // a client's place frees as its requests leave the queue
    h.recv(...C("FLOOD", "echo", "again"));
    expect(h.state.stats()).toMatchObject({ queued: 1, drops: { "client-queue-full": 96 } });
  });

  it("gives a request whose send to its worker failed to another worker (the worker does not read or is gone)", () => {
    for (const error of [new BackpressureError("full", { cause: Object.assign(new Error("would block"), { code: "EAGAIN" }) }), new UnreachableError("gone")]) {
      const h = harness();
      h.recv(...READY("W1", "echo"));
      h.recv(...READY("W2", "echo"));
      h.takeEvents();
      const now = h.clock.now();
      const toW1 = h.state.handle({ type: "message", channel: "router", message: bufs(C("C1", "echo", "job")) }, now);
      const send = toW1.find((a) => a.type === "send")!;
      expect(show(bufs(send.frames))).toEqual(toWorker("W1", "C1", "job"));
      const out = h.state.handle({ type: "send-failed", channel: "router", frames: send.frames, error }, now);
      const sends = out.filter((a) => a.type === "send").map((a) => show(bufs(a.frames)));
      const events = out.filter((a) => a.type === "emit").map((a) => a.args[0] as BrokerStateEvent);
      expect(sends).toEqual([toWorker("W2", "C1", "job")]); // not lost with W1: W2 has it now, W1 is not told (it cannot be reached)
      expect(events).toContainEqual(expect.objectContaining({ type: "disconnect", worker: Buffer.from("W1").toString("hex"), reason: "unreachable", disconnectSent: false }));
      expect(events).toContainEqual(expect.objectContaining({ type: "retry", attempt: 2, reason: "unreachable" }));
      expect(h.state.stats()).toMatchObject({ workers: 1, inFlight: 1, retries: 1 });
      // a failed send of anything else (a heartbeat, a reply) forgets nobody
      const again = h.state.handle({ type: "send-failed", channel: "router", frames: bufs(HEARTBEAT("W2")), error }, now);
      expect(again.filter((a) => a.type === "emit" && a.event === "disconnect")).toEqual([]);
      expect(h.state.stats()).toMatchObject({ workers: 1, inFlight: 1 });
    }
  });

  it("counts a send to a full peer as a drop and one to a gone peer as unreachable, neither as an error", () => {
    const h = harness();
    const frames: Frame[] = [];
    const h2 = h as unknown as { state: BrokerState };
    const out = h2.state.handle({ type: "send-failed", channel: "router", frames, error: new BackpressureError("full", { cause: Object.assign(new Error("would block"), { code: "EAGAIN" }) }) }, h.clock.now());
    const out2 = h2.state.handle({ type: "send-failed", channel: "router", frames, error: new UnreachableError("gone") }, h.clock.now());
    expect([...out, ...out2].map((a) => (a.type === "emit" ? a.event : a.type))).toEqual(["drop"]);
    expect(h.state.stats()).toMatchObject({ dropped: 1, unreachable: 1, drops: { "peer-full": 1, "send-failed": 0 } });
  });
});
