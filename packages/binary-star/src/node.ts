/**
 * {@link BinaryStar}: one node of a high-availability pair. It exchanges state
 * messages with its peer and answers, for every client request, whether this
 * node may serve it now. It owns no client-facing socket, so any server can
 * use it: {@link BinaryStarServer} does, and so can a Majordomo broker through
 * core's {@link AdmissionHook}. The rules are in {@link NodeState}; this role
 * only owns the two state sockets and runs the machine with core's `Driver`.
 *
 * @module
 */
import * as zmq from "zeromq";
import type { AdmissionHook, AdmissionRequest, BoundEndpoint, Clock, CloseOptions, Logger, ZmqReliableError } from "@zmq-reliable/core";
import { Channel, Driver, InvalidOptionError, Lifecycle, NotStartedError, TypedEmitter, bindEndpoint, checkNumber } from "@zmq-reliable/core";
import { PEER_ZAP_DOMAIN, connectEndpoint, createSocket, curveSocketOptions, flushLimitedLog, limitedLog, systemClock, taggedLogger } from "@zmq-reliable/core";
import { BINARY_STAR_DEFAULTS, type BinaryStarRole } from "./defaults.js";
import type { BinaryStarEvents, BinaryStarStats } from "./node-events.js";
import { logNodeEvent } from "./node-log.js";
import type { NodeAction, NodeInput } from "./node-state.js";
import { NodeState } from "./node-state.js";
import type { BinaryStarOptions } from "./options.js";
import type { BinaryStarState } from "./protocol.js";

export type { BinaryStarEvents, BinaryStarStats, FatalEvent, PeerStateEvent, StateChangeEvent, StateDropEvent } from "./node-events.js";
export type { BinaryStarCurveOptions, BinaryStarOptions } from "./options.js";

/**
 * One node of a Binary Star pair ([Binary Star protocol](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html)). It binds a PUB at `bind`,
 * connects a SUB to the other node's PUB at `peer`, publishes its state every
 * `heartbeatInterval` ms, and runs the reference state machine (`bstar.c`; see
 * {@link NodeState}) on every state message and every client request. Beyond
 * the reference, it publishes its state at once on every change and whenever a
 * subscriber (the peer) connects (the PUB is an XPUB, which sees
 * subscriptions; the wire is unchanged).
 *
 * It implements core's {@link AdmissionHook}: a server calls
 * {@link BinaryStar.admit} for each client request and serves it only when that
 * returns `true`, else drops it unanswered, as the reference does. The call is
 * the "client vote" that lets a passive node take over after peer silence.
 *
 * ```ts
 * const node = new BinaryStar({ role: "primary", bind: "tcp://*:5003", peer: "tcp://backup:5004" });
 * node.on("active", () => console.log("serving"));
 * node.on("passive", () => console.log("standing by")); // also after yielding to the peer (dual actives)
 * await node.start();
 * const broker = new SomeBroker({ admission: node }); // anything that takes an AdmissionHook
 * ```
 */
export class BinaryStar extends TypedEmitter<BinaryStarEvents> implements AdmissionHook {
  /** The configured role. */
  readonly role: BinaryStarRole;
  /** Milliseconds between state messages. */
  readonly heartbeatInterval: number;
  /** Heartbeats of silence after which the peer is presumed dead. */
  readonly liveness: number;
  /** Milliseconds of peer silence after which a client vote may take over: `liveness` heartbeats. */
  readonly peerTimeout: number;
  private readonly options: BinaryStarOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly machine: NodeState;
  private readonly driver: Driver<NodeInput, NodeAction>;
  private readonly life: Lifecycle;
  private pub: Channel<zmq.XPublisher> | undefined;
  private sub: Channel<zmq.Subscriber> | undefined;
  private bound: BoundEndpoint | undefined;
  private halted: Promise<void> | undefined;
  private verdict: boolean | undefined;
  private notifying = 0;
  private unvoted = 0;

  /** @param options - see {@link BinaryStarOptions}. */
  constructor(options: BinaryStarOptions) {
    super();
    if (options.role !== "primary" && options.role !== "backup") throw new InvalidOptionError(`role must be "primary" or "backup", got ${String(options.role)}`);
    if (typeof options.bind !== "string" || !options.bind) throw new InvalidOptionError("bind (this node's state endpoint) is required");
    if (typeof options.peer !== "string" || !options.peer) throw new InvalidOptionError("peer (the other node's state endpoint) is required");
    this.options = options;
    this.role = options.role;
    this.heartbeatInterval = checkNumber("heartbeatInterval", options.heartbeatInterval ?? BINARY_STAR_DEFAULTS.heartbeatInterval, 1);
    this.liveness = checkNumber("liveness", options.liveness ?? BINARY_STAR_DEFAULTS.liveness, 1);
    this.peerTimeout = this.liveness * this.heartbeatInterval;
    this.clock = options.clock ?? systemClock;
    this.log = taggedLogger(options.logger, `bstar ${this.role}`);
    this.life = new Lifecycle("BinaryStar", this.clock);
    this.machine = new NodeState({ role: this.role, heartbeatInterval: this.heartbeatInterval, liveness: this.liveness });
    this.driver = new Driver<NodeInput, NodeAction>(this.machine, {
      clock: this.clock,
      emit: (event, ...args) => this.notify(event as keyof BinaryStarEvents, args),
      perform: (action) => this.perform(action),
      onError: (error) => this.log.warn?.({ reason: error.code, state: this.machine.state }, error.message),
    });
  }

  /** The current state. */
  get state(): BinaryStarState {
    return this.machine.state;
  }

  /** The state the peer last announced, or `undefined` if it was never heard. */
  get peerState(): BinaryStarState | undefined {
    return this.machine.peerState;
  }

