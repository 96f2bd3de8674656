/**
 * A pair of pure NodeStates wired to each other on a FakeClock, one of which can be frozen as a
 * SIGSTOP, a GC or a VM stall would freeze it: it handles nothing, the peer's state messages queue
 * up for it in order, and on thaw its overdue heartbeat and the queued messages arrive at the
 * thaw time. Heartbeat 100 ms, liveness 2 (peer expiry 200 ms).
 */
import { FakeClock } from "@zmq-reliable/core/testing";
import { describe, expect, it } from "vitest";
import { type BinaryStarState, type NodeAction, type NodeInput, NodeState, decodeState, encodeState } from "../src/index.js";

const HB = 100;
type Side = "primary" | "backup";
type Order = "wake-first" | "messages-first" | "vote-first";
const other = (side: Side): Side => (side === "primary" ? "backup" : "primary");

class Pair {
  readonly clock = new FakeClock();
  readonly nodes: Record<Side, NodeState> = {
    primary: new NodeState({ role: "primary", heartbeatInterval: HB, liveness: 2 }),
    backup: new NodeState({ role: "backup", heartbeatInterval: HB, liveness: 2 }),
  };
  readonly events: { at: number; side: Side; event: string; args: unknown[] }[] = [];
  /** States sent to a frozen node, delivered in order when it thaws. */
  private readonly queued: Record<Side, BinaryStarState[]> = { primary: [], backup: [] };
  private readonly frozen = new Set<Side>();
  private readonly wire: { to: Side; state: BinaryStarState }[] = [];
  private verdict: boolean | undefined;

  constructor() {
    this.feed("primary", { type: "start" });
    this.feed("backup", { type: "start" });
  }

  state(side: Side): BinaryStarState {
    return this.nodes[side].state;
  }

  /** One input into one node; what it sends goes over the (zero-latency) wire to the other. */
  feed(side: Side, input: NodeInput): void {
    for (const action of this.nodes[side].handle(input, this.clock.now())) this.perform(side, action);
    while (this.wire.length > 0) {
      const { to, state } = this.wire.shift()!;
      if (this.frozen.has(to)) this.queued[to].push(state);
      else this.feed(to, { type: "message", channel: "peer", message: encodeState(state) });
    }
  }

  private perform(side: Side, action: NodeAction): void {
    if (action.type === "send") this.wire.push({ to: other(side), state: decodeState(action.frames as Buffer[]) });
    else if (action.type === "emit") this.events.push({ at: this.clock.now(), side, event: action.event, args: action.args });
    else if (action.type === "verdict") this.verdict = action.serve;
  }

  /** A client vote on one node: whether it serves. */
  vote(side: Side): boolean {
    this.verdict = undefined;
    this.feed(side, { type: "admit" });
    return this.verdict === true;
  }

  /** Runs `ms` of time, 1 ms at a time, waking every running node that is due. */
  run(ms: number, each?: () => void): void {
    for (let i = 0; i < ms; i++) {
      this.clock.advance(1);
      for (const side of ["primary", "backup"] as const) {
        if (!this.frozen.has(side) && this.clock.now() >= this.nodes[side].wakeAt()) this.feed(side, { type: "wake" });
      }
      each?.();
    }
  }

  freeze(side: Side): void {
    this.frozen.add(side);
  }

  /**
   * Ends the pause: the overdue heartbeat fires and the queued messages are read, in the given
   * order; with "vote-first", a client request queued during the pause comes first of all.
   * Returns that request's verdict, if any.
   */
  thaw(side: Side, order: Order): boolean | undefined {
    this.frozen.delete(side);
    const verdict = order === "vote-first" ? this.vote(side) : undefined;
    const messages = () => {
      for (const state of this.queued[side].splice(0)) this.feed(side, { type: "message", channel: "peer", message: encodeState(state) });
    };
    if (order === "messages-first") messages();
    this.feed(side, { type: "wake" });
    if (order !== "messages-first") messages();
    return verdict;
  }

  actives(): Side[] {
    return (["primary", "backup"] as const).filter((s) => this.state(s) === "ACTIVE");
  }

  fatal(): unknown[] {
    return this.events.filter((e) => e.event === "fatal");
  }
}

