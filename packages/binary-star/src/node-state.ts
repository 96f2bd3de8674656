/**
 * The rules of one Binary Star node, as a machine on core's contract
 * ({@link Machine}): the state machine of {@link transition} plus everything
 * around it that is time and bookkeeping, with no socket and no timer. The
 * {@link BinaryStar} role drives it with core's `Driver`.
 *
 * - Inputs: `start`; the peer's state messages (channel `"peer"`, raw frames,
 *   decoded here); subscriptions seen by this node's state publisher (channel
 *   `"state"`); client votes (`admit`); wake-ups for the heartbeat.
 * - Actions: send this node's state on channel `"state"`; emit `state-change`,
 *   `active`, `passive`, `peer-state`, `drop`; `verdict` (the answer to a
 *   vote). `fatal` and `halt` are kept for compatibility but no longer
 *   produced: no cell of the table is fatal any more.
 *
 * Dual actives (an ACTIVE node hears its peer say ACTIVE: after a pause of
 * either node, a network split, or a forged message) are resolved so that
 * exactly one node stays ACTIVE and neither stops, with the 1-byte wire:
 * - a node is **stale** when, while ACTIVE, it heard its peer and then went
 *   `liveness` heartbeats without hearing it (it was frozen, or cut off), as
 *   seen at the first input after that, before anything refreshes the expiry.
 *   The node that took over meanwhile is not stale: it became ACTIVE with its
 *   peer already silent and has not heard it since. A stale node that hears
 *   ACTIVE steps down to PASSIVE at once (the node that became active later
 *   keeps serving);
 * - a node that is not stale keeps serving. If the peer still says ACTIVE
 *   1.5 heartbeats after the first time (neither was stale), the BACKUP-
 *   configured node steps down; the PRIMARY never yields to a fresh peer.
 *
 * Dual passives are resolved too: the PRIMARY-configured node takes over, the
 * BACKUP stays PASSIVE.
 *
 * @module
 */
import type { EmitAction, Machine, MessageInput, ProtocolError, SendAction, WakeInput } from "@zmq-reliable/core";
import type { BinaryStarRole } from "./defaults.js";
import { type BinaryStarEvent, type BinaryStarFatalReason, peerEvent, transition } from "./fsm.js";
import { type BinaryStarState, decodeState, encodeState } from "./protocol.js";
import type { BinaryStarEvents, BinaryStarStats, StateChangeEvent } from "./node-events.js";

/** Starts the node: the heartbeat begins and the peer expiry is set to now + `liveness` heartbeats. */
export interface StartInput {
  /** Discriminant. */
  readonly type: "start";
}

/** A client request asks to be served: the "client vote". The machine answers with a {@link VerdictAction}. */
export interface AdmitInput {
  /** Discriminant. */
  readonly type: "admit";
}

/** The inputs of {@link NodeState}. */
export type NodeInput =
  | WakeInput
  | StartInput
  | AdmitInput
  /** A state message from the peer (the SUB), raw. */
  | MessageInput<Buffer[], "peer">
  /** A (un)subscription seen by this node's state publisher (the XPUB), raw. */
  | MessageInput<Buffer[], "state">;

/** The answer to an {@link AdmitInput}: serve the request, or drop it unanswered. */
export type VerdictAction = {
  /** Discriminant. */
  readonly type: "verdict";
  /** Whether the request may be served now. */
  readonly serve: boolean;
};

/** A fatal error stopped the node: close the state sockets now, as the reference's reactor ends. */
export type HaltAction = {
  /** Discriminant. */
  readonly type: "halt";
};

/** The actions of {@link NodeState}: sending this node's state to the peer is core's {@link SendAction} on channel `"state"`. */
export type NodeAction = SendAction<"state"> | EmitAction<BinaryStarEvents> | VerdictAction | HaltAction;

/** Options of {@link NodeState}. */
export interface NodeStateOptions {
  /** The configured role: the start state. */
  role: BinaryStarRole;
  /** Milliseconds between state messages. */
  heartbeatInterval: number;
  /** Heartbeats of silence after which the peer is presumed dead (2 in the reference). */
  liveness: number;
}

