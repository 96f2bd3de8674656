import { type Channel, Driver, type Frame } from "@zmq-reliable/core";
import { FakeClock } from "@zmq-reliable/core/testing";
import { describe, expect, it } from "vitest";
import { type BinaryStarRole, type BinaryStarState, type NodeAction, type NodeInput, NodeState, encodeState } from "../src/index.js";

const HB = 1000;

/** A NodeState run by core's Driver on a FakeClock, with a fake "state" channel that records what is published. */
function harness(role: BinaryStarRole, liveness = 2) {
  const clock = new FakeClock();
  const machine = new NodeState({ role, heartbeatInterval: HB, liveness });
  const published: { at: number; state: string }[] = [];
  const events: { at: number; event: string; args: unknown[] }[] = [];
  const performed: NodeAction[] = [];
  const state = { post: (frames: Frame[]) => published.push({ at: clock.now(), state: String(frames[0]) }) } as unknown as Channel;
  const driver = new Driver<NodeInput, NodeAction>(machine, {
    clock,
    emit: (event, ...args) => events.push({ at: clock.now(), event, args }),
    perform: (action) => performed.push(action),
  });
  driver.attach("state", state, { listen: false });
  let verdict: boolean | undefined;
  const admit = (): boolean => {
    const before = performed.length;
    driver.feed({ type: "admit" });
    const last = performed.slice(before).find((a) => a.type === "verdict");
    verdict = last?.type === "verdict" ? last.serve : undefined;
    return verdict!;
  };
  const hear = (frames: Buffer[] | BinaryStarState) =>
    driver.feed({ type: "message", channel: "peer", message: typeof frames === "string" ? encodeState(frames) : frames });
  const subscribe = (flag: number) => driver.feed({ type: "message", channel: "state", message: [Buffer.from([flag])] });
  const names = () => events.map((e) => e.event);
  return { clock, machine, driver, published, events, performed, admit, hear, subscribe, names, start: () => driver.feed({ type: "start" }) };
}

