import { toBuffers } from "@zmq-reliable/core";
import { FakeClock } from "@zmq-reliable/core/testing";
import { describe, expect, it } from "vitest";
import { type WorkerAction, type WorkerRequest, WorkerState } from "../src/index.js";

const HEARTBEAT = [Buffer.from([0x02])];
const CID = Buffer.from([0x00, 9, 9, 9, 9]);
const request = (...body: string[]) => [CID, Buffer.alloc(0), ...body.map((s) => Buffer.from(s))];

/**
 * Drives a WorkerState with a FakeClock the way the role does: one timer at
 * nextWakeAt(), every action recorded with the time it happened.
 */
class Harness {
  readonly clock = new FakeClock();
  readonly state: WorkerState;
  readonly log: { at: number; action: WorkerAction }[] = [];
  private armed: unknown;

  constructor(options: ConstructorParameters<typeof WorkerState>[0] = { heartbeatInterval: 1000, liveness: 3 }) {
    this.state = new WorkerState(options, this.clock.now());
  }

  perform(actions: WorkerAction[]): WorkerAction[] {
    for (const action of actions) this.log.push({ at: this.clock.now(), action });
    if (this.armed !== undefined) this.clock.clearTimeout(this.armed);
    const next = this.state.nextWakeAt();
    this.armed = Number.isFinite(next) ? this.clock.setTimeout(() => this.perform(this.state.tick(this.clock.now())), next - this.clock.now()) : undefined;
    return actions;
  }

  start(): WorkerAction[] {
    return this.perform(this.state.start(this.clock.now()));
  }

  receive(frames: Buffer[]): WorkerAction[] {
    return this.perform(this.state.receive(frames, this.clock.now()));
  }

  complete(req: WorkerRequest, result: Parameters<WorkerState["complete"]>[1]): WorkerAction[] {
    return this.perform(this.state.complete(req, result, this.clock.now()));
  }

  /** Actions of a type, with their times, since index `from`. */
  of<T extends WorkerAction["type"]>(type: T, from = 0): { at: number; action: Extract<WorkerAction, { type: T }> }[] {
    return this.log.slice(from).filter((e) => e.action.type === type) as { at: number; action: Extract<WorkerAction, { type: T }> }[];
  }

  sends(kind: "ready" | "heartbeat" | "reply", from = 0): number[] {
    return this.of("send", from)
      .filter((e) => e.action.kind === kind)
      .map((e) => e.at);
  }
}

describe("WorkerState: READY, heartbeats and requests", () => {
  it("opens a socket and sends READY [0x01] first", () => {
    const h = new Harness();
    const actions = h.start();
    expect(actions[0]).toEqual({ type: "connect", attempt: 1 });
    expect(actions[1]).toMatchObject({ type: "send", kind: "ready" });
    expect(toBuffers((actions[1] as { frames: Buffer[] }).frames)).toEqual([Buffer.from([0x01])]);
    expect(h.state.phase).toBe("connected");
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
    expect(h.of("heartbeat-miss")).toEqual([]);
    expect(h.state.stats()).toMatchObject({ heartbeatsSent: 10, heartbeatsReceived: 10, connects: 1 });
  });

  it("hands one request at a time to the handler, queues the rest, and echoes the envelope", () => {
    const h = new Harness();
    h.start();
    const [handle1] = h.receive(request("a", "b"));
    expect(handle1).toEqual({ type: "handle", request: { envelope: [CID], body: [Buffer.from("a"), Buffer.from("b")], connection: 1 } });
    expect(h.receive(request("second"))).toEqual([]);
    expect(h.state.queued).toBe(1);
    const done1 = h.complete((handle1 as { request: WorkerRequest }).request, { reply: ["x", "y"] });
    expect(done1[0]).toMatchObject({ type: "send", kind: "reply" });
    expect(toBuffers((done1[0] as { frames: Buffer[] }).frames)).toEqual([CID, Buffer.alloc(0), Buffer.from("x"), Buffer.from("y")]);
    expect(done1[1]).toMatchObject({ type: "handle", request: { body: [Buffer.from("second")] } });
  });

  it("keeps heartbeating while the handler runs and never gives up on the queue then", () => {
    const h = new Harness();
    h.start();
    const [handle] = h.receive(request("slow"));
    h.clock.advance(10_000); // the queue is silent for 10 intervals while we work
    expect(h.sends("heartbeat")).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(h.of("heartbeat-miss")).toEqual([]);
    const done = h.complete((handle as { request: WorkerRequest }).request, { reply: ["ok"] });
    expect(done[0]).toMatchObject({ type: "send", kind: "reply" });
    // The silence count restarts at the end of the request: liveness × interval from now.
    h.clock.advance(2999);
    expect(h.of("heartbeat-miss")).toEqual([]);
    h.clock.advance(1);
    expect(h.of("heartbeat-miss")).toEqual([{ at: 13_000, action: { type: "heartbeat-miss", silentFor: 13_000 } }]);
  });

  it("reports a handler error as a drop and sends no reply", () => {
    const h = new Harness();
    h.start();
    const [handle] = h.receive(request("boom"));
    const error = new Error("boom");
    // No reply; READY again so the queue knows the worker is free.
    const failed = h.complete((handle as { request: WorkerRequest }).request, { error });
    expect(failed[0]).toEqual({ type: "drop", reason: "handler-error", error });
    expect(failed[1]).toMatchObject({ type: "send", kind: "ready" });
    expect(toBuffers((failed[1] as { frames: Buffer[] }).frames)).toEqual([Buffer.from([0x01])]);
    expect(failed).toHaveLength(2);
    const [handle2] = h.receive(request("empty reply"));
    expect(h.complete((handle2 as { request: WorkerRequest }).request, { reply: [] })).toMatchObject([
      { type: "drop", reason: "handler-error" },
      { type: "send", kind: "ready" },
    ]);
    expect(h.state.stats().drops["handler-error"]).toBe(2);
  });

  it("drops malformed messages from the queue without counting them as signs of life", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(2000);
    expect(h.receive([Buffer.from([0x09])])).toMatchObject([{ type: "drop", reason: "unknown-command" }]);
    expect(h.receive([Buffer.alloc(0)])).toMatchObject([{ type: "drop", reason: "malformed-message" }]);
    expect(h.receive([Buffer.from([0x01])])).toMatchObject([{ type: "drop", reason: "unknown-command" }]);
    expect(h.receive([Buffer.from("no"), Buffer.from("delimiter")])).toMatchObject([{ type: "drop", reason: "malformed-message" }]);
    h.clock.advance(1000);
    expect(h.of("heartbeat-miss")).toHaveLength(1);
  });
});

