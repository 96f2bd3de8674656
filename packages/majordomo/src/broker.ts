/**
 * The Majordomo broker role: one ROUTER for clients and workers, driven by
 * {@link BrokerState}.
 *
 * @module
 */
import type { AdmissionHook, Clock, CurveServerOptions, Frame, Logger, ZmqReliableError } from "@zmq-reliable/core";
import {
  Channel,
  ClosedError,
  InvalidOptionError,
  NotStartedError,
  SocketError,
  Timer,
  TypedEmitter,
  bindEphemeral,
  closeSocket,
  createSocket,
  describeFrame,
  systemClock,
  taggedLogger,
} from "@zmq-reliable/core";
import type * as zmq from "zeromq";
import type {
  BrokerOutput,
  BrokerStateEvent,
  BrokerStats,
  DisconnectEvent,
  DropEvent,
  ExpireEvent,
  ReadyEvent,
  RedispatchEvent,
} from "./broker-state.js";
import { BrokerState } from "./broker-state.js";
import { MAJORDOMO_DEFAULTS } from "./defaults.js";

/** How long (ms) the ROUTER may linger on close so the DISCONNECTs to workers go out. */
const SHUTDOWN_LINGER = 200;

/** Options of {@link MajordomoBroker}. */
export interface MajordomoBrokerOptions {
  /**
   * Where to bind: one endpoint or several (`tcp://*:5555`, `ipc://…`,
   * `tcp://127.0.0.1:*` for an ephemeral port). Clients and workers share
   * the socket. Default `tcp://*:5555`.
   */
  endpoint?: string | readonly string[];
  /** Milliseconds between heartbeats to each worker (idle and busy). Default 2500. */
  heartbeatInterval?: number;
  /** Silent intervals before a worker is expired. Default 3 (7500 ms at the default interval). */
  liveness?: number;
  /** Milliseconds a request may wait while no worker serves its service. Default 7500. */
  requestExpiry?: number;
  /** Workers a request may be handed to in total (re-dispatch bound). Default 3. */
  maxAttempts?: number;
  /** Most requests queued at once, all services together. Default unbounded. */
  maxQueuedRequests?: number;
  /**
   * Consulted before each client request is served (core's admission hook;
   * a Binary Star node implements it). A refused request is dropped silently
   * (a `drop` event with reason `"not-admitted"`), so the client's retry
   * goes to the broker that may serve it. Default: admit everything.
   */
  admission?: AdmissionHook;
  /** CURVE server key; clients and workers then need its public key. */
  curve?: CurveServerOptions;
  /** Where to log; nothing is logged (or formatted) without it. */
  logger?: Logger;
  /**
   * ZMQ_MAXMSGSIZE in bytes: libzmq disconnects any peer that sends a bigger
   * message, before it reaches the broker. Default -1 (no limit).
   */
  maxMessageSize?: number;
  /** ZMQ_SNDHWM of the ROUTER (messages queued per peer). Default zeromq's 1000. */
  sendHighWaterMark?: number;
  /** ZMQ_RCVHWM of the ROUTER. Default zeromq's 1000. */
  receiveHighWaterMark?: number;
  /** Clock for heartbeats and expiry; default the system clock. */
  clock?: Clock;
}

/** Events of {@link MajordomoBroker}. */
export type MajordomoBrokerEvents = {
  /** Bound and serving; payload: the connectable endpoints. */
  listening: [endpoints: string[]];
  /** A worker registered. */
  ready: [ReadyEvent];
  /** A worker left, was refused or was disconnected. */
  disconnect: [DisconnectEvent];
  /** A worker was silent too long and was forgotten. */
  expire: [ExpireEvent];
  /** A request went back to the queue because its worker vanished. */
  redispatch: [RedispatchEvent];
  /** A message was dropped, with the reason. */
  drop: [DropEvent];
  /** The socket failed in a way the broker cannot handle by itself. */
  error: [ZmqReliableError];
};

