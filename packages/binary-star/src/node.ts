/**
 * {@link BinaryStar}: one node of a high-availability pair. It exchanges state
 * messages with its peer and answers, for every client request, whether this
 * node may serve it now. It owns no client-facing socket, so any server can
 * use it: {@link BinaryStarServer} does, and so can a Majordomo broker through
 * core's {@link AdmissionHook}.
 *
 * @module
 */
import * as zmq from "zeromq";
import {
  type AdmissionHook,
  type AdmissionRequest,
  Channel,
  type Clock,
  type CurveServerOptions,
  type Logger,
  Timer,
  TypedEmitter,
  ClosedError,
  InvalidOptionError,
  NotStartedError,
  ProtocolError,
  bindEphemeral,
  checkNumber,
  createSocket,
  curveSocketOptions,
  systemClock,
  taggedLogger,
} from "@zmq-reliable/core";
import { BINARY_STAR_DEFAULTS, type BinaryStarRole } from "./defaults.js";
import { type BinaryStarEvent, type BinaryStarFatalReason, peerEvent, transition } from "./fsm.js";
import { type BinaryStarState, decodeState, encodeState } from "./protocol.js";

/**
 * CURVE for the state link. Each node has its own key pair: its PUB is a
 * CURVE server with `secretKey`; its SUB is a CURVE client of the peer's PUB,
 * using this key pair and the peer's public key. {@link BinaryStarServer}
 * also uses `secretKey` for its client-facing frontend, so clients need the
 * matching `publicKey`.
 */
export interface BinaryStarCurveOptions extends CurveServerOptions {
  /** This node's public key (Z85), the match of `secretKey`. */
  publicKey: string;
  /** The peer node's public key (Z85). */
  peerKey: string;
}

/** Options of {@link BinaryStar}. */
export interface BinaryStarOptions {
  /** `"primary"` (normally active) or `"backup"` (normally passive): the start state. */
  role: BinaryStarRole;
  /** Where to bind this node's state PUB, e.g. `tcp://*:5003`. `tcp://127.0.0.1:*` picks a port (see {@link BinaryStar.endpoint}). */
  local: string;
  /** The peer's state PUB, which this node's SUB connects to, e.g. `tcp://localhost:5004`. */
  remote: string;
  /**
   * Milliseconds between state messages. The peer is presumed dead after two
   * intervals of silence (the "failover timeout"); both nodes must use the
   * same value. Default 1000 (`BSTAR_HEARTBEAT`).
   */
  heartbeatInterval?: number;
  /** CURVE for the state link; see {@link BinaryStarCurveOptions}. */
  curve?: BinaryStarCurveOptions;
  /** Where to log state changes and dropped state messages. */
  logger?: Logger;
  /** The clock; inject a fake one in tests. Default: the system clock. */
  clock?: Clock;
}

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
   * Dual actives or dual passives: the pair is broken. The node has stopped
   * publishing and admits nothing from now on. The caller should `close()`
   * and exit or restart the process (the reference aborts; the
   * `binary-star-server` CLI exits with status 1), and an operator should
   * find out why (usually a network split between the two nodes).
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
  /** Whether the peer was heard within the last two heartbeats (or the node started less than two heartbeats ago). */
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

/**
 * One node of a Binary Star pair (protocols.md §10). It binds a PUB at
 * `local`, connects a SUB to the peer's PUB at `remote`, publishes its state
 * every `heartbeatInterval` ms, and runs the reference state machine
 * (`bstar.c`; see {@link transition}) on every state message and every client
 * request. Beyond the reference, it also publishes its state at once whenever
 * the state changes and whenever a subscriber (the peer) connects (the PUB is
 * an XPUB, which sees subscriptions; the wire is unchanged), so the peer learns
 * of changes without waiting for the next heartbeat.
 *
 * It implements core's {@link AdmissionHook}: a server calls
 * {@link BinaryStar.admit} for each client request and serves it only when
 * that returns `true`; otherwise it drops the request unanswered, as the
 * reference does. The call itself is the "client vote" that lets a passive
 * node take over after its peer has been silent for two heartbeats.
 *
 * ```ts
 * const node = new BinaryStar({ role: "primary", local: "tcp://*:5003", remote: "tcp://backup:5004" });
 * node.on("active", () => console.log("serving"));
 * node.on("fatal", async ({ reason }) => { await node.close(); process.exit(1); });
 * await node.start();
 * const broker = new SomeBroker({ admission: node }); // anything that takes an AdmissionHook
 * ```
 */