/**
 * One node's rules; see the module comment. Before `start` and after a fatal
 * error it publishes nothing, ignores the peer and rejects every vote.
 *
 * ```ts
 * const node = new NodeState({ role: "primary", heartbeatInterval: 1000, liveness: 2 });
 * node.handle({ type: "start" }, 0);                                      // → send "1"
 * node.handle({ type: "message", channel: "peer", message: [Buffer.from("2")] }, 10); // → send "3", emit state-change, active
 * node.handle({ type: "admit" }, 20);                                     // → verdict serve: true
 * ```
 */
export class NodeState implements Machine<NodeInput, NodeAction> {
  /** The configured role. */
  readonly role: BinaryStarRole;
  /** Milliseconds between state messages. */
  readonly heartbeatInterval: number;
  /** Milliseconds of peer silence after which a client vote may take over: `liveness` heartbeats. */
  readonly peerTimeout: number;
  private current: BinaryStarState;
  private peer: BinaryStarState | undefined;
  private peerExpiry = Number.POSITIVE_INFINITY;
  private nextBeat = Number.POSITIVE_INFINITY;
  private phase: "idle" | "running" | "halted" = "idle";
  private fatalReason: BinaryStarFatalReason | undefined;
  /** Dual-actives bookkeeping, reset on every state change: peer heard while ACTIVE, then lost (stale), first dual-actives message. */
  private heardWhileActive = false;
  private stale = false;
  private dualSince: number | undefined;
  /** When the last input was handled, and until when votes are held after a pause (see `checkStale`). */
  private lastInput = Number.NEGATIVE_INFINITY;
  private holdUntil = Number.NEGATIVE_INFINITY;
  private counters = { stateSent: 0, stateReceived: 0, malformed: 0, admitted: 0, rejected: 0, transitions: 0 };

  /** @param options - see {@link NodeStateOptions}. */
  constructor(options: NodeStateOptions) {
    this.role = options.role;
    this.heartbeatInterval = options.heartbeatInterval;
    this.peerTimeout = options.liveness * options.heartbeatInterval;
    this.current = options.role === "primary" ? "PRIMARY" : "BACKUP";
  }

  /** The current state. */
  get state(): BinaryStarState {
    return this.current;
  }

  /** The state the peer last announced, or `undefined` if it was never heard. */
  get peerState(): BinaryStarState | undefined {
    return this.peer;
  }

  /** The fatal error that stopped the node, if any. */
  get fatal(): BinaryStarFatalReason | undefined {
    return this.fatalReason;
  }

  /** Whether the node is started and not stopped by a fatal error. */
  get running(): boolean {
    return this.phase === "running";
  }

  /**
   * A snapshot of the state and counters.
   *
   * @param now - the current clock time, for `peerAlive`.
   */
  stats(now: number): BinaryStarStats {
    return {
      role: this.role,
      state: this.current,
      peerState: this.peer,
      peerAlive: now < this.peerExpiry,
      fatal: this.fatalReason,
      ...this.counters,
    };
  }

  /**
   * Feeds one input; see {@link NodeInput}.
   *
   * @param input - what happened.
   * @param now - the current clock time.
   */
  handle(input: NodeInput, now: number): NodeAction[] {
    if (this.running && this.current === "ACTIVE") this.checkStale(now);
    this.lastInput = now;
    switch (input.type) {
      case "start":
        if (this.phase !== "idle") return [];
        this.phase = "running";
        // bstar_start: the peer gets `liveness` heartbeats to show up before a vote can win.
        this.peerExpiry = now + this.peerTimeout;
        return [this.beat(now)];
      case "wake":
        return this.running && now >= this.nextBeat ? [this.beat(now)] : [];
      case "admit":
        return this.vote(now);
      case "message":
        if (!this.running) return [];
        // An XPUB reports a subscription as one frame starting with byte 1: a
        // peer (re)connected, so tell it our state now rather than a heartbeat later.
        if (input.channel === "state") return input.message[0]?.[0] === 1 ? [this.sendState()] : [];
        return this.onPeerMessage(input.message, now);
      default:
        return [];
    }
  }

