import { type Frame, framesToStrings, type WorkerLinkAction } from "@zmq-reliable/core";
import { MachineHarness } from "@zmq-reliable/core/testing";
import { describe, expect, it } from "vitest";
import { type MajordomoWorkerRequest, MajordomoWorkerState, type MajordomoWorkerStateOptions, type WorkerWireDropReason } from "../src/index.js";

type Action = WorkerLinkAction<MajordomoWorkerRequest, WorkerWireDropReason>;
const E = Buffer.alloc(0);
const W = (command: number, ...rest: (string | Buffer)[]) => [E, Buffer.from("MDPW01"), Buffer.from([command]), ...rest.map((f) => Buffer.from(f))];
const show = (frames: Frame[]) => framesToStrings(frames).map((f) => (f.length === 1 && f.charCodeAt(0) < 32 ? `0x0${f.charCodeAt(0)}` : f));

/** Drives the state with a FakeClock the way core's driver does (core's MachineHarness). */
class Harness extends MachineHarness<MajordomoWorkerState> {
  constructor(options: Partial<MajordomoWorkerStateOptions> = {}) {
    super((now) => new MajordomoWorkerState({ endpoint: "tcp://b:5555", service: "echo", ...options }, now));
  }

  receive(frames: Buffer[], line = 0): Action[] {
    const connects = this.of("connect").filter((e) => e.action.line === line);
    const last = connects[connects.length - 1]!.action;
    return this.feed({ type: "message", channel: last.channel, message: { connection: last.connection, frames } });
  }

  events(event: string): Record<string, unknown>[] {
    return this.emitted(event).map((e) => e.args[0] as Record<string, unknown>);
  }
}

describe("MajordomoWorkerState", () => {
  it("says READY with its service, answers a REQUEST with a REPLY to the client, heartbeats every 2500 ms by default", () => {
    const h = new Harness();
    const start = h.feed({ type: "start" });
    expect(show((start[1] as { frames: Frame[] }).frames)).toEqual(["", "MDPW01", "0x01", "echo"]);
    const [handle] = h.receive(W(2, "CLIENT", E, "a", "b"));
    expect(handle).toMatchObject({ type: "handle", job: { id: 1, endpoint: "tcp://b:5555", request: { client: Buffer.from("CLIENT") } } });
    const [reply] = h.feed({ type: "done", job: 1, reply: ["re", "a"] });
    expect(show((reply as { frames: Frame[] }).frames)).toEqual(["", "MDPW01", "0x03", "CLIENT", "", "re", "a"]);
    h.clock.advance(2500);
    const hb = h.log.filter((e) => e.action.type === "send").map((e) => [e.at, show((e.action as { frames: Frame[] }).frames)[2]]);
    expect(hb).toEqual([
      [0, "0x01"],
      [0, "0x03"],
      [2500, "0x04"],
    ]);
  });

  it("drops malformed and unexpected broker messages; a DISCONNECT reconnects after the back-off (2.5 s doubling to 32 s by default)", () => {
    const h = new Harness({ heartbeatInterval: 1000 });
    h.feed({ type: "start" });
    expect(h.receive(W(9))).toEqual([{ type: "emit", event: "drop", args: [{ reason: "malformed", endpoint: "tcp://b:5555", detail: "unknown-command" }] }]);
    expect(h.receive(W(3, "C", E, "x"))).toEqual([{ type: "emit", event: "drop", args: [{ reason: "unexpected-command", endpoint: "tcp://b:5555", detail: "reply" }] }]);
    h.receive(W(5));
    h.clock.advance(2500);
    h.receive(W(5));
    h.clock.advance(5000);
    h.receive(W(5));
    expect(h.events("disconnect").map((e) => [e.reason, e.reconnectIn])).toEqual([
      ["peer-disconnect", 2500],
      ["peer-disconnect", 5000],
      ["peer-disconnect", 10_000],
    ]);
    expect(h.machine.stats()).toMatchObject({ disconnectsReceived: 3, connects: 3, dropped: 2, drops: { malformed: 1, "unexpected-command": 1 } });
  });

  it("a failed handler says DISCONNECT and registers again at once on a fresh connection", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    h.receive(W(2, "C", E, "x"));
    const failed = h.feed({ type: "done", job: 1, error: new Error("boom") });
    expect(failed.map((a) => (a.type === "emit" ? a.event : a.type))).toEqual(["drop", "send", "hangup", "disconnect"]);
    expect(show((failed[1] as { frames: Frame[] }).frames)).toEqual(["", "MDPW01", "0x05"]);
    h.clock.advance(0);
    expect(h.events("ready")).toEqual([
      { endpoint: "tcp://b:5555", attempt: 1 },
      { endpoint: "tcp://b:5555", attempt: 2 },
    ]);
  });

  it("registers with every broker in 'all' mode, and with one at a time (rotating) in 'failover' mode", () => {
    const all = new Harness({ endpoint: ["tcp://a:1", "tcp://b:2"], brokers: "all" });
    all.feed({ type: "start" });
    expect(all.events("ready").map((e) => e.endpoint)).toEqual(["tcp://a:1", "tcp://b:2"]);
    const one = new Harness({ endpoint: ["tcp://a:1", "tcp://b:2"] });
    one.feed({ type: "start" });
    expect(one.events("ready").map((e) => e.endpoint)).toEqual(["tcp://a:1"]);
    expect(one.machine.endpoints).toEqual(["tcp://a:1"]);
  });

  it("says DISCONNECT on close", () => {
    const h = new Harness();
    h.feed({ type: "start" });
    const closing = h.feed({ type: "close" });
    expect(show((closing[0] as { frames: Frame[] }).frames)).toEqual(["", "MDPW01", "0x05"]);
    expect(closing.map((a) => a.type)).toEqual(["send", "hangup", "emit", "closed"]);
  });

  it("refuses a missing endpoint and bad services", () => {
    expect(() => new Harness({ endpoint: undefined as unknown as string })).toThrow(/endpoint/);
    expect(() => new Harness({ service: "mmi.x" })).toThrow(/mmi/);
    expect(() => new Harness({ reconnect: { initial: 100, max: 50 } })).toThrow(/reconnect.max/);
    expect(new Harness({ reconnect: { initial: 40_000 } }).machine).toBeInstanceOf(MajordomoWorkerState); // max follows a larger initial
  });
});
