import { describe, expect, it } from "vitest";
import {
  type Frame,
  type LinkIncoming,
  SocketError,
  toBuffers,
  type WorkerLinkAction,
  WorkerLinkState,
  type WorkerLinkOptions,
  type WorkerWire,
} from "../src/index.js";
import { MachineHarness } from "../src/testing/index.js";

// A toy wire: READY "R", HEARTBEAT "H", DISCONNECT "D", request ["Q", id, body…], reply ["A", id, body…].
interface Req {
  id: string;
  body: Buffer[];
}
function toyWire(onHandlerError: "ready" | "reconnect", withDisconnect = true): WorkerWire<Req, "bad" | "odd"> {
  const wire: WorkerWire<Req, "bad" | "odd"> = {
    ready: () => ["R"],
    heartbeat: () => ["H"],
    reply: (req, body) => ["A", req.id, ...body],
    classify(frames): LinkIncoming<Req, "bad" | "odd"> {
      const [cmd, ...rest] = frames.map(String);
      if (cmd === "H" && rest.length === 0) return { type: "heartbeat" };
      if (cmd === "D" && rest.length === 0) return { type: "disconnect" };
      if (cmd === "Q" && rest.length >= 2) return { type: "request", request: { id: rest[0]!, body: frames.slice(2) } };
      if (cmd === "R") return { type: "other", reason: "odd", detail: "READY from the peer" };
      return { type: "malformed", reason: "bad", detail: cmd };
    },
    onHandlerError,
  };
  if (withDisconnect) wire.disconnect = () => ["D"];
  return wire;
}

type Action = WorkerLinkAction<Req, "bad" | "odd">;

/** Drives the machine the way the driver does (core's MachineHarness), with the toy wire's helpers. */
class Harness extends MachineHarness<WorkerLinkState<Req, "bad" | "odd">> {
  constructor(options: Partial<WorkerLinkOptions<Req, "bad" | "odd">> = {}) {
    super(
      (now) =>
        new WorkerLinkState(
          { wire: toyWire("ready"), lines: [["tcp://a"]], heartbeatInterval: 1000, liveness: 3, reconnect: { initial: 1000, max: 32_000 }, ...options },
          now,
        ),
    );
  }

  /** The current connection id of line 0 (from the last connect action). */
  connection(line = 0): number {
    const connects = this.of("connect").filter((e) => e.action.line === line);
    return connects[connects.length - 1]!.action.connection;
  }

  message(frames: string[], line = 0, connection = this.connection(line)): Action[] {
    return this.feed({ type: "message", channel: `link${line}`, message: { connection, frames: frames.map((f) => Buffer.from(f)) } });
  }

  sent(what: string, from = 0): number[] {
    return this.of("send", from)
      .filter((e) => String(e.action.frames[0]) === what)
      .map((e) => e.at);
  }

  events(event: string, from = 0): unknown[] {
    return this.emitted(event, from).map((e) => e.args[0]);
  }

  handled(from = 0): number[] {
    return this.of("handle", from).map((e) => e.action.job.id);
  }
}

describe("WorkerLinkState: connection, READY and heartbeats", () => {
  it("opens a connection, sends READY first and emits ready; start is idempotent", () => {
    const h = new Harness();
    const actions = h.feed({ type: "start" });
    expect(actions.map((a) => a.type)).toEqual(["connect", "send", "emit"]);
    expect(actions[0]).toMatchObject({ type: "connect", line: 0, channel: "link0", endpoint: "tcp://a", attempt: 1 });
    expect(toBuffers((actions[1] as { frames: Frame[] }).frames).map(String)).toEqual(["R"]);
    expect(actions[2]).toEqual({ type: "emit", event: "ready", args: [{ endpoint: "tcp://a", attempt: 1 }] });
    expect(h.feed({ type: "start" })).toEqual([]);
    expect(h.machine.phase).toBe("connected");
  });

  it("heartbeats every interval while the peer keeps talking, and never expires it", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    for (let i = 0; i < 10; i++) {
      h.clock.advance(500);
      h.message(["H"]);
      h.clock.advance(500);
    }
    expect(h.sent("H")).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(h.events("expire")).toEqual([]);
    expect(h.machine.stats()).toMatchObject({ heartbeatsSent: 10, heartbeatsReceived: 10, connects: 1, expired: 0 });
  });

  it("drops malformed messages without counting them as life; 'other' messages count as life", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    h.clock.advance(2000);
    expect(h.message(["x"])).toEqual([{ type: "emit", event: "drop", args: [{ reason: "bad", endpoint: "tcp://a", detail: "x" }] }]);
    h.clock.advance(1000);
    expect(h.events("expire")).toEqual([{ endpoint: "tcp://a", silentFor: 3000 }]);
    h.clock.advance(1000); // reconnect after 1 s
    h.clock.advance(2000);
    expect(h.message(["R"])).toEqual([{ type: "emit", event: "drop", args: [{ reason: "odd", endpoint: "tcp://a", detail: "READY from the peer" }] }]);
    h.clock.advance(2000);
    expect(h.events("expire")).toHaveLength(1);
    expect(h.machine.stats()).toMatchObject({ dropped: 2, drops: { bad: 1, odd: 1 } });
  });
});

