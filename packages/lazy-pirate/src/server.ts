/**
 * The Lazy Pirate server: a REP-equivalent server with an async handler, built
 * on a ROUTER so a slow or hung handler never blocks the requests behind it.
 *
 * @module
 */
import type * as zmq from "zeromq";
import {
  bindEphemeral,
  Channel,
  checkNumber,
  ClosedError,
  type Clock,
  createSocket,
  type CurveServerOptions,
  curveSocketOptions,
  EMPTY,
  Fifo,
  type Frame,
  InvalidOptionError,
  type Logger,
  SocketError,
  splitEnvelope,
  systemClock,
  taggedLogger,
  type TimerHandle,
  TimeoutError,
  TypedEmitter,
  type ZmqReliableError,
} from "@zmq-reliable/core";
import { type FaultDecision, type FaultOptions, FaultPlan } from "./faults.js";
import { checkInteger } from "./options.js";
import { encodeReply } from "./protocol.js";
import { closeReleasing } from "./release.js";

/** What a {@link LazyPirateHandler} learns about the request besides its frames. */
export interface HandlerContext {
  /** The request's number on this server, 1 for the first, in arrival order. */
  readonly request: number;
  /**
   * Aborts when the reply is no longer wanted: the `handlerTimeout` expired or
   * the server is closing. Long handlers may stop early when it fires.
   */
  readonly signal: AbortSignal;
}

/**
 * Handles one request: receives the request's body frames and returns the
 * reply, one frame or several, directly or as a promise. Throwing (or
 * rejecting), returning something that is not a frame, or an empty array,
 * sends no reply: the client times out and retries.
 */
export type LazyPirateHandler = (message: Buffer[], context: HandlerContext) => Frame | Frame[] | Promise<Frame | Frame[]>;

/** Defaults of {@link LazyPirateServerOptions}. */
export const LAZY_PIRATE_SERVER_DEFAULTS = Object.freeze({
  /** Where to bind: an ephemeral TCP port on loopback (read it back from `server.endpoint`). The reference server binds `tcp://*:5555`. */
  endpoint: "tcp://127.0.0.1:*",
  /** Requests handled at once. */
  concurrency: 16,
  /** Requests waiting for a free handler slot before new ones are dropped. */
  maxQueued: 1000,
  /**
   * Milliseconds a handler may take before its request is dropped unanswered:
   * longer than a default client waits in all (3 × 2500 ms).
   */
  handlerTimeout: 10_000,
});

/** Options of {@link LazyPirateServer}. */
export interface LazyPirateServerOptions {
  /** Computes each reply. */
  handler: LazyPirateHandler;
  /**
   * Endpoint to bind, e.g. `"tcp://*:5555"`; a `*` port picks a free one. A
   * bare `"tcp"`, `"ipc"` or `"inproc"` binds an ephemeral endpoint of that
   * transport. Default `"tcp://127.0.0.1:*"`.
   */
  endpoint?: string;
  /**
   * How many requests are handled at once. A REP socket handles one at a
   * time and a hung handler would wedge it; here a slow handler only holds one
   * slot. Default 16.
   */
  concurrency?: number;
  /** How many requests may wait for a slot; more are dropped (the clients retry). Default 1000. */
  maxQueued?: number;
  /**
   * Milliseconds a handler may run before its request is dropped with no
   * reply and its slot freed (the handler's `signal` aborts). 0 disables the
   * limit (then a handler that never settles holds its slot for good).
   * Default 10,000.
   */
  handlerTimeout?: number;
  /** Deliberate faults for demos and tests; none by default. */
  faults?: FaultOptions;
  /** CURVE: this server's secret key. */
  curve?: CurveServerOptions;
  /** Where to log; nothing is logged by default. */
  logger?: Logger;
  /** Clock for handler timeouts and reply delays; default the system clock. */
  clock?: Clock;
}

/** Why the server sent no reply to a request. */
export type ServerDropReason =
  /** No empty delimiter, or no body after it: not a REQ request. */
  | "malformed"
  /** `maxQueued` requests were already waiting. */
  | "overload"
  /** The handler threw, rejected or returned no frames. */
  | "handler-error"
  /** The handler took longer than `handlerTimeout`. */
  | "handler-timeout"
  /** Fault injection dropped the reply. */
  | "fault"
  /** The server crashed (fault injection) before answering. */
  | "crash"
  /** The server closed before answering. */
  | "closed";

/** Payload of the server's `drop` event: a request that got no reply. */
export interface ServerDropEvent {
  /** Why. */
  readonly reason: ServerDropReason;
  /** The request's number, when it got one (malformed requests do not). */
  readonly request: number | undefined;
}

