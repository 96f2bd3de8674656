/**
 * The Binary Star finite-state machine, declared as a table. It follows the
 * reactor version of the zguide (`bstar.c`, `s_execute_fsm`), whose complete
 * table is [Binary Star protocol: state machine](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html#state-machine), not the proof of concept `bstarsrv.c` (which
 * serves clients while still PRIMARY and can end with two active servers).
 *
 * | State ↓ / Event → | PEER_PRIMARY | PEER_BACKUP | PEER_ACTIVE | PEER_PASSIVE | CLIENT_REQUEST |
 * |---|---|---|---|---|---|
 * | PRIMARY | stay | → ACTIVE | → PASSIVE | stay | expired ? → ACTIVE, serve : reject |
 * | BACKUP  | stay | stay | → PASSIVE | stay | reject |
 * | ACTIVE  | stay | stay | loses ? → PASSIVE : stay | stay | serve |
 * | PASSIVE | → ACTIVE | → ACTIVE | stay | wins ? → ACTIVE : stay | expired ? → ACTIVE, serve : reject |
 *
 * "expired" means `now >= peerExpiry`: the peer has been silent for two
 * heartbeats. That, together with a client asking, is the only way a node
 * takes over on its own (the "client vote" of [Binary Star protocol: state machine](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html#state-machine)). A BACKUP
 * never serves: it must first hear an ACTIVE primary and become PASSIVE.
 *
 * The two conflict cells (dual actives, dual passives), where the reference
 * aborts, are resolved instead: the node's rules (`NodeState`) decide which
 * node wins ({@link BinaryStarConflict}), so that exactly one ends up ACTIVE.
 *
 * {@link BINARY_STAR_TABLE} is that table, cell by cell; {@link transition}
 * only reads it.
 *
 * @module
 */
import type { BinaryStarState } from "./protocol.js";

/**
 * The events that drive the machine. `PEER_*` come from the peer's state
 * messages (the peer's state, as received); `CLIENT_REQUEST` is a client
 * request arriving (a "vote").
 */
export type BinaryStarEvent = "PEER_PRIMARY" | "PEER_BACKUP" | "PEER_ACTIVE" | "PEER_PASSIVE" | "CLIENT_REQUEST";

/** Every {@link BinaryStarEvent}, in the reference's numeric order (1 to 5). */
export const BINARY_STAR_EVENTS: readonly BinaryStarEvent[] = ["PEER_PRIMARY", "PEER_BACKUP", "PEER_ACTIVE", "PEER_PASSIVE", "CLIENT_REQUEST"];

/**
 * The fatal conditions of the reference, which aborts its reactor on both:
 * - `"dual-active"`: an ACTIVE node hears its peer say ACTIVE (split brain);
 * - `"dual-passive"`: a PASSIVE node hears its peer say PASSIVE (nobody serves).
 *
 * Neither is fatal here any more (both are {@link BinaryStarConflict} cells),
 * so no cell of {@link BINARY_STAR_TABLE} yields one and no `fatal` event is
 * emitted; the type stays for compatibility.
 */
export type BinaryStarFatalReason = "dual-active" | "dual-passive";

/**
 * The reference's state-change callbacks (`bstar_new_active`,
 * `bstar_new_passive`): `"active"` runs on PRIMARY→ACTIVE and PASSIVE→ACTIVE,
 * `"passive"` on PRIMARY→PASSIVE and BACKUP→PASSIVE.
 */
export type BinaryStarCallback = "active" | "passive";

/** One cell's outcome in {@link BINARY_STAR_TABLE}. */
export interface BinaryStarRule {
  /** The next state; absent means "stay". */
  readonly to?: BinaryStarState;
  /** For `CLIENT_REQUEST` only: serve the request (`true`) or drop it unanswered (`false`). */
  readonly serve?: boolean;
  /** The callbacks to run, in order. */
  readonly callbacks: readonly BinaryStarCallback[];
  /** The fatal error this event means, if any (the state does not change). */
  readonly error?: BinaryStarFatalReason;
  /** The reference's log text for this cell. */
  readonly note?: string;
}

/** A cell that depends on the peer's liveness: one rule while it is heard, another once it has been silent for two heartbeats. */
export interface BinaryStarVote {
  /** `now < peerExpiry`: the peer was heard within two heartbeats. */
  readonly peerAlive: BinaryStarRule;
  /** `now >= peerExpiry`: the peer has been silent for two heartbeats. */
  readonly peerExpired: BinaryStarRule;
}

/**
 * A conflict cell: both nodes in the same state, ACTIVE (dual actives) or
 * PASSIVE (dual passives). One node wins and one loses, so that exactly one
 * ends up ACTIVE: for dual actives the loser steps down to PASSIVE; for dual
 * passives the winner takes over. Which node loses is the node's rules'
 * (`NodeState`) decision (see the README, "Dual actives"), passed to {@link transition}.
 */
export interface BinaryStarConflict {
  /** This node wins the conflict. */
  readonly win: BinaryStarRule;
  /** This node loses the conflict. */
  readonly lose: BinaryStarRule;
}

/** One cell of {@link BINARY_STAR_TABLE}. */
export type BinaryStarCell = BinaryStarRule | BinaryStarVote | BinaryStarConflict;