describe("WorkerLinkState: liveness, back-off and rotation", () => {
  it("reconnects with back-off 1 s doubling to 32 s, rotating through the endpoints", () => {
    const h = new Harness({ lines: [["tcp://a", "tcp://b"]] });
    h.feed({ type: "start" });
    h.clock.advance(200_000);
    const disconnects = h.events("disconnect") as { endpoint: string; reason: string; reconnectIn: number }[];
    expect(disconnects.slice(0, 8).map((e) => e.reconnectIn)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 32_000, 32_000]);
    expect(disconnects.every((e) => e.reason === "expire")).toBe(true);
    expect(h.of("connect").slice(0, 4).map((e) => [e.at, e.action.endpoint, e.action.attempt])).toEqual([
      [0, "tcp://a", 1],
      [4000, "tcp://b", 2],
      [9000, "tcp://a", 3],
      [16_000, "tcp://b", 4],
    ]);
    expect(h.sent("R").slice(0, 4)).toEqual([0, 4000, 9000, 16_000]);
    expect(h.of("hangup").slice(0, 3).map((e) => [e.at, e.action.final])).toEqual([
      [3000, false],
      [7000, false],
      [12_000, false],
    ]);
    // expire comes first, then the hangup and the disconnect event; no heartbeats while waiting.
    const first = h.log.filter((e) => e.at === 3000).map((e) => (e.action.type === "emit" ? e.action.event : e.action.type));
    expect(first).toEqual(["expire", "hangup", "disconnect"]);
    expect(h.sent("H").filter((t) => t > 3000 && t < 4000)).toEqual([]);
  });

  it("resets the back-off once the peer is heard from", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    h.clock.advance(3000 + 1000 + 3000 + 2000);
    expect((h.events("disconnect") as { reconnectIn: number }[]).map((e) => e.reconnectIn)).toEqual([1000, 2000]);
    expect(h.machine.attempt()).toBe(3);
    h.message(["H"]);
    const before = h.log.length;
    h.clock.advance(3000);
    expect((h.events("disconnect", before) as { reconnectIn: number }[]).map((e) => e.reconnectIn)).toEqual([1000]);
  });

  it("ignores messages of an older connection and messages while waiting", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    const old = h.connection();
    h.clock.advance(3000);
    expect(h.machine.phase).toBe("waiting");
    expect(h.message(["Q", "1", "x"], 0, old)).toEqual([]);
    h.clock.advance(1000);
    expect(h.connection()).not.toBe(old);
    expect(h.message(["Q", "1", "x"], 0, old)).toEqual([]);
    expect(h.machine.stats().requests).toBe(0);
  });

  it("applies the configured back-off and jitter", () => {
    const h = new Harness({ heartbeatInterval: 50, liveness: 2, reconnect: { initial: 10, max: 40, jitter: 0.5 }, random: () => 1 });
    h.feed({ type: "start" });
    h.clock.advance(2000);
    expect((h.events("disconnect") as { reconnectIn: number }[]).slice(0, 4).map((e) => e.reconnectIn)).toEqual([5, 10, 20, 20]);
  });

  it("a peer's DISCONNECT and a socket error reconnect on a fresh connection after the back-off", () => {
    const h = new Harness({ lines: [["tcp://a", "tcp://b"]] });
    h.feed({ type: "start" });
    expect(h.message(["D"]).map((a) => a.type)).toEqual(["hangup", "emit"]);
    expect(h.events("disconnect")).toEqual([{ endpoint: "tcp://a", reason: "peer-disconnect", reconnectIn: 1000 }]);
    h.clock.advance(1000);
    expect(h.of("connect").map((e) => e.action.endpoint)).toEqual(["tcp://a", "tcp://b"]);
    const error = new SocketError("boom");
    h.feed({ type: "socket-error", line: 0, connection: h.connection() - 1, error }); // an old one: ignored
    expect(h.events("disconnect")).toHaveLength(1);
    h.feed({ type: "socket-error", line: 0, connection: h.connection(), error });
    expect(h.events("disconnect")[1]).toEqual({ endpoint: "tcp://b", reason: "socket-error", reconnectIn: 2000 });
    expect(h.machine.stats().disconnectsReceived).toBe(1);
  });
});