/** Payload of the server's `handler-error` event. */
export interface HandlerErrorEvent {
  /** The request's number. */
  readonly request: number;
  /** What the handler threw or rejected with (or a `ProtocolError` for a reply with no frames). */
  readonly error: unknown;
  /** The request's body frames. */
  readonly message: Buffer[];
}

/** Payload of the server's `handler-timeout` event. */
export interface HandlerTimeoutEvent {
  /** The request's number. */
  readonly request: number;
  /** The limit that expired, in ms. */
  readonly timeout: number;
  /** The request's body frames. */
  readonly message: Buffer[];
}

/** Payload of the server's `fault` event: a deliberate fault was injected. */
export interface FaultEvent {
  /** `"drop-reply"`: reply not sent; `"delay"`: reply held back; `"crash"`: the server is about to close. */
  readonly kind: "drop-reply" | "delay" | "crash";
  /** The request it hit. */
  readonly request: number;
  /** The delay in ms, for `"delay"`. */
  readonly delay?: number;
}

/** Events of {@link LazyPirateServer}. */
export type LazyPirateServerEvents = {
  /** A handler threw, rejected or returned no frames; the request gets no reply. */
  "handler-error": [HandlerErrorEvent];
  /** A handler ran past `handlerTimeout`; the request gets no reply. */
  "handler-timeout": [HandlerTimeoutEvent];
  /** A request got no reply (one event per such request, with the reason). */
  drop: [ServerDropEvent];
  /** A deliberate fault was injected. */
  fault: [FaultEvent];
  /** The socket failed and the server stopped receiving. */
  error: [ZmqReliableError];
};

/** Counters of {@link LazyPirateServer}. */
export interface LazyPirateServerStats {
  /** Requests received (well-formed or not). */
  received: number;
  /** Replies sent. */
  replied: number;
  /** Requests that got no reply, for any reason. */
  dropped: number;
  /** Requests without an empty delimiter or body. */
  malformed: number;
  /** Requests dropped because the queue was full. */
  overload: number;
  /** Handlers that threw, rejected or returned no frames. */
  handlerErrors: number;
  /** Handlers that ran past `handlerTimeout`. */
  handlerTimeouts: number;
  /** Handler results that arrived after their request was dropped (ignored). */
  lateResults: number;
  /** Injected faults, all kinds. */
  faults: number;
  /** Requests being handled (or delayed) right now. */
  inFlight: number;
  /** Requests waiting for a handler slot right now. */
  queued: number;
}

interface Job {
  readonly request: number;
  readonly envelope: Buffer[];
  readonly body: Buffer[];
  readonly faults: FaultDecision;
  readonly controller: AbortController;
  state: "queued" | "handling" | "delaying" | "done";
  timer: TimerHandle | undefined;
}

/**
 * A REP-equivalent server with an async handler, for Lazy Pirate clients and
 * plain REQ clients alike. It binds a ROUTER, splits each request's envelope
 * at the empty delimiter, hands the body to the handler and sends the reply
 * back with the same envelope: byte for byte what a REP socket sends, so
 * any REQ peer works. Unlike a REP socket it handles up to `concurrency`
 * requests at once, and a handler that throws or hangs never wedges it:
 *
 * - a handler that throws or rejects: no reply (event `handler-error`); the
 *   client sees a timeout and retries (and gives up if it keeps failing);
 * - a handler that hangs: after `handlerTimeout` ms the request is dropped
 *   (event `handler-timeout`, the handler's `signal` aborts) and its slot is
 *   freed; the client has retried on its own timeout meanwhile; a result
 *   that comes later is ignored.
 *
 * ```ts
 * const server = new LazyPirateServer({ endpoint: "tcp://*:5555", handler: (frames) => frames });
 * await server.start();
 * ```
 */
export class LazyPirateServer extends TypedEmitter<LazyPirateServerEvents> {
  private readonly handler: LazyPirateHandler;
  private readonly bindTo: string;
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private readonly handlerTimeout: number;
  private readonly faults: FaultPlan;
  private readonly curve: CurveServerOptions | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly queue = new Fifo<Job>();
  private readonly running = new Set<Job>();
  private readonly sending = new Set<Promise<void>>();
  private channel: Channel<zmq.Router> | undefined;
  private boundEndpoint: string | undefined;
  private listenEndpoint: string | undefined;
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private isClosed = false;
  private hasCrashed = false;
  private sequence = 0;
  private readonly counters = {
    received: 0,
    replied: 0,
    dropped: 0,
    malformed: 0,
    overload: 0,
    handlerErrors: 0,
    handlerTimeouts: 0,
    lateResults: 0,
    faults: 0,
  };