/**
 * A Majordomo broker (7/MDP 0.1 with 8/MMI): clients and workers connect to
 * one ROUTER. It is wire-compatible with `mdbroker.c` and follows RFC 7/8
 * where that broker does not: see {@link BrokerState} and the README.
 *
 * The hot path has no `await` per message: each message is handled
 * synchronously and answered with `Channel.post()`; nothing is logged or
 * formatted unless a logger with that level is set.
 *
 * ```ts
 * const broker = new MajordomoBroker({ endpoint: "tcp://*:5555" });
 * await broker.start();
 * // … later
 * await broker.close(); // workers get DISCONNECT
 * ```
 */
export class MajordomoBroker extends TypedEmitter<MajordomoBrokerEvents> {
  private readonly options: MajordomoBrokerOptions;
  private readonly requested: readonly string[];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly state: BrokerState;
  private readonly timer: Timer;
  private channel: Channel<zmq.Router> | undefined;
  private bound: string[] = [];
  private boundAs: string[] = [];
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** While closing: sends to wait for before the socket closes. */
  private flushing: Promise<void>[] | undefined;

  /** @param options - see {@link MajordomoBrokerOptions}; every field has a default. */
  constructor(options: MajordomoBrokerOptions = {}) {
    super();
    this.options = options;
    const endpoint = options.endpoint ?? MAJORDOMO_DEFAULTS.endpoint;
    this.requested = typeof endpoint === "string" ? [endpoint] : [...endpoint];
    if (this.requested.length === 0) throw new InvalidOptionError("endpoint: at least one endpoint is needed");
    this.clock = options.clock ?? systemClock;
    this.log = taggedLogger(options.logger, "mdp-broker");
    const output: BrokerOutput = {
      send: (message) => this.send(message),
      event: (event) => this.onStateEvent(event),
    };
    this.state = new BrokerState(
      {
        heartbeatInterval: options.heartbeatInterval ?? MAJORDOMO_DEFAULTS.heartbeatInterval,
        liveness: options.liveness ?? MAJORDOMO_DEFAULTS.liveness,
        requestExpiry: options.requestExpiry ?? MAJORDOMO_DEFAULTS.requestExpiry,
        maxAttempts: options.maxAttempts ?? MAJORDOMO_DEFAULTS.maxAttempts,
        maxQueuedRequests: options.maxQueuedRequests,
        admission: options.admission,
      },
      output,
      this.clock.now(),
    );
    this.timer = new Timer(this.clock, () => this.onTimer());
  }

  /** The endpoints peers can connect to (wildcard hosts replaced by 127.0.0.1), once started. */
  get endpoints(): string[] {
    return [...this.bound];
  }

  /**
   * The endpoints as bound (the socket's `lastEndpoint` after each bind:
   * `tcp://0.0.0.0:5555` for `tcp://*:5555`), for logs and start lines.
   *
   * @throws `NotStartedError` before {@link MajordomoBroker.start} succeeded.
   */
  get boundEndpoints(): string[] {
    if (!this.channel) throw new NotStartedError("MajordomoBroker.boundEndpoints is known after start()");
    return [...this.boundAs];
  }

  /** Whether {@link MajordomoBroker.start} succeeded and {@link MajordomoBroker.close} was not called. */
  get running(): boolean {
    return this.channel !== undefined && this.closing === undefined;
  }

  /**
   * Binds every endpoint and starts serving. Idempotent. If a bind fails
   * (for example `EADDRINUSE`) the socket is closed and the error rethrown.
   */
  start(): Promise<void> {
    if (this.closing) return Promise.reject(new ClosedError("Majordomo broker is closed"));
    this.starting ??= this.bind();
    return this.starting;
  }