export class BinaryStar extends TypedEmitter<BinaryStarEvents> implements AdmissionHook {
  /** The configured role. */
  readonly role: BinaryStarRole;
  /** Milliseconds between state messages. */
  readonly heartbeatInterval: number;
  /** Milliseconds of peer silence after which a client vote may take over: two heartbeats. */
  readonly peerTimeout: number;
  private readonly options: BinaryStarOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timer: Timer;
  private current: BinaryStarState;
  private peer: BinaryStarState | undefined;
  private peerExpiry = Number.POSITIVE_INFINITY;
  private pub: Channel | undefined;
  private sub: Channel | undefined;
  private address: string | undefined;
  private bound: string | undefined;
  private phase: "new" | "starting" | "running" | "closed" = "new";
  private fatalReason: BinaryStarFatalReason | undefined;
  private closing: Promise<void> | undefined;
  private counters = { stateSent: 0, stateReceived: 0, malformed: 0, admitted: 0, rejected: 0, transitions: 0 };

  /** @param options - see {@link BinaryStarOptions}. */
  constructor(options: BinaryStarOptions) {
    super();
    if (options.role !== "primary" && options.role !== "backup") {
      throw new InvalidOptionError(`role must be "primary" or "backup", got ${String(options.role)}`);
    }
    if (typeof options.local !== "string" || !options.local) throw new InvalidOptionError("local endpoint is required");
    if (typeof options.remote !== "string" || !options.remote) throw new InvalidOptionError("remote endpoint is required");
    this.options = options;
    this.role = options.role;
    this.heartbeatInterval = checkNumber("heartbeatInterval", options.heartbeatInterval ?? BINARY_STAR_DEFAULTS.heartbeatInterval, 1);
    this.peerTimeout = BINARY_STAR_DEFAULTS.peerLiveness * this.heartbeatInterval;
    this.clock = options.clock ?? systemClock;
    this.log = taggedLogger(options.logger, `bstar ${this.role}`);
    this.timer = new Timer(this.clock, () => this.heartbeat());
    this.current = this.role === "primary" ? "PRIMARY" : "BACKUP";
  }

  /** The current state. */
  get state(): BinaryStarState {
    return this.current;
  }

  /** The state the peer last announced, or `undefined` if it was never heard. */
  get peerState(): BinaryStarState | undefined {
    return this.peer;
  }

  /** Whether this node serves clients right now: ACTIVE and not stopped by a fatal error. */
  get isActive(): boolean {
    return this.current === "ACTIVE" && this.fatalReason === undefined && this.phase === "running";
  }

  /** The endpoint the state PUB is bound to (with the real port), once started. */
  get endpoint(): string | undefined {
    return this.address;
  }

  /**
   * The state PUB's endpoint as bound (its `lastEndpoint`: `tcp://0.0.0.0:5003`
   * for `tcp://*:5003`), for logs and start lines.
   *
   * @throws `NotStartedError` before {@link BinaryStar.start} bound it.
   */
  get boundEndpoint(): string {
    if (this.bound === undefined) throw new NotStartedError("BinaryStar.boundEndpoint is known after start()");
    return this.bound;
  }

  /**
   * Binds the state PUB, connects the SUB to the peer, publishes the start
   * state and starts the heartbeat. The peer expiry starts at now + two
   * heartbeats, so a PRIMARY waits that long for its peer before a client
   * vote can make it active (the `bstar.c` fix for the fail-back race).
   *
   * @throws `ClosedError` after {@link BinaryStar.close}; zeromq errors
   *   (e.g. `EADDRINUSE`) when binding fails.
   */
  async start(): Promise<void> {
    if (this.phase === "closed") throw new ClosedError("BinaryStar is closed");
    if (this.phase !== "new") return;
    this.phase = "starting";
    const { curve } = this.options;
    const onError = (error: Error) => this.log.warn?.(error.message);
    // An XPUB rather than a PUB (the same wire for the peer's SUB): it sees each
    // new subscription, so a peer that (re)connects hears our state at once
    // instead of up to one heartbeat later. That closes most of the window in
    // which a restarted primary knows nothing of an active backup.
    const xpub = new zmq.XPublisher({ linger: 0, verbosity: "allSubs", ...curveSocketOptions(curve && { secretKey: curve.secretKey }) });
    const pub = new Channel(xpub, { name: "state pub", onError });
    const sub = new Channel(
      createSocket("subscriber", { curve: curve && { serverKey: curve.peerKey, publicKey: curve.publicKey, secretKey: curve.secretKey } }),
      { name: "state sub", onError },
    );
    this.pub = pub;
    this.sub = sub;
    try {
      this.address = await bindEphemeral(pub.socket, this.options.local);
      this.bound = pub.socket.lastEndpoint ?? this.address;
      sub.socket.subscribe();
      sub.socket.connect(this.options.remote);
    } catch (err) {
      const closedMeanwhile = (this.phase as string) === "closed";
      this.phase = "closed";
      await Promise.all([pub.close(), sub.close()]);
      if (closedMeanwhile) return;
      throw err;
    }
    if ((this.phase as string) === "closed") return; // closed while binding
    this.phase = "running";
    this.peerExpiry = this.clock.now() + this.peerTimeout;
    sub.listen((message) => this.onStateMessage(message));
    pub.listen((message) => this.onSubscription(message));
    this.log.info?.(`started as ${this.current}: state on ${this.address}, peer at ${this.options.remote}, heartbeat ${this.heartbeatInterval} ms`);
    this.heartbeat();
  }

