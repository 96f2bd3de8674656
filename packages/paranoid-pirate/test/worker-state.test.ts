import { type Frame, toBuffers, type WorkerLinkAction } from "@zmq-reliable/core";
import { MachineHarness } from "@zmq-reliable/core/testing";
import { describe, expect, it } from "vitest";
import { type WorkerRequest, WorkerState, type WorkerStateOptions, type WorkerWireDropReason } from "../src/index.js";

type WorkerAction = WorkerLinkAction<WorkerRequest, WorkerWireDropReason>;
const HEARTBEAT = [Buffer.from([0x02])];
const CID = Buffer.from([0x00, 9, 9, 9, 9]);
const request = (...body: string[]) => [CID, Buffer.alloc(0), ...body.map((s) => Buffer.from(s))];

/**
 * Drives a WorkerState with a FakeClock the way core's driver does (core's
 * MachineHarness: one timer at wakeAt(), every action recorded with the time
 * it happened), with PPP helpers.
 */
class Harness extends MachineHarness<WorkerState> {
  constructor(options: Partial<WorkerStateOptions> = { heartbeatInterval: 1000, liveness: 3 }) {
    super((now) => new WorkerState({ endpoint: "tcp://queue:5556", ...options }, now));
  }

  start(): WorkerAction[] {
    return this.feed({ type: "start" });
  }

  /** The connection id of the last socket opened. */
  connection(): number {
    const connects = this.of("connect");
    return connects[connects.length - 1]!.action.connection;
  }

  receive(frames: Buffer[], connection = this.connection()): WorkerAction[] {
    return this.feed({ type: "message", channel: "link0", message: { connection, frames } });
  }

  complete(job: number, result: { reply: Frame[] } | { error: unknown }): WorkerAction[] {
    return this.feed({ type: "done", job, ...result });
  }

  /** Arguments of the events of one name since index `from`, with their times. */
  events(event: string, from = 0): { at: number; args: Record<string, unknown> }[] {
    return this.emitted(event, from).map((e) => ({ at: e.at, args: e.args[0] as Record<string, unknown> }));
  }

  sends(kind: "ready" | "heartbeat" | "reply", from = 0): number[] {
    return this.of("send", from)
      .filter((e) => {
        const frames = toBuffers(e.action.frames);
        if (kind === "reply") return frames.length > 1;
        return frames.length === 1 && frames[0]!.equals(Buffer.from([kind === "ready" ? 0x01 : 0x02]));
      })
      .map((e) => e.at);
  }
}

const E = "tcp://queue:5556";
const drop = (reason: string, extra: Record<string, unknown> = {}) => ({ type: "emit", event: "drop", args: [{ reason, endpoint: E, ...extra }] });