/** What one step of the machine decided. */
export interface FsmResult {
  /** The state after the event (unchanged on a fatal error). */
  state: BinaryStarState;
  /**
   * For `CLIENT_REQUEST` only: whether the request may be served now
   * (`false` means drop it unanswered). Absent for peer events.
   */
  serve?: boolean;
  /** Set when the event is fatal; the node must stop serving and publishing. */
  error?: BinaryStarFatalReason;
  /** The callbacks to run, in order (empty when the state did not change). */
  callbacks: readonly BinaryStarCallback[];
  /** A short human-readable reason, as the reference logs it (`"failover successful, ready active"`). */
  note?: string;
}

const STAY: BinaryStarRule = Object.freeze({ callbacks: Object.freeze([]) });
const SERVE: BinaryStarRule = Object.freeze({ serve: true, callbacks: STAY.callbacks });
const REJECT: BinaryStarRule = Object.freeze({ serve: false, callbacks: STAY.callbacks });

/** A state change with its callback and the reference's note. */
function go(to: BinaryStarState, callback: BinaryStarCallback, note: string, serve?: boolean): BinaryStarRule {
  return Object.freeze({ to, callbacks: Object.freeze([callback]), note, ...(serve === undefined ? {} : { serve }) });
}

/**
 * The whole machine, [Binary Star protocol: state machine](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html#state-machine) cell by cell (state × event → next
 * state, serve, callbacks, error). `CLIENT_REQUEST` cells of PRIMARY and
 * PASSIVE depend on the peer's liveness ({@link BinaryStarVote}); the PRIMARY
 * one waits out the peer expiry, in case this is a fail-back and the backup is
 * currently active (`bstar.c` commit 16fd34f8).
 */
export const BINARY_STAR_TABLE: Readonly<Record<BinaryStarState, Readonly<Record<BinaryStarEvent, BinaryStarCell>>>> = Object.freeze({
  // Waiting for the peer; a client vote after peer silence makes it active.
  PRIMARY: Object.freeze({
    PEER_PRIMARY: STAY,
    PEER_BACKUP: go("ACTIVE", "active", "connected to backup (passive), ready active"),
    PEER_ACTIVE: go("PASSIVE", "passive", "connected to backup (active), ready passive"),
    PEER_PASSIVE: STAY,
    CLIENT_REQUEST: { peerAlive: REJECT, peerExpired: go("ACTIVE", "active", "request from client, ready active", true) },
  }),
  // Waiting for an active primary; never serves.
  BACKUP: Object.freeze({
    PEER_PRIMARY: STAY,
    PEER_BACKUP: STAY,
    PEER_ACTIVE: go("PASSIVE", "passive", "connected to primary (active), ready passive"),
    PEER_PASSIVE: STAY,
    CLIENT_REQUEST: REJECT,
  }),
  // Serving; the only way out is death, or losing a dual-actives conflict.
  ACTIVE: Object.freeze({
    PEER_PRIMARY: STAY,
    PEER_BACKUP: STAY,
    PEER_ACTIVE: Object.freeze({ win: STAY, lose: go("PASSIVE", "passive", "dual actives, this node yields, ready passive") }),
    PEER_PASSIVE: STAY,
    CLIENT_REQUEST: SERVE,
  }),
  // Standing by; takes over when the peer restarts, on a client vote after peer silence, or on winning a dual-passives conflict.
  PASSIVE: Object.freeze({
    PEER_PRIMARY: go("ACTIVE", "active", "primary (passive) is restarting, ready active"),
    PEER_BACKUP: go("ACTIVE", "active", "backup (passive) is restarting, ready active"),
    PEER_ACTIVE: STAY,
    PEER_PASSIVE: Object.freeze({ win: go("ACTIVE", "active", "dual passives, the primary takes over, ready active"), lose: STAY }),
    CLIENT_REQUEST: { peerAlive: REJECT, peerExpired: go("ACTIVE", "active", "failover successful, ready active", true) },
  }),
});

/**
 * Runs one event through the machine: looks its cell up in
 * {@link BINARY_STAR_TABLE}. Pure: no clock, no I/O.
 *
 * @param state - the node's current state.
 * @param event - what happened.
 * @param now - the current time (only read for `CLIENT_REQUEST`).
 * @param peerExpiry - when the peer is presumed dead: the time of the last
 *   state message from it (or of the node's start) plus two heartbeats.
 * @param lose - for the conflict cells only (ACTIVE + PEER_ACTIVE, PASSIVE +
 *   PEER_PASSIVE): whether this node loses the conflict (default `false`: it
 *   wins). See {@link BinaryStarConflict}.
 * @returns the next state, whether to serve (for client requests), a fatal
 *   error if any, and the callbacks to run.
 */
export function transition(state: BinaryStarState, event: BinaryStarEvent, now: number, peerExpiry: number, lose = false): FsmResult {
  const cell = BINARY_STAR_TABLE[state]?.[event];
  if (cell === undefined) return { state, callbacks: STAY.callbacks };
  const rule = "peerAlive" in cell ? (now >= peerExpiry ? cell.peerExpired : cell.peerAlive) : "win" in cell ? (lose ? cell.lose : cell.win) : cell;
  const result: FsmResult = { state: rule.to ?? state, callbacks: rule.callbacks };
  if (rule.serve !== undefined) result.serve = rule.serve;
  if (rule.error !== undefined) result.error = rule.error;
  if (rule.note !== undefined) result.note = rule.note;
  return result;
}

/**
 * The event a received peer state turns into (the reference's `atoi` of the
 * state message: peer state N is event N).
 *
 * @param peerState - the state the peer announced.
 */
export function peerEvent(peerState: BinaryStarState): BinaryStarEvent {
  return `PEER_${peerState}`;
}