  /** Whether this node serves clients right now: ACTIVE, started, not closed and not stopped by a fatal error. */
  get isActive(): boolean {
    return this.machine.state === "ACTIVE" && this.machine.running && this.life.running;
  }

  /**
   * The endpoint the state publisher is bound to, connectable (with the real port).
   *
   * @throws `NotStartedError` before {@link BinaryStar.start} has succeeded.
   */
  get endpoint(): string {
    if (!this.bound) throw new NotStartedError("BinaryStar.endpoint is known after start()");
    return this.bound.endpoint;
  }

  /**
   * The endpoint the state publisher is bound to, as bound (`tcp://0.0.0.0:5003` for `tcp://*:5003`): what a CLI prints.
   *
   * @throws `NotStartedError` before {@link BinaryStar.start} has succeeded.
   */
  get boundEndpoint(): string {
    if (!this.bound) throw new NotStartedError("BinaryStar.boundEndpoint is known after start()");
    return this.bound.bound;
  }

  /**
   * Binds the state publisher, connects the SUB to the peer, publishes the
   * start state and starts the heartbeat. A PRIMARY then waits `liveness`
   * heartbeats for its peer before a client vote can make it active (the
   * `bstar.c` fix for the fail-back race). Idempotent; retryable after a failure.
   *
   * @throws `SocketError` naming the endpoint when binding or connecting fails; `ClosedError` after close.
   */
  start(): Promise<void> {
    return this.life.start(() => this.open(), () => this.closeSockets());
  }

  /**
   * The admission hook: a client vote (`CLIENT_REQUEST`) into the state
   * machine; answers whether the request may be served now (else drop it
   * unanswered). ACTIVE serves; PRIMARY and PASSIVE take over and serve after
   * `liveness` silent heartbeats; BACKUP never serves. Always `false` before
   * start, after close, after a fatal error, and inside this node's own event
   * listeners (no vote is cast then). Synchronous and cheap: once per request.
   *
   * @param _request - what is known of the request; a Binary Star node votes the same for every service.
   */
  admit(_request: AdmissionRequest = {}): boolean {
    if (!this.life.running || this.notifying > 0) {
      this.unvoted++;
      return false;
    }
    this.verdict = undefined;
    this.driver.feed({ type: "admit" });
    const serve = this.verdict === true;
    this.verdict = undefined;
    return serve;
  }

  /** A snapshot of the state and counters. */
  stats(): BinaryStarStats {
    const stats = this.machine.stats(this.clock.now());
    stats.rejected += this.unvoted;
    return stats;
  }

  /**
   * Stops the heartbeat and closes both sockets; the peer takes over on a client
   * vote after `liveness` silent heartbeats. Idempotent; `start()` then rejects.
   *
   * @param options - nothing is drained, so `timeout` has no effect.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const teardown = async () => {
      this.driver.close();
      flushLimitedLog(this.log);
      await Promise.all([this.halted, this.closeSockets()]);
    };
    return this.life.close({ teardown }, options.timeout ?? 0);
  }

  private async open(): Promise<void> {
    const { curve } = this.options;
    const onError = (error: ZmqReliableError) => this.log.warn?.({ reason: error.code, state: this.state }, error.message);
    // An XPUB, not a PUB (same wire): it sees each new subscription, so a peer that (re)connects hears our
    // state at once, not a heartbeat later: a restarted primary learns of an active backup within a round trip.
    // In ZAP's peer domain: a ZAP handler with a peer list (the CLIs') lets only the peer subscribe.
    const xpub = new zmq.XPublisher({ linger: 0, verbosity: "allSubs", ...curveSocketOptions(curve && { secretKey: curve.secretKey, zapDomain: PEER_ZAP_DOMAIN }) });
    const subCurve = curve && { serverKey: curve.peerKey, publicKey: curve.publicKey, secretKey: curve.secretKey };
    this.pub = new Channel(xpub, { name: "bstar state publisher", onError });
    this.sub = new Channel(createSocket("subscriber", { curve: subCurve }), { name: "bstar state subscriber", onError });
    const bound = await bindEndpoint(this.pub.socket, this.options.bind, "binary star state publisher");
    this.sub.socket.subscribe();
    connectEndpoint(this.sub.socket, this.options.peer, "binary star state subscriber (peer)");
    if (this.life.closed) return; // closed while binding: close() tears down
    this.bound = bound;
    this.driver.attach("state", this.pub);
    this.driver.attach("peer", this.sub);
    this.driver.feed({ type: "start" });
    this.log.info?.({ endpoint: bound.endpoint, peerEndpoint: this.options.peer, state: this.state }, `started as ${this.state}: state on ${bound.endpoint}, peer at ${this.options.peer}, heartbeat ${this.heartbeatInterval} ms`);
  }

  /** Closes and forgets both state sockets (after a failed start, a fatal error, or on close); resolves once the bound port is free again. */
  private async closeSockets(): Promise<void> {
    const { pub, sub } = this;
    this.pub = this.sub = undefined;
    this.driver.detach("state");
    this.driver.detach("peer");
    await Promise.all([pub?.close({ release: 1000 }), sub?.close()]);
  }

  private perform(action: NodeAction): void {
    if (action.type === "verdict") this.verdict = action.serve;
    else if (action.type === "halt") this.halted = this.closeSockets(); // stop publishing at once, as the reference's reactor ends
  }

  private notify<K extends keyof BinaryStarEvents>(event: K, args: unknown[]): void {
    // A flood of malformed state messages is a few lines and one summary per 10 s.
    logNodeEvent(event === "drop" ? limitedLog(this.log).warn.as("malformed") : this.log, event, args[0]);
    this.notifying++;
    try {
      this.emit(event, ...(args as BinaryStarEvents[K]));
    } finally {
      this.notifying--;
    }
  }
}