describe("WorkerLinkState: requests", () => {
  it("hands one request at a time to the handler, queues the rest, and encodes the reply with the wire", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    const [handle1] = h.message(["Q", "c1", "a", "b"]);
    expect(handle1).toMatchObject({ type: "handle", job: { id: 1, line: 0, endpoint: "tcp://a", request: { id: "c1", body: [Buffer.from("a"), Buffer.from("b")] } } });
    expect(h.message(["Q", "c2", "second"])).toEqual([]);
    expect(h.machine.stats()).toMatchObject({ inFlight: 1, queued: 1, requests: 2 });
    const done = h.feed({ type: "done", job: 1, reply: ["x", "y"] });
    expect(done[0]).toEqual({ type: "send", channel: "link0", frames: ["A", "c1", "x", "y"] });
    expect(done[1]).toMatchObject({ type: "handle", job: { id: 2, request: { id: "c2" } } });
    expect(h.feed({ type: "done", job: 1, reply: ["again"] })).toEqual([]); // settled already
  });

  it("keeps heartbeating while the handler runs and never expires the peer then; the count restarts when it ends", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    h.message(["Q", "c", "slow"]);
    h.clock.advance(10_000);
    expect(h.sent("H")).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(h.events("expire")).toEqual([]);
    h.feed({ type: "done", job: 1, reply: ["ok"] });
    h.clock.advance(2999);
    expect(h.events("expire")).toEqual([]);
    h.clock.advance(1);
    expect(h.events("expire")).toEqual([{ endpoint: "tcp://a", silentFor: 13_000 }]); // the peer's real silence
  });

  it("a handler error with a 'ready' wire: drop handler-error, no reply, READY again", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    h.message(["Q", "c", "boom"]);
    const error = new Error("boom");
    const failed = h.feed({ type: "done", job: 1, error });
    expect(failed).toEqual([
      { type: "emit", event: "drop", args: [{ reason: "handler-error", endpoint: "tcp://a", error }] },
      { type: "send", channel: "link0", frames: ["R"] },
    ]);
    expect(h.machine.stats()).toMatchObject({ failures: 1, replies: 0, connects: 1 });
  });

  it("a handler error with a 'reconnect' wire: DISCONNECT, hang up and register again at once", () => {
    const h = new Harness({ wire: toyWire("reconnect"), lines: [["tcp://a", "tcp://b"]] });
    h.feed({ type: "start" });
    h.message(["Q", "c", "boom"]);
    const failed = h.feed({ type: "done", job: 1, error: new Error("boom") });
    expect(failed.map((a) => (a.type === "emit" ? a.event : a.type))).toEqual(["drop", "send", "hangup", "disconnect"]);
    expect(failed[1]).toEqual({ type: "send", channel: "link0", frames: ["D"] });
    expect(h.events("disconnect")).toEqual([{ endpoint: "tcp://a", reason: "handler-error", reconnectIn: 0 }]);
    h.clock.advance(0);
    expect(h.of("connect").map((e) => e.action.endpoint)).toEqual(["tcp://a", "tcp://b"]);
  });

  it("drops a reply whose connection is gone, and queued requests of a replaced connection", () => {
    const h = new Harness({ wire: toyWire("ready") });
    h.feed({ type: "start" });
    h.message(["Q", "c1", "one"]);
    h.message(["Q", "c2", "two"]);
    h.message(["D"]); // the peer forgets both
    const done = h.feed({ type: "done", job: 1, reply: ["late"] });
    expect(done).toEqual([
      { type: "emit", event: "drop", args: [{ reason: "stale-reply", endpoint: "tcp://a" }] },
      { type: "emit", event: "drop", args: [{ reason: "stale-request", endpoint: "tcp://a" }] },
    ]);
    expect(h.machine.stats()).toMatchObject({ inFlight: 0, queued: 0, dropped: 2 });
  });

  it("a reply the wire cannot encode counts as a handler error", () => {
    const wire = toyWire("ready");
    wire.reply = () => {
      throw new Error("no body");
    };
    const h = new Harness({ wire });
    h.feed({ type: "start" });
    h.message(["Q", "c", "x"]);
    expect(h.feed({ type: "done", job: 1, reply: [] })[0]).toMatchObject({ type: "emit", event: "drop", args: [{ reason: "handler-error" }] });
  });
});