/** A pair past start-up: primary ACTIVE, backup PASSIVE, both heard each other for a few heartbeats. */
function pairedUp(): Pair {
  const pair = new Pair();
  pair.run(5 * HB);
  expect([pair.state("primary"), pair.state("backup")]).toEqual(["ACTIVE", "PASSIVE"]);
  return pair;
}

/** Freezes `side` (ACTIVE) for `pause` ms while clients keep voting on the other node, then thaws it. */
function pauseActive(pair: Pair, side: Side, pause: number, order: Order): boolean | undefined {
  pair.freeze(side);
  pair.run(pause, () => pair.clock.now() % 10 === 0 && pair.vote(other(side)));
  expect(pair.state(other(side))).toBe("ACTIVE"); // took over on a client vote
  return pair.thaw(side, order);
}

describe("Binary Star survives a pause of the active node (pure NodeStates, FakeClock)", () => {
  for (const order of ["wake-first", "messages-first", "vote-first"] as const) {
    for (const pause of [3 * HB, 5000, 3_600_000]) {
      it(`primary frozen ${pause} ms, backup takes over; on thaw (${order}) the primary steps down, nobody stops`, () => {
        const pair = pairedUp();
        const verdict = pauseActive(pair, "primary", pause, order);
        // A request queued during the pause and handled first of all is held, not served twice.
        if (order === "vote-first") expect(verdict).toBe(false);
        const thawedAt = pair.clock.now();
        // Within two heartbeats of the thaw, and for long after: exactly one ACTIVE, the one that took over.
        pair.run(2 * HB);
        expect(pair.actives()).toEqual(["backup"]);
        expect(pair.state("primary")).toBe("PASSIVE");
        const stepDown = pair.events.find((e) => e.side === "primary" && e.event === "passive");
        expect(stepDown).toMatchObject({ args: [{ from: "ACTIVE", to: "PASSIVE", event: "PEER_ACTIVE" }] });
        expect(stepDown!.at).toBe(thawedAt); // at once: nothing waits for a heartbeat
        pair.run(20 * HB, () => expect(pair.actives()).toEqual(["backup"]));
        expect(pair.fatal()).toEqual([]);
        expect(pair.nodes.primary.running && pair.nodes.backup.running).toBe(true);
        expect(pair.vote("backup")).toBe(true);
        expect(pair.vote("primary")).toBe(false);
      });
    }
  }

  it("then the backup, now active, frozen in turn: the primary takes over and the backup steps down on thaw", () => {
    const pair = pairedUp();
    pauseActive(pair, "primary", 1000, "wake-first");
    pair.run(5 * HB);
    pauseActive(pair, "backup", 1000, "messages-first");
    pair.run(2 * HB);
    expect(pair.actives()).toEqual(["primary"]);
    expect(pair.state("backup")).toBe("PASSIVE");
    expect(pair.fatal()).toEqual([]);
  });

  it("a pause nobody noticed (no client voted on the backup) changes nothing on thaw", () => {
    const pair = pairedUp();
    pair.freeze("primary");
    pair.run(5000);
    expect(pair.state("backup")).toBe("PASSIVE");
    expect(pair.thaw("primary", "vote-first")).toBe(false);
    // After a pause it holds client votes for two heartbeats (the peer's state is on its way), then serves again.
    pair.run(2 * HB - 1);
    expect(pair.vote("primary")).toBe(false);
    pair.run(1);
    expect(pair.vote("primary")).toBe(true);
    pair.run(10 * HB);
    expect(pair.actives()).toEqual(["primary"]);
    expect(pair.state("backup")).toBe("PASSIVE");
    expect(pair.events.filter((e) => e.event === "state-change").map((e) => e.side)).toEqual(["primary", "backup"]); // start-up only
  });

  it("a primary frozen just under its own expiry (the backup still took over): the backup yields within two heartbeats", () => {
    // The primary's last sign of the backup is recent, so on thaw it is not stale; neither node is.
    const pair = pairedUp();
    pair.run(HB / 2);
    // Half a heartbeat after both sent, the primary hears the backup once more (as on a resubscription), then freezes.
    pair.feed("primary", { type: "message", channel: "peer", message: encodeState("PASSIVE") });
    pair.freeze("primary");
    pair.run(2 * HB - 10, () => pair.vote("backup")); // the backup's expiry counts from the primary's last message, half a heartbeat earlier
    expect(pair.state("backup")).toBe("ACTIVE");
    pair.thaw("primary", "wake-first");
    const thawedAt = pair.clock.now();
    let resolvedAt: number | undefined;
    pair.run(10 * HB, () => {
      if (resolvedAt === undefined && pair.actives().length === 1) resolvedAt = pair.clock.now();
    });
    expect(pair.actives()).toEqual(["primary"]);
    expect(resolvedAt! - thawedAt).toBeLessThanOrEqual(2 * HB);
    expect(pair.fatal()).toEqual([]);
  });
});

