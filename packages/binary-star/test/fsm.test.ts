import { describe, expect, it } from "vitest";
import {
  BINARY_STAR_EVENTS,
  BINARY_STAR_STATES,
  BINARY_STAR_TABLE,
  type BinaryStarEvent,
  type BinaryStarState,
  type FsmResult,
  peerEvent,
  transition,
} from "../src/index.js";

const HB = 1000;
const EXPIRY = 10_000;
const ALIVE = EXPIRY - 1; // now < peerExpiry: the peer was heard within two heartbeats
const EXPIRED = EXPIRY; // now >= peerExpiry

type Expect = { state: BinaryStarState; serve?: boolean; error?: FsmResult["error"]; callbacks: string[] };
const stay = (state: BinaryStarState): Expect => ({ state, callbacks: [] });
const to = (state: BinaryStarState, callback: "active" | "passive" | undefined, serve?: boolean): Expect => ({
  state,
  callbacks: callback ? [callback] : [],
  ...(serve === undefined ? {} : { serve }),
});
const reject = (state: BinaryStarState): Expect => ({ state, serve: false, callbacks: [] });

/**
 * docs/protocols/binary-star.md#state-machine, the reactor bstar.c s_execute_fsm, cell by cell. CLIENT_REQUEST has two
 * columns: the peer still alive (now < peer_expiry) and the peer silent for two heartbeats. The two
 * conflict cells, fatal in bstar.c, are resolved: this column is the winner; LOSER below is the loser.
 */
const TABLE: Record<BinaryStarState, Record<BinaryStarEvent | "CLIENT_REQUEST (expired)", Expect>> = {
  PRIMARY: {
    PEER_PRIMARY: stay("PRIMARY"),
    PEER_BACKUP: to("ACTIVE", "active"),
    PEER_ACTIVE: to("PASSIVE", "passive"),
    PEER_PASSIVE: stay("PRIMARY"),
    CLIENT_REQUEST: reject("PRIMARY"),
    "CLIENT_REQUEST (expired)": to("ACTIVE", "active", true),
  },
  BACKUP: {
    PEER_PRIMARY: stay("BACKUP"),
    PEER_BACKUP: stay("BACKUP"),
    PEER_ACTIVE: to("PASSIVE", "passive"),
    PEER_PASSIVE: stay("BACKUP"),
    CLIENT_REQUEST: reject("BACKUP"),
    "CLIENT_REQUEST (expired)": reject("BACKUP"),
  },
  ACTIVE: {
    PEER_PRIMARY: stay("ACTIVE"),
    PEER_BACKUP: stay("ACTIVE"),
    PEER_ACTIVE: stay("ACTIVE"), // dual actives: the winner keeps serving
    PEER_PASSIVE: stay("ACTIVE"),
    CLIENT_REQUEST: { state: "ACTIVE", serve: true, callbacks: [] },
    "CLIENT_REQUEST (expired)": { state: "ACTIVE", serve: true, callbacks: [] },
  },
  PASSIVE: {
    PEER_PRIMARY: to("ACTIVE", "active"),
    PEER_BACKUP: to("ACTIVE", "active"),
    PEER_ACTIVE: stay("PASSIVE"),
    PEER_PASSIVE: to("ACTIVE", "active"), // dual passives: the winner (the primary) takes over
    CLIENT_REQUEST: reject("PASSIVE"),
    "CLIENT_REQUEST (expired)": to("ACTIVE", "active", true),
  },
};

/** The conflict cells for the node that loses: dual actives, it yields; dual passives, it stays. */
const LOSER: [BinaryStarState, BinaryStarEvent, Expect][] = [
  ["ACTIVE", "PEER_ACTIVE", to("PASSIVE", "passive")],
  ["PASSIVE", "PEER_PASSIVE", stay("PASSIVE")],
];

const cells = BINARY_STAR_STATES.flatMap((state) =>
  [...BINARY_STAR_EVENTS, "CLIENT_REQUEST (expired)" as const].map((column) => [state, column, TABLE[state][column]] as const),
);