describe("WorkerState: READY, heartbeats and requests", () => {
  it("opens a socket and sends READY [0x01] first", () => {
    const h = new Harness();
    const actions = h.start();
    expect(actions[0]).toMatchObject({ type: "connect", endpoint: E, attempt: 1 });
    expect(actions[1]).toMatchObject({ type: "send", channel: "link0" });
    expect(toBuffers((actions[1] as { frames: Buffer[] }).frames)).toEqual([Buffer.from([0x01])]);
    expect(actions[2]).toEqual({ type: "emit", event: "ready", args: [{ endpoint: E, attempt: 1 }] });
    expect(h.machine.phase).toBe("connected");
    expect(h.start()).toEqual([]); // only once
  });

  it("heartbeats every interval while the queue keeps talking", () => {
    const h = new Harness();
    h.start();
    for (let i = 0; i < 10; i++) {
      h.clock.advance(500);
      h.receive(HEARTBEAT);
      h.clock.advance(500);
    }
    expect(h.sends("heartbeat")).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(h.events("expire")).toEqual([]);
    expect(h.machine.stats()).toMatchObject({ heartbeatsSent: 10, heartbeatsReceived: 10, connects: 1 });
  });

  it("hands one request at a time to the handler, queues the rest, and echoes the envelope", () => {
    const h = new Harness();
    h.start();
    const [handle1] = h.receive(request("a", "b"));
    expect(handle1).toMatchObject({ type: "handle", job: { id: 1, endpoint: E, request: { envelope: [CID], body: [Buffer.from("a"), Buffer.from("b")] } } });
    expect(h.receive(request("second"))).toEqual([]);
    expect(h.machine.stats().queued).toBe(1);
    const done1 = h.complete(1, { reply: ["x", "y"] });
    expect(done1[0]).toMatchObject({ type: "send", channel: "link0" });
    expect(toBuffers((done1[0] as { frames: Buffer[] }).frames)).toEqual([CID, Buffer.alloc(0), Buffer.from("x"), Buffer.from("y")]);
    expect(done1[1]).toMatchObject({ type: "handle", job: { id: 2, request: { body: [Buffer.from("second")] } } });
  });

  it("keeps heartbeating while the handler runs and never gives up on the queue then", () => {
    const h = new Harness();
    h.start();
    h.receive(request("slow"));
    h.clock.advance(10_000); // the queue is silent for 10 intervals while we work
    expect(h.sends("heartbeat")).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(h.events("expire")).toEqual([]);
    const done = h.complete(1, { reply: ["ok"] });
    expect(h.sends("reply")).toEqual([10_000]);
    expect(done[0]).toMatchObject({ type: "send" });
    // The silence count restarts at the end of the request: liveness × interval from now.
    h.clock.advance(2999);
    expect(h.events("expire")).toEqual([]);
    h.clock.advance(1);
    expect(h.events("expire")).toEqual([{ at: 13_000, args: { endpoint: E, silentFor: 13_000 } }]);
  });

  it("reports a handler error as a drop and sends no reply", () => {
    const h = new Harness();
    h.start();
    h.receive(request("boom"));
    const error = new Error("boom");
    // No reply; READY again so the queue knows the worker is free.
    const failed = h.complete(1, { error });
    expect(failed[0]).toEqual(drop("handler-error", { error }));
    expect(failed[1]).toMatchObject({ type: "send", channel: "link0" });
    expect(toBuffers((failed[1] as { frames: Buffer[] }).frames)).toEqual([Buffer.from([0x01])]);
    expect(failed).toHaveLength(2);
    h.receive(request("empty reply"));
    // (The role turns [] into one empty frame first; a reply with no body frame cannot be encoded.)
    const empty = h.complete(2, { reply: [] });
    expect(empty).toMatchObject([drop("handler-error"), { type: "send" }]);
    expect(h.sends("ready")).toEqual([0, 0, 0]);
    expect(h.machine.stats().drops["handler-error"]).toBe(2);
    expect(h.machine.stats()).toMatchObject({ failures: 2, replies: 0 });
  });

  it("drops malformed messages from the queue without counting them as signs of life", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(2000);
    expect(h.receive([Buffer.from([0x09])])).toMatchObject([drop("unknown-command")]);
    expect(h.receive([Buffer.alloc(0)])).toMatchObject([drop("malformed-message")]);
    expect(h.receive([Buffer.from([0x01])])).toMatchObject([drop("unknown-command")]);
    expect(h.receive([Buffer.from("no"), Buffer.from("delimiter")])).toMatchObject([drop("malformed-message")]);
    h.clock.advance(1000);
    expect(h.events("expire")).toHaveLength(1);
  });
});