  /**
   * The admission hook: feeds a `CLIENT_REQUEST` event ("a client vote") into
   * the state machine and answers whether the request may be served now.
   * ACTIVE serves; PRIMARY and PASSIVE become ACTIVE and serve if the peer
   * has been silent for two heartbeats; otherwise, and always in BACKUP, the
   * request must be dropped unanswered. Always `false` before
   * {@link BinaryStar.start}, after {@link BinaryStar.close} and after a
   * fatal error. Synchronous and cheap: call it once per request.
   *
   * @param _request - what is known of the request; a Binary Star node votes the same for every service.
   */
  admit(_request: AdmissionRequest = {}): boolean {
    if (this.phase !== "running" || this.fatalReason !== undefined) {
      this.counters.rejected++;
      return false;
    }
    const serve = this.apply("CLIENT_REQUEST") === true;
    if (serve) this.counters.admitted++;
    else this.counters.rejected++;
    return serve;
  }

  /** A snapshot of the state and counters. */
  stats(): BinaryStarStats {
    return {
      role: this.role,
      state: this.current,
      peerState: this.peer,
      peerAlive: this.clock.now() < this.peerExpiry,
      fatal: this.fatalReason,
      ...this.counters,
    };
  }

  /**
   * Stops the heartbeat and closes both sockets. The peer presumes this node
   * dead two heartbeats after its last state message, and takes over on the
   * next client vote. Idempotent.
   */
  close(): Promise<void> {
    this.phase = "closed";
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.timer.cancel();
    await Promise.all([this.pub?.close(), this.sub?.close()]);
  }

  private heartbeat(): void {
    if (this.phase !== "running" || this.fatalReason !== undefined) return;
    this.publish();
    this.timer.after(this.heartbeatInterval);
  }

  private publish(): void {
    if (!this.pub || this.pub.closed) return;
    this.pub.post(encodeState(this.current));
    this.counters.stateSent++;
  }

  private onSubscription(message: Buffer[]): void {
    if (message[0]?.[0] !== 1 || this.phase !== "running" || this.fatalReason !== undefined) return;
    this.log.debug?.("a subscriber joined: sending our state now");
    this.publish();
  }

  private onStateMessage(message: Buffer[]): void {
    if (this.phase !== "running" || this.fatalReason !== undefined) return;
    let state: BinaryStarState;
    try {
      state = decodeState(message);
    } catch (err) {
      // Not trusted as a sign of life: it may not even come from the peer.
      this.counters.malformed++;
      this.log.warn?.(`ignored malformed state message: ${(err as Error).message}`);
      this.emit("drop", { reason: "malformed", error: err as ProtocolError });
      return;
    }
    const now = this.clock.now();
    this.counters.stateReceived++;
    this.peerExpiry = now + this.peerTimeout; // before the FSM, as bstar.c does
    if (state !== this.peer) {
      const previous = this.peer;
      this.peer = state;
      this.log.info?.(`peer is ${state}${previous ? ` (was ${previous})` : ""}`);
      this.emit("peer-state", { state, previous, at: now });
    }
    this.apply(peerEvent(state));
  }

  /** Runs one event; returns `serve` for client requests. */
  private apply(event: BinaryStarEvent): boolean | undefined {
    const now = this.clock.now();
    const from = this.current;
    const result = transition(from, event, now, this.peerExpiry);
    if (result.error) {
      this.fail(result.error, now);
      return false;
    }
    if (result.state !== from) {
      this.current = result.state;
      this.counters.transitions++;
      const change: StateChangeEvent = { from, to: result.state, event, note: result.note ?? "", at: now };
      this.log.info?.(`${from} -> ${result.state} on ${event}: ${change.note}`);
      this.publish(); // tell the peer at once rather than at the next heartbeat
      this.emit("state-change", change);
      for (const callback of result.callbacks) this.emit(callback, change);
    }
    return result.serve;
  }

  private fail(reason: BinaryStarFatalReason, now: number): void {
    if (this.fatalReason !== undefined) return;
    this.fatalReason = reason;
    this.timer.cancel();
    this.log.error?.(`fatal error - ${reason === "dual-active" ? "dual actives" : "dual passives"}; stopped`);
    // Stop publishing at once, like the reference whose reactor ends here.
    this.closing ??= this.shutdown();
    this.emit("fatal", { reason, state: this.current, peerState: this.peer!, at: now });
  }
}