describe("Binary Star FSM: every cell of the bstar.c table (docs/protocols/binary-star.md#state-machine)", () => {
  it("has 4 states x 6 columns", () => expect(cells).toHaveLength(24));

  it.each(cells)("%s + %s", (state, column, expected) => {
    const event: BinaryStarEvent = column === "CLIENT_REQUEST (expired)" ? "CLIENT_REQUEST" : column;
    const now = column === "CLIENT_REQUEST (expired)" ? EXPIRED : ALIVE;
    const result = transition(state, event, now, EXPIRY);
    expect({ state: result.state, serve: result.serve, error: result.error, callbacks: [...result.callbacks] }).toEqual({
      serve: undefined,
      error: undefined,
      ...expected,
    });
    // The peer's liveness only matters for client requests.
    if (event !== "CLIENT_REQUEST") expect(transition(state, event, EXPIRED, EXPIRY)).toEqual(result);
    // Losing a conflict only matters in the conflict cells.
    if (!LOSER.some(([s, e]) => s === state && e === event)) expect(transition(state, event, now, EXPIRY, true)).toEqual(result);
  });

  it.each(LOSER)("%s + %s, for the node that loses the conflict", (state, event, expected) => {
    for (const now of [ALIVE, EXPIRED]) {
      const result = transition(state, event, now, EXPIRY, true);
      expect({ state: result.state, serve: result.serve, error: result.error, callbacks: [...result.callbacks] }).toEqual({ serve: undefined, error: undefined, ...expected });
    }
  });

  it("serves a client request only in the resulting ACTIVE state", () => {
    for (const [state, column] of cells) {
      if (!column.startsWith("CLIENT_REQUEST")) continue;
      const result = transition(state, "CLIENT_REQUEST", column === "CLIENT_REQUEST" ? ALIVE : EXPIRED, EXPIRY);
      expect(result.serve).toBe(result.state === "ACTIVE");
    }
  });

  it("treats now == peerExpiry as expired (bstar.c: zclock_time () >= peer_expiry)", () => {
    expect(transition("PASSIVE", "CLIENT_REQUEST", EXPIRY, EXPIRY).serve).toBe(true);
    expect(transition("PASSIVE", "CLIENT_REQUEST", EXPIRY - 0.001, EXPIRY).serve).toBe(false);
  });

  it("no cell is fatal any more: dual actives and dual passives resolve to exactly one ACTIVE", () => {
    for (const lose of [false, true])
      for (const state of BINARY_STAR_STATES)
        for (const event of BINARY_STAR_EVENTS) for (const now of [ALIVE, EXPIRED]) expect(transition(state, event, now, EXPIRY, lose).error).toBeUndefined();
    // Whoever wins, exactly one of the two ends up ACTIVE.
    expect([transition("ACTIVE", "PEER_ACTIVE", 0, 0, false).state, transition("ACTIVE", "PEER_ACTIVE", 0, 0, true).state].sort()).toEqual(["ACTIVE", "PASSIVE"]);
    expect([transition("PASSIVE", "PEER_PASSIVE", 0, 0, false).state, transition("PASSIVE", "PEER_PASSIVE", 0, 0, true).state].sort()).toEqual(["ACTIVE", "PASSIVE"]);
  });

  it("is a declared table: every state x event cell exists, is frozen, and is what transition() returns", () => {
    expect(Object.isFrozen(BINARY_STAR_TABLE)).toBe(true);
    for (const state of BINARY_STAR_STATES) {
      expect(Object.isFrozen(BINARY_STAR_TABLE[state])).toBe(true);
      expect(Object.keys(BINARY_STAR_TABLE[state]).sort()).toEqual([...BINARY_STAR_EVENTS].sort());
      for (const event of BINARY_STAR_EVENTS) {
        const cell = BINARY_STAR_TABLE[state][event];
        const rules =
          "peerAlive" in cell
            ? [[ALIVE, cell.peerAlive, false] as const, [EXPIRED, cell.peerExpired, false] as const]
            : "win" in cell
              ? [[ALIVE, cell.win, false] as const, [ALIVE, cell.lose, true] as const]
              : [[ALIVE, cell, false] as const];
        for (const [now, rule, lose] of rules) {
          expect(Object.isFrozen(rule)).toBe(true);
          expect(transition(state, event, now, EXPIRY, lose)).toEqual({ state: rule.to ?? state, callbacks: rule.callbacks, serve: rule.serve, error: rule.error, note: rule.note });
        }
      }
    }
  });

  it("maps peer states to events with the same number", () => {
    expect(BINARY_STAR_STATES.map(peerEvent)).toEqual(BINARY_STAR_EVENTS.slice(0, 4));
  });
});

/** Drives the pure FSM like a node does: peer_expiry = last state message (or start) + 2 heartbeats. */
class Sim {
  state: BinaryStarState;
  expiry: number;
  served = 0;
  fatal: string | undefined;
  constructor(
    state: BinaryStarState,
    public now = 0,
  ) {
    this.state = state;
    this.expiry = now + 2 * HB;
  }
  hear(peer: BinaryStarState, lose = false) {
    this.expiry = this.now + 2 * HB;
    return this.step(peerEvent(peer), lose);
  }
  vote() {
    return this.step("CLIENT_REQUEST");
  }
  private step(event: BinaryStarEvent, lose = false) {
    const r = transition(this.state, event, this.now, this.expiry, lose);
    if (r.error) this.fatal = r.error;
    this.state = r.state;
    if (r.serve) this.served++;
    return r;
  }
}