describe("WorkerState: liveness and back-off", () => {
  it("reconnects with back-off 1 s doubling to 32 s while the queue stays silent", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(200_000);
    const misses = h.events("expire");
    const waits = h.events("disconnect").map((e) => e.args.reconnectIn);
    expect(waits.slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 32_000, 32_000]);
    expect(h.events("disconnect").every((e) => e.args.reason === "expire")).toBe(true);
    // Each connection waits liveness × interval for the queue, then closes, waits, and starts over.
    expect(misses[0]!.at).toBe(3000);
    expect(h.of("connect").map((e) => e.at).slice(0, 4)).toEqual([0, 4000, 9000, 16_000]);
    // Every fresh connection starts with READY, and a hangup comes before each wait.
    expect(h.sends("ready").slice(0, 4)).toEqual([0, 4000, 9000, 16_000]);
    expect(h.of("hangup").slice(0, 3).map((e) => e.at)).toEqual([3000, 7000, 12_000]);
    expect(h.of("hangup").every((e) => e.action.final === false)).toBe(true);
    // No heartbeats while waiting.
    expect(h.sends("heartbeat").filter((t) => t > 3000 && t < 4000)).toEqual([]);
  });

  it("resets the back-off once the queue is heard from", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(3000 + 1000 + 3000 + 2000); // two misses: waits 1 s and 2 s
    expect(h.events("disconnect").map((e) => e.args.reconnectIn)).toEqual([1000, 2000]);
    expect(h.machine.attempt()).toBe(3);
    h.receive(HEARTBEAT);
    const before = h.log.length;
    h.clock.advance(3000);
    expect(h.events("disconnect", before).map((e) => e.args.reconnectIn)).toEqual([1000]);
    h.clock.advance(1000);
    expect(h.events("ready", before)[0]!.args.attempt).toBe(4);
  });

  it("ignores messages that arrive while waiting (old socket)", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(3000);
    expect(h.machine.phase).toBe("waiting");
    expect(h.receive(HEARTBEAT)).toEqual([]);
    expect(h.receive(request("stale"))).toEqual([]);
  });

  it("rotates through several endpoints, one per reconnect", () => {
    const h = new Harness({ endpoint: ["tcp://a:1", "tcp://b:2"], heartbeatInterval: 1000, liveness: 3 });
    h.start();
    h.clock.advance(3000 + 1000 + 3000 + 2000);
    expect(h.of("connect").map((e) => e.action.endpoint)).toEqual(["tcp://a:1", "tcp://b:2", "tcp://a:1"]);
  });

  it("applies the configured back-off and jitter", () => {
    const h = new Harness({ heartbeatInterval: 50, liveness: 2, reconnect: { initial: 10, max: 40, jitter: 0.5 }, random: () => 1 });
    h.start();
    h.clock.advance(2000);
    expect(h.events("disconnect").slice(0, 4).map((e) => e.args.reconnectIn)).toEqual([5, 10, 20, 20]);
  });

  it("requires an endpoint: no silent default", () => {
    expect(() => new WorkerState({ endpoint: undefined as unknown as string }, 0)).toThrow(/endpoint is required/);
    expect(() => new WorkerState({ endpoint: [] }, 0)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });
});

describe("WorkerState: close", () => {
  it("closes at once when idle", () => {
    const h = new Harness();
    h.start();
    expect(h.feed({ type: "close" })).toEqual([
      { type: "hangup", line: 0, channel: "link0", final: true },
      { type: "emit", event: "disconnect", args: [{ endpoint: E, reason: "close", reconnectIn: undefined }] },
      { type: "closed" },
    ]);
    expect(h.machine.phase).toBe("closed");
    expect(h.machine.wakeAt()).toBe(Number.POSITIVE_INFINITY);
    expect(h.feed({ type: "close" })).toEqual([]);
  });

  it("finishes the request in hand, drops the queued ones, then closes", () => {
    const h = new Harness();
    h.start();
    h.receive(request("in hand"));
    h.receive(request("queued"));
    expect(h.feed({ type: "close" })).toEqual([drop("closing")]);
    expect(h.machine.phase).toBe("closing");
    h.clock.advance(2500); // still heartbeating while finishing
    expect(h.sends("heartbeat")).toEqual([1000, 2000]);
    expect(h.receive(request("late"))).toEqual([drop("closing")]);
    const done = h.complete(1, { reply: ["bye"] });
    expect(done.map((a) => a.type)).toEqual(["send", "hangup", "emit", "closed"]);
    expect(done[1]).toEqual({ type: "hangup", line: 0, channel: "link0", final: true });
    expect(h.machine.phase).toBe("closed");
  });

  it("can abandon a request in hand that does not finish", () => {
    const h = new Harness();
    h.start();
    h.receive(request("stuck"));
    h.feed({ type: "close" });
    expect(h.feed({ type: "abandon" })).toEqual([
      { type: "abort", job: 1 },
      drop("closing"),
      { type: "hangup", line: 0, channel: "link0", final: true },
      { type: "emit", event: "disconnect", args: [{ endpoint: E, reason: "close", reconnectIn: undefined }] },
      { type: "closed" },
    ]);
    expect(h.machine.phase).toBe("closed");
    expect(h.complete(1, { reply: ["late"] })).toEqual([]);
  });

  it("closes without a hangup while waiting between sockets", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(3000);
    expect(h.feed({ type: "close" })).toEqual([{ type: "closed" }]);
    expect(h.machine.phase).toBe("closed");
  });
});