describe("dual actives and dual passives in one NodeState (no pair)", () => {
  const hear = (node: NodeState, state: BinaryStarState, now: number) => node.handle({ type: "message", channel: "peer", message: encodeState(state) }, now);
  const activePrimary = () => {
    const node = new NodeState({ role: "primary", heartbeatInterval: HB, liveness: 2 });
    node.handle({ type: "start" }, 0);
    hear(node, "BACKUP", 10);
    expect(node.state).toBe("ACTIVE");
    return node;
  };

  it("one ACTIVE from the peer address changes nothing for a node that is not stale (it used to be fatal)", () => {
    const node = activePrimary();
    const actions = hear(node, "ACTIVE", 20);
    expect(actions.map((a) => a.type)).toEqual(["emit"]); // peer-state only
    expect(node.state).toBe("ACTIVE");
    expect(node.running).toBe(true);
    expect(node.fatal).toBeUndefined();
    expect(node.handle({ type: "admit" }, 30)).toContainEqual({ type: "verdict", serve: true });
  });

  it("a primary that keeps hearing ACTIVE keeps serving; a backup yields once it has heard it for 1.5 heartbeats", () => {
    const primary = activePrimary();
    for (let t = 20; t < 20 + 10 * HB; t += HB / 2) hear(primary, "ACTIVE", t);
    expect(primary.state).toBe("ACTIVE");

    const backup = new NodeState({ role: "backup", heartbeatInterval: HB, liveness: 2 });
    backup.handle({ type: "start" }, 0);
    hear(backup, "ACTIVE", 10);
    expect(backup.state).toBe("PASSIVE");
    expect(backup.handle({ type: "admit" }, 10 + 2 * HB)).toContainEqual({ type: "verdict", serve: true }); // took over
    hear(backup, "ACTIVE", 300);
    hear(backup, "ACTIVE", 300 + HB);
    expect(backup.state).toBe("ACTIVE");
    const actions = hear(backup, "ACTIVE", 300 + 1.5 * HB);
    expect(backup.state).toBe("PASSIVE");
    expect(actions).toContainEqual({ type: "send", channel: "state", frames: encodeState("PASSIVE") });
    expect(backup.running).toBe(true);
  });

  it("an ACTIVE node that heard its peer and then lost it for the expiry is stale: the next ACTIVE makes it yield at once", () => {
    const node = activePrimary();
    hear(node, "PASSIVE", 50);
    expect(hear(node, "ACTIVE", 50 + 2 * HB).map((a) => (a.type === "emit" ? a.event : a.type))).toEqual(["peer-state", "send", "state-change", "passive"]);
    expect(node.state).toBe("PASSIVE");
    expect(node.fatal).toBeUndefined();
  });

  it("dual passives: the primary takes over, the backup stays passive; neither stops", () => {
    const backup = new NodeState({ role: "backup", heartbeatInterval: HB, liveness: 2 });
    backup.handle({ type: "start" }, 0);
    hear(backup, "ACTIVE", 10);
    hear(backup, "PASSIVE", 20);
    expect([backup.state, backup.running, backup.fatal]).toEqual(["PASSIVE", true, undefined]);

    const primary = activePrimary();
    hear(primary, "PASSIVE", 20);
    primary.handle({ type: "start" }, 0); // (ignored: already started)
    const passive = new NodeState({ role: "primary", heartbeatInterval: HB, liveness: 2 });
    passive.handle({ type: "start" }, 0);
    hear(passive, "ACTIVE", 10);
    expect(passive.state).toBe("PASSIVE");
    hear(passive, "PASSIVE", 20);
    expect([passive.state, passive.running, passive.fatal]).toEqual(["ACTIVE", true, undefined]);
  });
});