  private async bind(): Promise<void> {
    const o = this.options;
    const socketOptions: Record<string, unknown> = { curve: o.curve };
    if (o.maxMessageSize !== undefined) socketOptions.maxMessageSize = o.maxMessageSize;
    if (o.sendHighWaterMark !== undefined) socketOptions.sendHighWaterMark = o.sendHighWaterMark;
    if (o.receiveHighWaterMark !== undefined) socketOptions.receiveHighWaterMark = o.receiveHighWaterMark;
    const socket = createSocket("router", socketOptions);
    try {
      for (const endpoint of this.requested) {
        this.bound.push(await bindEphemeral(socket, endpoint));
        this.boundAs.push(socket.lastEndpoint ?? endpoint);
      }
    } catch (err) {
      closeSocket(socket);
      this.bound = [];
      this.boundAs = [];
      this.starting = undefined;
      throw err;
    }
    const channel = new Channel(socket, { name: "majordomo broker", onError: (e) => this.onChannelError(e) });
    this.channel = channel;
    channel.listen((message) => this.onMessage(message));
    this.onTimer();
    this.log.info?.(`MDP/0.1 broker active at ${this.bound.join(", ")}`);
    this.emit("listening", this.endpoints);
  }

  /** Counters and gauges; see {@link BrokerStats}. */
  stats(): BrokerStats {
    return this.state.stats();
  }

  /**
   * Tells every worker DISCONNECT, drops queued requests (each reported as a
   * `drop` with reason `"shutdown"`), and closes the socket. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.starting?.catch(() => {});
    this.timer.cancel();
    const channel = this.channel;
    if (!channel) return;
    this.flushing = [];
    this.state.shutdown(this.clock.now());
    const sends = this.flushing;
    this.flushing = undefined;
    await Promise.all(sends);
    try {
      channel.socket.linger = SHUTDOWN_LINGER;
    } catch {
      // already closed
    }
    await channel.close();
    this.timer.cancel();
    this.log.info?.("closed");
  }

  private onMessage(message: Buffer[]): void {
    if (this.log.debug) this.log.debug(`recv ${message.map((f) => describeFrame(f)).join(" | ")}`);
    try {
      this.state.handle(message, this.clock.now());
    } catch (err) {
      // A bug, not bad input (BrokerState never throws for bad input): count it, report it, keep serving.
      const error = new SocketError(`broker state failed on a message: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
      this.log.error?.(error.message);
      this.state.recordDrop("internal-error", error.message);
      this.emit("error", error);
    }
    if (this.state.wakeAt < this.timer.deadline && this.closing === undefined) this.timer.at(this.state.wakeAt);
  }

  private onTimer(): void {
    if (this.closing !== undefined) return;
    this.state.tick(this.clock.now());
    this.timer.at(this.state.wakeAt);
  }

  private send(message: Frame[]): void {
    const channel = this.channel;
    if (!channel) return;
    if (this.log.debug) this.log.debug(`send ${message.map((f) => describeFrame(f)).join(" | ")}`);
    if (this.flushing) this.flushing.push(channel.send(message).catch((e: ZmqReliableError) => this.onChannelError(e)));
    else channel.post(message);
  }

  private onChannelError(error: ZmqReliableError): void {
    if (this.closing !== undefined && error.code === "ERR_CLOSED") return;
    if (error.code === "ERR_SOCKET" && /receive failed/.test(error.message)) {
      this.log.error?.(error.message);
      this.emit("error", error);
      return;
    }
    // post() failures and handler errors: the message they concern is lost.
    this.log.warn?.(`send failed: ${error.message}`);
    this.state.recordDrop("send-failed", error.message);
    this.emit("error", error);
  }

  private onStateEvent(event: BrokerStateEvent): void {
    switch (event.type) {
      case "drop":
        this.log.warn?.(`drop (${event.reason})${event.detail ? ` ${event.detail}` : ""} service=${event.service ?? "-"} peer=${event.peer ?? "-"}`);
        this.emit("drop", event);
        break;
      case "ready":
        this.log.info?.(`worker ${event.worker} ready for "${event.service}"`);
        this.emit("ready", event);
        break;
      case "disconnect":
        this.log.info?.(`worker ${event.worker} disconnected (${event.reason})`);
        this.emit("disconnect", event);
        break;
      case "expire":
        this.log.warn?.(`worker ${event.worker} of "${event.service}" expired${event.busy ? " with a request in hand" : ""}`);
        this.emit("expire", event);
        break;
      case "redispatch":
        this.log.warn?.(`request for "${event.service}" re-dispatched after worker ${event.worker} vanished (attempt ${event.attempts})`);
        this.emit("redispatch", event);
        break;
    }
  }
}