describe("WorkerLinkState: several lines", () => {
  it("keeps one conversation per line, each with its own liveness, and serves them one request at a time", () => {
    const h = new Harness({ lines: [["tcp://a"], ["tcp://b"]] });
    h.feed({ type: "start" });
    expect(h.of("connect").map((e) => e.action.channel)).toEqual(["link0", "link1"]);
    for (let i = 0; i < 4; i++) {
      h.clock.advance(1000);
      h.message(["H"], 1);
    }
    expect(h.events("expire")).toEqual([{ endpoint: "tcp://a", silentFor: 3000 }]);
    expect(h.machine.phase).toBe("connected");
    h.message(["Q", "c1", "x"], 1);
    h.clock.advance(1000); // line 0 reconnected meanwhile
    expect(h.message(["Q", "c0", "y"], 0)).toEqual([]); // waits its turn
    const done = h.feed({ type: "done", job: 1, reply: ["1"] });
    expect(done[0]).toEqual({ type: "send", channel: "link1", frames: ["A", "c1", "1"] });
    expect(done[1]).toMatchObject({ type: "handle", job: { line: 0, endpoint: "tcp://a" } });
  });
});

describe("WorkerLinkState: close", () => {
  it("closes at once when idle: DISCONNECT where the wire has one, a final hangup, then closed", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    expect(h.feed({ type: "close" })).toEqual([
      { type: "send", channel: "link0", frames: ["D"] },
      { type: "hangup", line: 0, channel: "link0", final: true },
      { type: "emit", event: "disconnect", args: [{ endpoint: "tcp://a", reason: "close", reconnectIn: undefined }] },
      { type: "closed" },
    ]);
    expect(h.machine.phase).toBe("closed");
    expect(h.machine.wakeAt()).toBe(Number.POSITIVE_INFINITY);
    expect(h.feed({ type: "close" })).toEqual([]);
  });

  it("says nothing on close when the wire has no DISCONNECT, and nothing at all while waiting", () => {
    const h = new Harness({ wire: toyWire("ready", false) });
    h.feed({ type: "start" });
    expect(h.feed({ type: "close" }).map((a) => a.type)).toEqual(["hangup", "emit", "closed"]);
    const w = new Harness();
    w.feed({ type: "start" });
    w.clock.advance(3000);
    expect(w.feed({ type: "close" })).toEqual([{ type: "closed" }]);
  });

  it("finishes the request in hand (still heartbeating), drops the queued and late ones, then closes", () => {
    const h = new Harness({ wire: toyWire("ready", false) });
    h.feed({ type: "start" });
    h.message(["Q", "c1", "in hand"]);
    h.message(["Q", "c2", "queued"]);
    expect(h.feed({ type: "close" })).toEqual([{ type: "emit", event: "drop", args: [{ reason: "closing", endpoint: "tcp://a" }] }]);
    expect(h.machine.phase).toBe("closing");
    h.clock.advance(2500);
    expect(h.sent("H")).toEqual([1000, 2000]);
    expect(h.message(["Q", "c3", "late"])).toMatchObject([{ type: "emit", event: "drop", args: [{ reason: "closing" }] }]);
    const done = h.feed({ type: "done", job: 1, reply: ["bye"] });
    expect(done.map((a) => a.type)).toEqual(["send", "hangup", "emit", "closed"]);
    expect(done[1]).toMatchObject({ final: true });
    expect(h.machine.phase).toBe("closed");
  });

  it("abandons a request in hand that does not finish: abort, drop closing, close", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    h.message(["Q", "c", "stuck"]);
    h.feed({ type: "close" });
    const actions = h.feed({ type: "abandon" });
    expect(actions.slice(0, 2)).toEqual([
      { type: "abort", job: 1 },
      { type: "emit", event: "drop", args: [{ reason: "closing", endpoint: "tcp://a" }] },
    ]);
    expect(actions.map((a) => a.type).slice(2)).toEqual(["send", "hangup", "emit", "closed"]);
    expect(h.feed({ type: "done", job: 1, reply: ["late"] })).toEqual([]);
  });

  it("refuses bad settings", () => {
    expect(() => new Harness({ heartbeatInterval: 0 })).toThrow(/heartbeatInterval/);
    expect(() => new Harness({ liveness: 0 })).toThrow(/liveness/);
    expect(() => new Harness({ lines: [[]] })).toThrow(/endpoint/);
  });
});