describe("NodeState (pure, FakeClock)", () => {
  it("publishes nothing and rejects every vote before start", () => {
    const h = harness("primary");
    expect(h.machine.wakeAt()).toBe(Number.POSITIVE_INFINITY);
    h.hear("BACKUP");
    h.subscribe(1);
    h.clock.advance(10 * HB);
    expect(h.admit()).toBe(false);
    expect(h.published).toEqual([]);
    expect(h.events).toEqual([]);
    expect(h.machine.stats(h.clock.now())).toMatchObject({ state: "PRIMARY", rejected: 1, stateReceived: 0, stateSent: 0 });
  });

  it("publishes its state at start and every heartbeat after", () => {
    const h = harness("backup");
    h.clock.advance(500);
    h.start();
    expect(h.published).toEqual([{ at: 500, state: "2" }]);
    expect(h.machine.wakeAt()).toBe(500 + HB);
    h.clock.advance(HB - 1);
    expect(h.published).toHaveLength(1);
    h.clock.advance(1);
    expect(h.published.at(-1)).toEqual({ at: 500 + HB, state: "2" });
    h.clock.advance(3 * HB);
    expect(h.published.map((p) => p.at)).toEqual([500, 1500, 2500, 3500, 4500]);
    h.start(); // a second start changes nothing
    expect(h.published).toHaveLength(5);
  });

  it("answers a new subscriber at once without moving the heartbeat; ignores unsubscriptions", () => {
    const h = harness("primary");
    h.start();
    h.clock.advance(300);
    h.subscribe(1);
    expect(h.published).toEqual([
      { at: 0, state: "1" },
      { at: 300, state: "1" },
    ]);
    h.subscribe(0);
    expect(h.published).toHaveLength(2);
    h.clock.advance(HB - 300);
    expect(h.published.at(-1)).toEqual({ at: HB, state: "1" });
    expect(h.machine.stats(h.clock.now()).stateSent).toBe(3);
  });

  it("on a peer state: peer-state, then the new state published at once, state-change and the callback, in that order", () => {
    const h = harness("primary");
    h.start();
    h.clock.advance(10);
    h.hear("BACKUP");
    expect(h.names()).toEqual(["peer-state", "state-change", "active"]);
    expect(h.events[0]!.args[0]).toEqual({ state: "BACKUP", previous: undefined, at: 10 });
    const change = { from: "PRIMARY", to: "ACTIVE", event: "PEER_BACKUP", note: "connected to backup (passive), ready active", at: 10 };
    expect(h.events[1]!.args[0]).toEqual(change);
    expect(h.events[2]!.args[0]).toEqual(change);
    expect(h.published.at(-1)).toEqual({ at: 10, state: "3" });
    h.hear("BACKUP"); // the same state again: no peer-state, no change
    expect(h.names()).toHaveLength(3);
    h.hear("PASSIVE");
    expect(h.names().slice(3)).toEqual(["peer-state"]);
    expect(h.events[3]!.args[0]).toEqual({ state: "PASSIVE", previous: "BACKUP", at: 10 });
    expect(h.machine.stats(h.clock.now())).toMatchObject({ state: "ACTIVE", peerState: "PASSIVE", stateReceived: 3, transitions: 1 });
  });

  it("a primary alone admits the first vote once `liveness` heartbeats have passed since its start", () => {
    const h = harness("primary");
    h.clock.advance(100);
    h.start();
    h.clock.advance(2 * HB - 1);
    expect(h.admit()).toBe(false);
    expect(h.machine.stats(h.clock.now()).peerAlive).toBe(true);
    h.clock.advance(1);
    expect(h.machine.stats(h.clock.now()).peerAlive).toBe(false);
    expect(h.admit()).toBe(true);
    expect(h.names()).toEqual(["state-change", "active"]);
    expect(h.events[0]!.args[0]).toMatchObject({ from: "PRIMARY", to: "ACTIVE", event: "CLIENT_REQUEST", note: "request from client, ready active" });
    expect(h.performed.map((a) => a.type)).toEqual(["verdict", "verdict"]);
    expect(h.published.at(-1)).toEqual({ at: 100 + 2 * HB, state: "3" });
    expect(h.admit()).toBe(true);
    expect(h.machine.stats(h.clock.now())).toMatchObject({ admitted: 2, rejected: 1 });
  });

  it("failover: each state message pushes the peer expiry; silence alone changes nothing; the first vote after it takes over", () => {
    const h = harness("backup");
    h.start();
    h.clock.advance(100);
    h.hear("ACTIVE");
    expect(h.machine.state).toBe("PASSIVE");
    h.clock.advance(HB);
    h.hear("ACTIVE"); // last word from the active, at 1100
    h.clock.advance(2 * HB - 1);
    expect(h.admit()).toBe(false);
    h.clock.advance(10 * HB);
    expect(h.machine.state).toBe("PASSIVE");
    expect(h.admit()).toBe(true);
    expect(h.events.at(-1)!.args[0]).toMatchObject({ from: "PASSIVE", to: "ACTIVE", note: "failover successful, ready active" });
  });

  it("handle() returns a vote's actions in order: state published, state-change, callback, verdict last", () => {
    const m = new NodeState({ role: "primary", heartbeatInterval: HB, liveness: 2 });
    expect(m.handle({ type: "start" }, 0)).toEqual([{ type: "send", channel: "state", frames: [Buffer.from("1")] }]);
    expect(m.handle({ type: "admit" }, 2 * HB - 1)).toEqual([{ type: "verdict", serve: false }]);
    const change = { from: "PRIMARY", to: "ACTIVE", event: "CLIENT_REQUEST", note: "request from client, ready active", at: 2 * HB };
    expect(m.handle({ type: "admit" }, 2 * HB)).toEqual([
      { type: "send", channel: "state", frames: [Buffer.from("3")] },
      { type: "emit", event: "state-change", args: [change] },
      { type: "emit", event: "active", args: [change] },
      { type: "verdict", serve: true },
    ]);
    expect(m.wakeAt()).toBe(HB); // the heartbeat due since 1000 (no driver here to wake it)
    expect(m.handle({ type: "wake" }, 2 * HB)).toEqual([{ type: "send", channel: "state", frames: [Buffer.from("3")] }]);
    expect(m.wakeAt()).toBe(3 * HB);
    expect(m.handle({ type: "wake" }, 2 * HB + 1)).toEqual([]); // not due yet
  });

  it("liveness sets the expiry: with 3, a vote wins only after three silent heartbeats", () => {
    const h = harness("primary", 3);
    expect(h.machine.peerTimeout).toBe(3 * HB);
    h.start();
    h.clock.advance(3 * HB - 1);
    expect(h.admit()).toBe(false);
    h.clock.advance(1);
    expect(h.admit()).toBe(true);
  });

  it("a malformed state message is dropped and is not a sign of life", () => {
    const h = harness("primary");
    h.start();
    h.clock.advance(2 * HB - 10);
    h.hear([Buffer.from("3\0")]);
    h.hear([Buffer.from("1"), Buffer.from("1")]);
    expect(h.names()).toEqual(["drop", "drop"]);
    expect(h.events[0]!.args[0]).toMatchObject({ reason: "malformed", error: { code: "ERR_PROTOCOL" } });
    expect(h.machine.peerState).toBeUndefined();
    h.clock.advance(10);
    expect(h.admit()).toBe(true); // the expiry still counts from the start
    expect(h.machine.stats(h.clock.now())).toMatchObject({ malformed: 2, stateReceived: 0 });
  });

  it("dual actives are no longer fatal: a primary that hears ACTIVE keeps its heartbeat, its state and its votes", () => {
    const h = harness("primary");
    h.start();
    h.hear("BACKUP");
    const sent = h.published.length;
    h.clock.advance(50);
    h.hear("ACTIVE");
    expect(h.performed.map((a) => a.type)).toEqual([]);
    expect(h.names()).not.toContain("fatal");
    expect(h.machine.wakeAt()).toBeLessThan(Number.POSITIVE_INFINITY);
    expect(h.machine.running).toBe(true);
    expect(h.machine.fatal).toBeUndefined();
    h.clock.advance(10 * HB); // silence after that changes nothing: it goes on serving
    expect(h.admit()).toBe(true);
    expect(h.published.length).toBeGreaterThan(sent);
    expect(h.machine.stats(h.clock.now())).toMatchObject({ state: "ACTIVE", fatal: undefined, admitted: 1 });
  });

  it("dual passives are no longer fatal: the backup stays passive (the primary would take over)", () => {
    const h = harness("backup");
    h.start();
    h.hear("ACTIVE");
    h.hear("PASSIVE");
    expect(h.names()).not.toContain("fatal");
    expect(h.performed.map((a) => a.type)).toEqual([]);
    expect([h.machine.state, h.machine.running]).toEqual(["PASSIVE", true]);
  });

  it("a lone backup never serves and never changes state, whatever else it hears", () => {
    const h = harness("backup");
    h.start();
    for (let t = 0; t < 60; t++) {
      h.clock.advance(HB / 2);
      expect(h.admit()).toBe(false);
      if (t % 7 === 0) h.hear("PRIMARY");
      if (t % 5 === 0) h.hear("BACKUP");
    }
    expect(h.machine.state).toBe("BACKUP");
    expect(h.names().filter((n) => n !== "peer-state")).toEqual([]);
    expect(h.published.every((p) => p.state === "2")).toBe(true);
  });
});