describe("Binary Star FSM scenarios", () => {
  it("a lone backup never serves, however long clients ask and whatever else it hears", () => {
    const backup = new Sim("BACKUP");
    for (let t = 0; t <= 60_000; t += 100) {
      backup.now = t;
      expect(backup.vote().serve).toBe(false);
      if (t % 5000 === 0) backup.hear("BACKUP"); // another backup, misconfigured
      if (t % 7000 === 0) backup.hear("PRIMARY"); // a primary that has not decided yet
      if (t % 3000 === 0) backup.hear("PASSIVE");
    }
    expect(backup.state).toBe("BACKUP");
    expect(backup.served).toBe(0);
    // Only an active primary gets it out of BACKUP, and then only to PASSIVE.
    expect(backup.hear("ACTIVE").state).toBe("PASSIVE");
    expect(backup.vote().serve).toBe(false);
  });

  it("start-up: the primary becomes active on hearing the backup, which then goes passive", () => {
    const primary = new Sim("PRIMARY");
    const backup = new Sim("BACKUP");
    primary.now = backup.now = 500;
    expect(primary.vote().serve).toBe(false); // within its start-up expiry: waits for the peer
    expect(primary.hear(backup.state)).toMatchObject({ state: "ACTIVE", callbacks: ["active"] });
    expect(backup.hear(primary.state)).toMatchObject({ state: "PASSIVE", callbacks: ["passive"] });
    expect(primary.hear(backup.state).error).toBeUndefined();
    expect(primary.vote().serve).toBe(true);
    expect(backup.vote().serve).toBe(false);
  });

  it("a primary alone serves a client vote once two heartbeats have passed since its start", () => {
    const primary = new Sim("PRIMARY", 100);
    primary.now = 100 + 2 * HB - 1;
    expect(primary.vote().serve).toBe(false);
    primary.now = 100 + 2 * HB;
    expect(primary.vote()).toMatchObject({ state: "ACTIVE", serve: true, callbacks: ["active"] });
  });

  it("failover: the passive takes over on the first client vote after two silent heartbeats, not before", () => {
    const backup = new Sim("PASSIVE");
    backup.now = 1000;
    backup.hear("ACTIVE"); // last word from the primary
    backup.now = 1000 + 2 * HB - 1;
    expect(backup.vote().serve).toBe(false);
    backup.now = 1000 + 5 * HB; // silence alone changes nothing
    expect(backup.state).toBe("PASSIVE");
    expect(backup.vote()).toMatchObject({ state: "ACTIVE", serve: true, callbacks: ["active"], note: "failover successful, ready active" });
  });

  it("restart after failover: the returning primary goes passive and never serves in between", () => {
    const backup = new Sim("ACTIVE");
    const primary = new Sim("PRIMARY", 50_000);
    backup.now = 50_000;
    // Clients that still try the primary are rejected during its start-up expiry (the 16fd34f8 race fix).
    for (let t = 50_000; t < 50_000 + 2 * HB; t += 100) {
      primary.now = t;
      expect(primary.vote().serve).toBe(false);
    }
    expect(backup.hear(primary.state).state).toBe("ACTIVE");
    expect(primary.hear(backup.state)).toMatchObject({ state: "PASSIVE", callbacks: ["passive"] });
    expect(backup.hear(primary.state).error).toBeUndefined();
    expect(primary.served).toBe(0);
  });

  it("a passive whose peer restarts becomes active (the peer will see it and go passive)", () => {
    const primary = new Sim("PASSIVE");
    expect(primary.hear("BACKUP")).toMatchObject({ state: "ACTIVE", callbacks: ["active"] });
    const backup = new Sim("PASSIVE");
    expect(backup.hear("PRIMARY")).toMatchObject({ state: "ACTIVE", callbacks: ["active"] });
  });

  it("split brain: the winner keeps serving, the loser steps down to PASSIVE; neither stops", () => {
    const a = new Sim("ACTIVE");
    const b = new Sim("ACTIVE");
    expect(a.hear(b.state, false)).toMatchObject({ state: "ACTIVE", callbacks: [] });
    expect(b.hear(a.state, true)).toMatchObject({ state: "PASSIVE", callbacks: ["passive"] });
    expect(a.hear(b.state)).toMatchObject({ state: "ACTIVE" });
    expect(a.fatal ?? b.fatal).toBeUndefined();
  });
});
