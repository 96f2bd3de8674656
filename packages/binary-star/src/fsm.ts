/**
 * The Binary Star finite-state machine, as a pure function. It follows the
 * reactor version of the zguide (`bstar.c`, `s_execute_fsm`), whose complete
 * table is protocols.md §10.4, not the proof of concept `bstarsrv.c` (which
 * serves clients while still PRIMARY and can end with two active servers).
 *
 * | State ↓ / Event → | PEER_PRIMARY | PEER_BACKUP | PEER_ACTIVE | PEER_PASSIVE | CLIENT_REQUEST |
 * |---|---|---|---|---|---|
 * | PRIMARY | stay | → ACTIVE | → PASSIVE | stay | expired ? → ACTIVE, serve : reject |
 * | BACKUP  | stay | stay | → PASSIVE | stay | reject |
 * | ACTIVE  | stay | stay | fatal: dual actives | stay | serve |
 * | PASSIVE | → ACTIVE | → ACTIVE | stay | fatal: dual passives | expired ? → ACTIVE, serve : reject |
 *
 * "expired" means `now >= peerExpiry`: the peer has been silent for two
 * heartbeats. That, together with a client asking, is the only way a node
 * takes over on its own (the "client vote" of protocols.md §10.5). A BACKUP
 * never serves: it must first hear an ACTIVE primary and become PASSIVE.
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
 * The fatal conditions the machine detects; both mean the pair is broken and
 * the node must stop (the reference aborts its reactor):
 * - `"dual-active"`: an ACTIVE node hears its peer say ACTIVE (split brain);
 * - `"dual-passive"`: a PASSIVE node hears its peer say PASSIVE (nobody serves).
 */
export type BinaryStarFatalReason = "dual-active" | "dual-passive";

/**
 * The reference's state-change callbacks (`bstar_new_active`,
 * `bstar_new_passive`): `"active"` runs on PRIMARY→ACTIVE and PASSIVE→ACTIVE,
 * `"passive"` on PRIMARY→PASSIVE and BACKUP→PASSIVE.
 */
export type BinaryStarCallback = "active" | "passive";

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

const NONE: readonly BinaryStarCallback[] = [];
const ACTIVE_CB: readonly BinaryStarCallback[] = ["active"];
const PASSIVE_CB: readonly BinaryStarCallback[] = ["passive"];

function stay(state: BinaryStarState): FsmResult {
  return { state, callbacks: NONE };
}

/**
 * Runs one event through the machine. Pure: no clock, no I/O.
 *
 * @param state - the node's current state.
 * @param event - what happened.
 * @param now - the current time (only read for `CLIENT_REQUEST`).
 * @param peerExpiry - when the peer is presumed dead: the time of the last
 *   state message from it (or of the node's start) plus two heartbeats.
 * @returns the next state, whether to serve (for client requests), a fatal
 *   error if any, and the callbacks to run.
 */
export function transition(state: BinaryStarState, event: BinaryStarEvent, now: number, peerExpiry: number): FsmResult {
  const expired = now >= peerExpiry;
  switch (state) {
    // Waiting for the peer; a client vote after peer silence makes it active.
    case "PRIMARY":
      switch (event) {
        case "PEER_BACKUP":
          return { state: "ACTIVE", callbacks: ACTIVE_CB, note: "connected to backup (passive), ready active" };
        case "PEER_ACTIVE":
          return { state: "PASSIVE", callbacks: PASSIVE_CB, note: "connected to backup (active), ready passive" };
        case "CLIENT_REQUEST":
          // bstar.c (commit 16fd34f8): wait out the peer expiry, in case this is a
          // fail-back and the backup is currently active.
          return expired
            ? { state: "ACTIVE", serve: true, callbacks: ACTIVE_CB, note: "request from client, ready active" }
            : { state, serve: false, callbacks: NONE };
        default:
          return stay(state);
      }
    // Waiting for an active primary; never serves.
    case "BACKUP":
      switch (event) {
        case "PEER_ACTIVE":
          return { state: "PASSIVE", callbacks: PASSIVE_CB, note: "connected to primary (active), ready passive" };
        case "CLIENT_REQUEST":
          return { state, serve: false, callbacks: NONE };
        default:
          return stay(state);
      }
    // Serving; the only way out of ACTIVE is death.
    case "ACTIVE":
      switch (event) {
        case "PEER_ACTIVE":
          return { state, callbacks: NONE, error: "dual-active", note: "fatal error - dual actives, aborting" };
        case "CLIENT_REQUEST":
          return { state, serve: true, callbacks: NONE };
        default:
          return stay(state);
      }
    // Standing by; takes over when the peer restarts or on a client vote after peer silence.
    case "PASSIVE":
      switch (event) {
        case "PEER_PRIMARY":
          return { state: "ACTIVE", callbacks: ACTIVE_CB, note: "primary (passive) is restarting, ready active" };
        case "PEER_BACKUP":
          return { state: "ACTIVE", callbacks: ACTIVE_CB, note: "backup (passive) is restarting, ready active" };
        case "PEER_PASSIVE":
          return { state, callbacks: NONE, error: "dual-passive", note: "fatal error - dual passives, aborting" };
        case "CLIENT_REQUEST":
          return expired
            ? { state: "ACTIVE", serve: true, callbacks: ACTIVE_CB, note: "failover successful, ready active" }
            : { state, serve: false, callbacks: NONE };
        default:
          return stay(state);
      }
    default:
      return stay(state);
  }
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