describe("WorkerState: liveness and back-off", () => {
  it("reconnects with back-off 1 s doubling to 32 s while the queue stays silent", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(200_000);
    const misses = h.of("heartbeat-miss");
    const waits = h.of("reconnect").map((e) => e.action.delay);
    expect(waits.slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 32_000, 32_000]);
    // Each connection waits liveness × interval for the queue, then closes, waits, and starts over.
    expect(misses[0]!.at).toBe(3000);
    expect(h.of("connect").map((e) => e.at).slice(0, 4)).toEqual([0, 4000, 9000, 16_000]);
    // Every fresh connection starts with READY, and a disconnect comes before each wait.
    expect(h.sends("ready").slice(0, 4)).toEqual([0, 4000, 9000, 16_000]);
    expect(h.of("disconnect").slice(0, 3).map((e) => e.at)).toEqual([3000, 7000, 12_000]);
    expect(h.of("disconnect").every((e) => e.action.final === false)).toBe(true);
    // No heartbeats while waiting.
    expect(h.sends("heartbeat").filter((t) => t > 3000 && t < 4000)).toEqual([]);
  });

  it("resets the back-off once the queue is heard from", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(3000 + 1000 + 3000 + 2000); // two misses: waits 1 s and 2 s
    expect(h.of("reconnect").map((e) => e.action.delay)).toEqual([1000, 2000]);
    expect(h.state.attempt).toBe(3);
    h.receive(HEARTBEAT);
    const before = h.log.length;
    h.clock.advance(3000);
    expect(h.of("reconnect", before).map((e) => e.action.delay)).toEqual([1000]);
    expect(h.of("reconnect", before)[0]!.action.attempt).toBe(4);
  });

  it("ignores messages that arrive while waiting (old socket)", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(3000);
    expect(h.state.phase).toBe("waiting");
    expect(h.receive(HEARTBEAT)).toEqual([]);
    expect(h.receive(request("stale"))).toEqual([]);
  });

  it("applies the configured back-off and jitter", () => {
    const h = new Harness({ heartbeatInterval: 50, liveness: 2, reconnect: { initial: 10, max: 40, jitter: 0.5 }, random: () => 1 });
    h.start();
    h.clock.advance(2000);
    expect(h.of("reconnect").slice(0, 4).map((e) => e.action.delay)).toEqual([5, 10, 20, 20]);
  });
});

describe("WorkerState: close", () => {
  it("closes at once when idle", () => {
    const h = new Harness();
    h.start();
    expect(h.perform(h.state.close())).toEqual([{ type: "disconnect", final: true }]);
    expect(h.state.phase).toBe("closed");
    expect(h.state.nextWakeAt()).toBe(Number.POSITIVE_INFINITY);
    expect(h.state.close()).toEqual([]);
  });

  it("finishes the request in hand, drops the queued ones, then closes", () => {
    const h = new Harness();
    h.start();
    const [handle] = h.receive(request("in hand"));
    h.receive(request("queued"));
    expect(h.perform(h.state.close())).toEqual([{ type: "drop", reason: "closing" }]);
    expect(h.state.phase).toBe("connected");
    h.clock.advance(2500); // still heartbeating while finishing
    expect(h.sends("heartbeat")).toEqual([1000, 2000]);
    expect(h.receive(request("late"))).toEqual([{ type: "drop", reason: "closing" }]);
    const done = h.complete((handle as { request: WorkerRequest }).request, { reply: ["bye"] });
    expect(done.map((a) => a.type)).toEqual(["send", "disconnect"]);
    expect(done[1]).toEqual({ type: "disconnect", final: true });
    expect(h.state.phase).toBe("closed");
  });

  it("can abandon a request in hand that does not finish", () => {
    const h = new Harness();
    h.start();
    const [handle] = h.receive(request("stuck"));
    h.perform(h.state.close());
    expect(h.state.abandon()).toEqual([
      { type: "drop", reason: "closing" },
      { type: "disconnect", final: true },
    ]);
    expect(h.state.phase).toBe("closed");
    expect(h.complete((handle as { request: WorkerRequest }).request, { reply: ["late"] })).toEqual([]);
  });

  it("closes without a disconnect while waiting between sockets", () => {
    const h = new Harness();
    h.start();
    h.clock.advance(3000);
    expect(h.state.close()).toEqual([]);
    expect(h.state.phase).toBe("closed");
  });
});