  /**
   * @param options - see {@link LazyPirateServerOptions}.
   * @throws `InvalidOptionError` for an option out of range or a bad CURVE key.
   */
  constructor(options: LazyPirateServerOptions) {
    super();
    if (typeof options.handler !== "function") throw new InvalidOptionError("handler must be a function");
    this.handler = options.handler;
    this.bindTo = options.endpoint ?? LAZY_PIRATE_SERVER_DEFAULTS.endpoint;
    this.concurrency = checkInteger("concurrency", options.concurrency ?? LAZY_PIRATE_SERVER_DEFAULTS.concurrency, 1);
    this.maxQueued = checkInteger("maxQueued", options.maxQueued ?? LAZY_PIRATE_SERVER_DEFAULTS.maxQueued, 0);
    this.handlerTimeout = checkNumber("handlerTimeout", options.handlerTimeout ?? LAZY_PIRATE_SERVER_DEFAULTS.handlerTimeout);
    this.faults = new FaultPlan(options.faults);
    this.curve = options.curve;
    curveSocketOptions(this.curve); // throws on a bad key now
    this.clock = options.clock ?? systemClock;
    this.log = taggedLogger(options.logger, "lazy-pirate server");
  }

  /** The endpoint clients connect to (wildcards resolved), once {@link LazyPirateServer.start} resolved. */
  get endpoint(): string | undefined {
    return this.boundEndpoint;
  }

  /** Whether {@link LazyPirateServer.close} was called (or a crash was injected). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether an injected crash closed the server. */
  get crashed(): boolean {
    return this.hasCrashed;
  }

  /** The seed of the fault generator, for replaying a run. */
  get faultSeed(): number {
    return this.faults.seed;
  }

  /** A snapshot of the counters. */
  stats(): LazyPirateServerStats {
    return { ...this.counters, inFlight: this.running.size, queued: this.queue.length };
  }

  /**
   * Binds the endpoint and starts serving. Resolves once bound; the real
   * endpoint is then in {@link LazyPirateServer.endpoint}. Calling it again
   * returns the same promise.
   *
   * @throws `SocketError` when the endpoint cannot be bound (e.g. `EADDRINUSE`);
   *   `ClosedError` after close.
   */
  start(): Promise<void> {
    if (this.isClosed) return Promise.reject(new ClosedError("LazyPirateServer is closed"));
    this.startPromise ??= this.bind();
    return this.startPromise;
  }

  private async bind(): Promise<void> {
    const channel = new Channel(createSocket("router", { curve: this.curve }), {
      name: "lazy-pirate server",
      onError: (error) => this.onChannelError(error),
    });
    this.channel = channel;
    try {
      this.boundEndpoint = await bindEphemeral(channel.socket, this.bindTo);
      this.listenEndpoint = channel.socket.lastEndpoint ?? undefined;
    } catch (err) {
      await channel.close();
      this.channel = undefined;
      if (this.isClosed) throw new ClosedError("LazyPirateServer is closed");
      throw new SocketError(`Cannot bind ${this.bindTo}: ${(err as Error).message}`, (err as { code?: string }).code, { cause: err });
    }
    if (this.isClosed) {
      await channel.close();
      throw new ClosedError("LazyPirateServer is closed");
    }
    channel.listen((message) => this.onMessage(message));
    this.log.info?.(`listening on ${this.boundEndpoint}`);
  }

