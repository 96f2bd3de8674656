/**
 * The Majordomo broker role: one ROUTER for clients and workers, whose
 * messages core's `Driver` feeds to a {@link BrokerState}.
 *
 * @module
 */
import type { Clock, CloseOptions, Frame, Logger, Transport, ZmqReliableError } from "@zmq-reliable/core";
import {
  Channel,
  Driver,
  InvalidOptionError,
  Lifecycle,
  NotStartedError,
  TypedEmitter,
  WAKE,
  bindEndpoint,
  checkNumber,
  createSocket,
  ephemeralEndpoint,
  flushLimitedLog,
  systemClock,
  taggedLogger,
} from "@zmq-reliable/core";
import type * as zmq from "zeromq";
import { ROUTER } from "./broker-dispatch-state.js";
import type { BrokerStats } from "./broker-events.js";
import { logEvent, traced } from "./broker-log.js";
import type { MajordomoBrokerEvents, MajordomoBrokerOptions } from "./broker-options.js";
import type { BrokerAction, BrokerInput } from "./broker-state.js";
import { BrokerState } from "./broker-state.js";
import { MAJORDOMO_DEFAULTS } from "./defaults.js";

/** Default of `close({ timeout })`: how long (ms) the DISCONNECTs to workers may take to go out (flush, then linger). */
const SHUTDOWN_LINGER = 200;
/** How long (ms) closing waits for libzmq to free the bound port. */
const PORT_RELEASE = 1000;
const SHUTDOWN: BrokerInput = Object.freeze({ type: "shutdown" });
const DRAIN: BrokerInput = Object.freeze({ type: "drain" });
const WHAT = "majordomo broker";

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
 * const broker = new MajordomoBroker({ bind: "tcp://*:5555" });
 * await broker.start();
 * // … later
 * await broker.close(); // workers get DISCONNECT
 * ```
 */
export class MajordomoBroker extends TypedEmitter<MajordomoBrokerEvents> {
  private readonly options: MajordomoBrokerOptions;
  private readonly binds: string[];
  private readonly log: Logger;
  private readonly life: Lifecycle;
  private readonly state: BrokerState;
  private readonly driver: Driver<BrokerInput, BrokerAction>;
  private readonly clock: Clock;
  private onDrained: (() => void) | undefined;
  private channel: Channel<zmq.Router> | undefined;
  private bound: string[] | undefined;
  private asBound: string[] | undefined;

  /** @param options - see {@link MajordomoBrokerOptions}; every field has a default. */
  constructor(options: MajordomoBrokerOptions = {}) {
    super();
    this.options = options;
    const bind = options.bind ?? MAJORDOMO_DEFAULTS.bind;
    this.binds = typeof bind === "string" ? [bind] : [...bind];
    if (this.binds.length === 0) throw new InvalidOptionError("bind: at least one endpoint is needed");
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    checkNumber("drainTimeout", options.drainTimeout ?? 0, 0);
    this.log = taggedLogger(options.logger, "mdp-broker");
    this.life = new Lifecycle("MajordomoBroker", clock);
    const D = MAJORDOMO_DEFAULTS;
    this.state = new BrokerState(
      {
        heartbeatInterval: options.heartbeatInterval ?? D.heartbeatInterval,
        liveness: options.liveness ?? D.liveness,
        requestExpiry: options.requestExpiry ?? D.requestExpiry,
        maxAttempts: options.maxAttempts ?? D.maxAttempts,
        maxQueued: options.maxQueued ?? D.maxQueued,
        maxQueuedBytes: options.maxQueuedBytes ?? D.maxQueuedBytes,
        maxQueuedPerService: options.maxQueuedPerService ?? D.maxQueuedPerService,
        maxQueuedBytesPerService: options.maxQueuedBytesPerService ?? D.maxQueuedBytesPerService,
        maxQueuedPerClient: options.maxQueuedPerClient ?? D.maxQueuedPerClient,
        maxRequestBytes: options.maxRequestBytes ?? D.maxRequestBytes,
        maxServices: options.maxServices ?? D.maxServices,
        admission: options.admission,
      },
      clock.now(),
    );
    this.driver = new Driver(this.log.debug ? traced(this.state, this.log.debug) : this.state, {
      clock,
      emit: (event, payload) => this.report(event as keyof MajordomoBrokerEvents, payload),
      onError: (error) => this.report("error", error), // a listener threw
    });
  }

  /** The first endpoint peers can connect to (`tcp://127.0.0.1:5555` for `tcp://*:5555`). Throws `NotStartedError` before `start()`. */
  get endpoint(): string {
    return this.endpoints[0]!;
  }

  /** Every endpoint peers can connect to, in `bind` order. Throws `NotStartedError` before `start()`. */
  get endpoints(): string[] {
    if (!this.bound) throw new NotStartedError("MajordomoBroker.endpoint is known after start()");
    return [...this.bound];
  }

  /** Every endpoint as bound (`tcp://0.0.0.0:5555` for `tcp://*:5555`), in `bind` order: what a CLI prints. Throws `NotStartedError` before `start()`. */
  get boundEndpoints(): string[] {
    if (!this.asBound) throw new NotStartedError("MajordomoBroker.boundEndpoints are known after start()");
    return [...this.asBound];
  }

  /** Whether {@link MajordomoBroker.start} succeeded and {@link MajordomoBroker.close} was not called. */
  get running(): boolean {
    return this.life.running;
  }

  /**
   * Binds every endpoint and starts serving. Idempotent. If a bind fails (for
   * example `EADDRINUSE`) it rejects with a `SocketError` naming the endpoint,
   * after closing the socket and waiting for libzmq to free the port it did
   * bind (the last one, if several); a later `start()` tries again.
   */
  start(): Promise<void> {
    return this.life.start(
      () => this.open(),
      () => this.release(),
    );
  }

  private async open(): Promise<void> {
    const o = this.options;
    // mandatory (with core's send timeout 0): a send to a full or gone peer fails at once and is counted, never queued
    const socketOptions: Record<string, unknown> = { curve: o.curve, mandatory: true, sendHighWaterMark: o.sendHighWaterMark ?? MAJORDOMO_DEFAULTS.sendHighWaterMark };
    socketOptions.maxMessageSize = o.maxMessageSize ?? o.maxRequestBytes ?? MAJORDOMO_DEFAULTS.maxRequestBytes;
    if (o.receiveHighWaterMark !== undefined) socketOptions.receiveHighWaterMark = o.receiveHighWaterMark;
    const channel = new Channel(createSocket("router", socketOptions), { name: WHAT, onError: (e, message) => this.onChannelError(e, message) });
    this.channel = channel;
    const bound: string[] = [];
    const asBound: string[] = [];
    for (const bind of this.binds) {
      const endpoint = bind.includes("://") ? bind : ephemeralEndpoint(bind as Transport);
      const b = await bindEndpoint(channel.socket, endpoint, WHAT);
      bound.push(b.endpoint);
      asBound.push(b.bound);
    }
    this.bound = bound;
    this.asBound = asBound;
    this.driver.attach(ROUTER, channel);
    this.driver.feed(WAKE); // first tick: arms the heartbeat timer
    this.log.info?.({ endpoint: bound.join(",") }, `MDP/0.1 broker active at ${bound.join(", ")}`);
    this.emit("listening", [...bound]);
  }

  /** Undoes a failed `open()`: closes the socket and waits until its (last) bound port is free. */
  private async release(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    this.bound = undefined;
    this.asBound = undefined;
    await channel?.close({ release: PORT_RELEASE });
  }

  /** Counters and gauges, in all and per service (`byService`), with reply latency percentiles; see {@link BrokerStats}. */
  stats(): BrokerStats {
    return this.state.stats(this.clock.now());
  }

  /**
   * Drains, then tells every worker DISCONNECT, drops what is left (each
   * reported as a `drop` with reason `"shutdown"`), closes the socket and
   * waits until its port is free. The drain (at most `drainTimeout` ms,
   * default 5000) drops new and queued requests (`"draining"`) and waits
   * until the requests in workers' hands are answered, their replies sent.
   * Idempotent; later `start()`s reject with `ClosedError`.
   *
   * @param options - `timeout`: ms the DISCONNECTs (and the last replies) may take to be handed to zeromq, and again to be delivered (socket linger); default 200.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const timeout = options.timeout ?? SHUTDOWN_LINGER;
    const drainTimeout = this.options.drainTimeout ?? MAJORDOMO_DEFAULTS.drainTimeout;
    return this.life.close({ drain: () => this.drain(), teardown: () => this.teardown(timeout) }, drainTimeout);
  }

  /** Feeds the drain command; resolves on the state's `drained` event (at once when workers hold nothing). */
  private drain(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.channel) return resolve();
      this.onDrained = () => resolve();
      this.once("drained", this.onDrained);
      this.log.info?.("draining");
      this.driver.feed(DRAIN);
    });
  }

  private async teardown(timeout: number): Promise<void> {
    const channel = this.channel;
    if (channel) {
      channel.pause(); // no new work; the DISCONNECTs still go out
      if (this.onDrained) this.off("drained", this.onDrained); // a drain that timed out
      this.driver.feed(SHUTDOWN);
      await channel.close({ flush: timeout, linger: timeout, release: PORT_RELEASE });
      flushLimitedLog(this.log); // the last window's "N more …" lines, before "closed"
      this.log.info?.("closed");
    }
    this.driver.close();
    this.driver.detach(ROUTER);
  }

  private onChannelError(error: ZmqReliableError, message?: Frame | Frame[]): void {
    if (this.life.closed && error.code === "ERR_CLOSED") return;
    if (error.code === "ERR_SOCKET" && /receive failed/.test(error.message)) return this.report("error", error);
    // post() failures: the state learns which message was not sent (a request to a worker goes to another)
    this.driver.feed({ type: "send-failed", channel: ROUTER, frames: Array.isArray(message) ? message : [], error });
  }

  /** Logs one event of the state (or an error of the role) and emits it. */
  private report(event: keyof MajordomoBrokerEvents, payload: unknown): void {
    logEvent(this.log, event, payload);
    (this.emit as (event: string, ...args: unknown[]) => boolean)(event, payload);
  }
}
