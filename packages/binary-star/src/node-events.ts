/**
 * What a Binary Star node tells its users: the payload of each event, the
 * event map and the stats snapshot. Types only.
 *
 * @module
 */
import type { ProtocolError } from "@zmq-reliable/core";
import type { BinaryStarRole } from "./defaults.js";
import type { BinaryStarEvent, BinaryStarFatalReason } from "./fsm.js";
import type { BinaryStarState } from "./protocol.js";

/** Payload of {@link BinaryStarEvents} `state-change`, `active` and `passive`. */
export interface StateChangeEvent {
  /** The state before. */
  from: BinaryStarState;
  /** The state after. */
  to: BinaryStarState;
  /** The event that caused it. */
  event: BinaryStarEvent;
  /** The reference's log text for this transition. */
  note: string;
  /** Clock time of the change. */
  at: number;
}

/** Payload of {@link BinaryStarEvents} `fatal`. */
export interface FatalEvent {
  /** What went wrong. */
  reason: BinaryStarFatalReason;
  /** This node's state when it happened. */
  state: BinaryStarState;
  /** The state the peer announced. */
  peerState: BinaryStarState;
  /** Clock time. */
  at: number;
}

/** Payload of {@link BinaryStarEvents} `peer-state`. */
export interface PeerStateEvent {
  /** What the peer announced. */
  state: BinaryStarState;
  /** What it announced before, `undefined` on first contact. */
  previous: BinaryStarState | undefined;
  /** Clock time. */
  at: number;
}

/** Payload of {@link BinaryStarEvents} `drop`: a state message that was ignored. */
export interface StateDropEvent {
  /** Why it was ignored. */
  reason: "malformed";
  /** The decoding error. */
  error: ProtocolError;
}

/** Events of {@link BinaryStar}. */
export type BinaryStarEvents = {
  /** The state changed (every transition, including those below). */
  "state-change": [StateChangeEvent];
  /** The node became ACTIVE (from PRIMARY or PASSIVE): it now serves clients. */
  active: [StateChangeEvent];
  /** The node became PASSIVE (from PRIMARY or BACKUP): it now stands by. */
  passive: [StateChangeEvent];
  /**
   * Kept for compatibility; no longer emitted. Dual actives and dual passives,
   * where the reference aborts, are resolved instead (the stale or the backup
   * node yields; see {@link NodeState}). If it ever is emitted, the node has
   * stopped publishing and admits nothing: `close()` and exit or restart.
   */
  fatal: [FatalEvent];
  /** The peer announced a different state than before (or its first one). */
  "peer-state": [PeerStateEvent];
  /** A malformed state message arrived and was ignored. */
  drop: [StateDropEvent];
};

/** Counters and state of a {@link BinaryStar}, from {@link BinaryStar.stats}. */
export interface BinaryStarStats {
  /** The configured role. */
  role: BinaryStarRole;
  /** The current state. */
  state: BinaryStarState;
  /** The last state the peer announced, if it was ever heard. */
  peerState: BinaryStarState | undefined;
  /** Whether the peer was heard within the last `liveness` heartbeats (or the node started less than that ago). */
  peerAlive: boolean;
  /** The fatal error that stopped the node, if any. */
  fatal: BinaryStarFatalReason | undefined;
  /** State messages published. */
  stateSent: number;
  /** Valid state messages received from the peer. */
  stateReceived: number;
  /** Malformed state messages ignored. */
  malformed: number;
  /** Client requests admitted (served). */
  admitted: number;
  /** Client requests rejected (to be dropped unanswered). */
  rejected: number;
  /** State changes so far. */
  transitions: number;
}