  /**
   * Stops serving: requests queued or being handled get no reply (their
   * handlers' signals abort; results that come later are ignored); replies
   * already computed are handed to zeromq first; then the socket closes
   * (linger 0) and every timer is cancelled. Resolves once the port is free
   * again, so a new server can bind the same endpoint at once. Idempotent.
   */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.closePromise = this.shutdown("closed");
    return this.closePromise;
  }

  private async shutdown(reason: "closed" | "crash"): Promise<void> {
    this.isClosed = true;
    for (let job = this.queue.shift(); job; job = this.queue.shift()) this.drop(job, reason);
    for (const job of [...this.running]) {
      job.controller.abort(new ClosedError("LazyPirateServer is closed"));
      this.drop(job, reason);
    }
    await this.startPromise?.catch(() => {});
    await Promise.all([...this.sending]); // replies already computed reach zeromq before the socket closes
    // Resolve only once the port is free, so a server started on the same endpoint right after can bind it.
    const channel = this.channel;
    if (channel) await closeReleasing(channel.socket, this.listenEndpoint, () => channel.close());
  }

  private onChannelError(error: ZmqReliableError): void {
    this.log.error?.(error.message);
    this.emit("error", error);
  }

  private onMessage(message: Buffer[]): void {
    if (this.isClosed) return;
    this.counters.received++;
    const split = splitEnvelope(message);
    if (!split || split.body.length === 0) {
      this.counters.malformed++;
      this.counters.dropped++;
      this.log.warn?.("malformed request (no empty delimiter or no body) dropped");
      if (this.hasListeners("drop")) this.emit("drop", { reason: "malformed", request: undefined });
      return;
    }
    const request = ++this.sequence;
    const faults = this.faults.decide(request);
    const job: Job = {
      request,
      envelope: split.envelope,
      body: split.body,
      faults,
      controller: new AbortController(),
      state: "queued",
      timer: undefined,
    };
    if (faults.crash) return this.crash(job);
    if (this.running.size < this.concurrency) return this.run(job);
    if (this.queue.length < this.maxQueued) {
      this.queue.push(job);
      return;
    }
    this.counters.overload++;
    this.log.warn?.(`request ${request}: ${this.maxQueued} requests already waiting, dropped`);
    this.drop(job, "overload");
  }

  private crash(job: Job): void {
    this.counters.faults++;
    this.hasCrashed = true;
    this.log.warn?.(`request ${job.request}: injected crash`);
    this.emit("fault", { kind: "crash", request: job.request });
    if (this.closePromise) return;
    this.drop(job, "crash");
    this.closePromise = this.shutdown("crash");
  }

  private run(job: Job): void {
    job.state = "handling";
    this.running.add(job);
    if (this.handlerTimeout > 0) job.timer = this.clock.setTimeout(() => this.onHandlerTimeout(job), this.handlerTimeout);
    const context: HandlerContext = { request: job.request, signal: job.controller.signal };
    Promise.resolve()
      .then(() => this.handler(job.body, context))
      .then(
        (result) => this.onResult(job, result),
        (error: unknown) => this.onHandlerError(job, error),
      );
  }

  private onResult(job: Job, result: unknown): void {
    if (job.state !== "handling") {
      this.counters.lateResults++;
      return;
    }
    let frames: Buffer[];
    try {
      frames = encodeReply(result);
    } catch (error) {
      return this.onHandlerError(job, error);
    }
    this.clock.clearTimeout(job.timer);
    job.timer = undefined;
    if (job.faults.dropReply) {
      this.injected(job, "drop-reply");
      return this.drop(job, "fault");
    }
    if (job.faults.delay > 0) {
      job.state = "delaying";
      this.injected(job, "delay", job.faults.delay);
      job.timer = this.clock.setTimeout(() => this.reply(job, frames), job.faults.delay);
      return;
    }
    this.reply(job, frames);
  }

  private reply(job: Job, frames: Buffer[]): void {
    if (job.state === "done") return;
    this.end(job);
    this.counters.replied++;
    // A ROUTER without `mandatory` never blocks a send (it drops for absent peers), so these settle at once.
    const sending = this.channel!.send([...job.envelope, EMPTY, ...frames]).catch((error: Error) => {
      this.log.warn?.(`request ${job.request}: reply not sent: ${error.message}`);
    });
    this.sending.add(sending);
    void sending.finally(() => this.sending.delete(sending));
  }

  private onHandlerError(job: Job, error: unknown): void {
    if (job.state !== "handling") {
      this.counters.lateResults++;
      return;
    }
    this.counters.handlerErrors++;
    this.log.warn?.(`request ${job.request}: handler failed: ${(error as Error)?.message ?? String(error)}`);
    this.emit("handler-error", { request: job.request, error, message: job.body });
    this.drop(job, "handler-error");
  }

  private onHandlerTimeout(job: Job): void {
    if (job.state !== "handling") return;
    job.timer = undefined;
    this.counters.handlerTimeouts++;
    this.log.warn?.(`request ${job.request}: handler still running after ${this.handlerTimeout} ms, dropped`);
    job.controller.abort(new TimeoutError(`Handler took longer than ${this.handlerTimeout} ms`));
    if (this.hasListeners("handler-timeout")) {
      this.emit("handler-timeout", { request: job.request, timeout: this.handlerTimeout, message: job.body });
    }
    this.drop(job, "handler-timeout");
  }

  private injected(job: Job, kind: "drop-reply" | "delay", delay?: number): void {
    this.counters.faults++;
    this.log.debug?.(`request ${job.request}: injected ${kind}`);
    if (this.hasListeners("fault")) this.emit("fault", kind === "delay" ? { kind, request: job.request, delay } : { kind, request: job.request });
  }

  private drop(job: Job, reason: ServerDropReason): void {
    if (job.state === "done") return;
    this.end(job);
    this.counters.dropped++;
    if (this.hasListeners("drop")) this.emit("drop", { reason, request: job.request });
  }

  /** Marks the job done, frees its slot and starts the next queued request. */
  private end(job: Job): void {
    const wasRunning = job.state !== "queued";
    job.state = "done";
    if (job.timer !== undefined) this.clock.clearTimeout(job.timer);
    job.timer = undefined;
    if (!wasRunning) return;
    this.running.delete(job);
    if (this.isClosed) return;
    const next = this.queue.shift();
    if (next) this.run(next);
  }
}