  /**
   * Before anything refreshes the expiry: an ACTIVE node that heard its peer and then went `liveness`
   * heartbeats without it (a pause of this process, a network split, a dead peer) is stale. If this
   * node itself handled nothing for that long (a pause: its heartbeat timer fires at least once a
   * heartbeat otherwise), it also holds client votes for as long again: the requests queued for it
   * during the pause have most likely been retried at the peer, and the peer's state is on its way.
   */
  private checkStale(now: number): void {
    if (this.heardWhileActive && now >= this.peerExpiry) this.stale = true;
    const thaw = Math.max(this.peerTimeout, 2 * this.heartbeatInterval);
    if (now - this.lastInput > thaw) this.holdUntil = now + thaw;
  }

  /** The time of the next heartbeat while running, else `Infinity`. */
  wakeAt(): number {
    return this.running ? this.nextBeat : Number.POSITIVE_INFINITY;
  }

  private beat(now: number): NodeAction {
    this.nextBeat = now + this.heartbeatInterval;
    return this.sendState();
  }

  private sendState(): NodeAction {
    this.counters.stateSent++;
    return { type: "send", channel: "state", frames: encodeState(this.current) };
  }

  private vote(now: number): NodeAction[] {
    if (!this.running) {
      this.counters.rejected++;
      return [{ type: "verdict", serve: false }];
    }
    const actions: NodeAction[] = [];
    const held = this.current === "ACTIVE" && now < this.holdUntil;
    const serve = !held && this.apply("CLIENT_REQUEST", now, actions) === true;
    if (serve) this.counters.admitted++;
    else this.counters.rejected++;
    actions.push({ type: "verdict", serve });
    return actions;
  }

  private onPeerMessage(message: Buffer[], now: number): NodeAction[] {
    let state: BinaryStarState;
    try {
      state = decodeState(message);
    } catch (err) {
      // Not trusted as a sign of life: it may not even come from the peer.
      this.counters.malformed++;
      return [{ type: "emit", event: "drop", args: [{ reason: "malformed", error: err as ProtocolError }] }];
    }
    const actions: NodeAction[] = [];
    this.counters.stateReceived++;
    this.peerExpiry = now + this.peerTimeout; // before the FSM, as bstar.c does
    if (state !== this.peer) {
      const previous = this.peer;
      this.peer = state;
      actions.push({ type: "emit", event: "peer-state", args: [{ state, previous, at: now }] });
    }
    const wasActive = this.current === "ACTIVE";
    let lose: boolean;
    if (wasActive && state === "ACTIVE") {
      // Dual actives: the stale node yields at once; the other keeps serving. If the peer still
      // says ACTIVE 1.5 heartbeats later (neither was stale), the backup yields.
      this.dualSince ??= now;
      lose = this.stale || (this.role === "backup" && now - this.dualSince >= 1.5 * this.heartbeatInterval);
    } else {
      this.dualSince = undefined;
      // Dual passives: the primary takes over, the backup stays.
      lose = this.role === "backup";
    }
    this.apply(peerEvent(state), now, actions, lose);
    if (wasActive && this.current === "ACTIVE") this.heardWhileActive = true;
    return actions;
  }

  /** Runs one event through the table, appending the actions; returns `serve` for client requests. */
  private apply(event: BinaryStarEvent, now: number, actions: NodeAction[], lose = false): boolean | undefined {
    const from = this.current;
    const result = transition(from, event, now, this.peerExpiry, lose);
    if (result.error) {
      this.phase = "halted";
      this.fatalReason = result.error;
      actions.push({ type: "halt" });
      actions.push({ type: "emit", event: "fatal", args: [{ reason: result.error, state: from, peerState: this.peer!, at: now }] });
      return false;
    }
    if (result.state !== from) {
      this.current = result.state;
      this.heardWhileActive = this.stale = false;
      this.dualSince = undefined;
      this.holdUntil = Number.NEGATIVE_INFINITY;
      this.counters.transitions++;
      const change: StateChangeEvent = { from, to: result.state, event, note: result.note ?? "", at: now };
      actions.push(this.sendState()); // tell the peer at once rather than at the next heartbeat
      actions.push({ type: "emit", event: "state-change", args: [change] });
      for (const callback of result.callbacks) actions.push({ type: "emit", event: callback, args: [change] });
    }
    return result.serve;
  }
}
