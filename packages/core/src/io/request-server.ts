/**
 * {@link RequestServer}: the one REP-equivalent server over a ROUTER that the
 * Lazy Pirate and Binary Star servers are built on. Its scheduling rules are
 * the pure {@link RequestSlots} machine, run by a {@link Driver}.
 *
 * @module
 */
import type * as zmq from "zeromq";
import { RequestSlots, type SlotAction, type SlotInput } from "../machines/request-slots.js";
import { type AdmissionHook, ALWAYS_ADMIT } from "../pure/admission.js";
import type { Clock, TimerHandle } from "../pure/clock.js";
import { ClosedError, checkNumber, InvalidOptionError, NotStartedError, TimeoutError, type ZmqReliableError } from "../pure/errors.js";
import { TypedEmitter } from "./events.js";
import { systemClock } from "./system-clock.js";
import { type Frame, joinEnvelope, replyFrames, splitEnvelope } from "../pure/frames.js";
import { type Logger, taggedLogger } from "../pure/logger.js";
import { type CurveServerOptions, curveSocketOptions } from "../security/curve.js";
import { Channel } from "./channel.js";
import { Driver } from "./driver.js";
import { type BoundEndpoint, bindEndpoint } from "./endpoints.js";
import { type CloseOptions, Lifecycle } from "./lifecycle.js";
import {
  REQUEST_SERVER_DEFAULTS,
  type RequestDropReason,
  type RequestHandler,
  type RequestHooks,
  type RequestServerEvents,
  type RequestServerOptions,
  type RequestServerStats,
} from "./request-server-types.js";
import { createSocket, ephemeralEndpoint, type Transport } from "./socket.js";

/** How long `close()` lets replies already handed over reach zeromq, and waits for the port to be free (ms). */
const FLUSH_MS = 500;
const RELEASE_MS = 1000;

interface Job {
  readonly request: number;
  readonly envelope: Buffer[];
  readonly body: Buffer[];
  readonly controller: AbortController;
  state: "queued" | "handling" | "delaying" | "done";
  timer: TimerHandle | undefined;
}

function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new InvalidOptionError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

/**
 * A REP-equivalent server with an async handler, for any REQ client. It binds
 * a ROUTER, splits each request at the empty delimiter (`[id…, ∅, body…]`),
 * asks the admission hook, hands the body to the handler and sends the reply
 * back behind the same envelope: byte for byte what a REP socket sends.
 * Unlike a REP socket it handles up to `concurrency` requests at once (more
 * wait, up to `maxQueued`; past that they are dropped), and a handler that
 * throws or hangs never wedges it: a failed handler sends no reply, a hung one
 * is dropped after `handlerTimeout` with its `signal` aborted. Every request
 * that gets no reply is reported by one `drop` event with its reason.
 *
 * ```ts
 * const server = new RequestServer({ bind: "tcp://*:5555", handler: (body) => body });
 * await server.start();
 * await server.close({ timeout: 1000 }); // answer what is in progress, for at most a second
 * ```
 */
export class RequestServer<R extends string = never> extends TypedEmitter<RequestServerEvents<R>> {
  private readonly handler: RequestHandler;
  private readonly bindTo: string;
  private readonly handlerTimeout: number;
  private readonly admission: AdmissionHook;
  private readonly hooks: RequestHooks<R>;
  private readonly curve: CurveServerOptions | undefined;
  private readonly name: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly life: Lifecycle;
  private readonly slots: RequestSlots;
  private readonly driver: Driver<SlotInput, SlotAction>;
  private readonly jobs = new Map<number, Job>();
  private channel: Channel<zmq.Router> | undefined;
  private bound: BoundEndpoint | undefined;
  private closing = false;
  private sequence = 0;
  private idle: (() => void) | undefined;
  private readonly counters = { requests: 0, replies: 0, dropped: 0, malformed: 0, rejected: 0, overload: 0, handlerErrors: 0, handlerTimeouts: 0, lateResults: 0 };

  /**
   * @param options - see {@link RequestServerOptions}.
   * @throws `InvalidOptionError` for an option out of range or a bad CURVE key.
   */
  constructor(options: RequestServerOptions<R>) {
    super();
    if (typeof options.handler !== "function") throw new InvalidOptionError("handler must be a function");
    this.handler = options.handler;
    this.bindTo = options.bind ?? REQUEST_SERVER_DEFAULTS.bind;
    if (typeof this.bindTo !== "string" || !this.bindTo) throw new InvalidOptionError("bind must be an endpoint");
    const concurrency = checkInteger("concurrency", options.concurrency ?? REQUEST_SERVER_DEFAULTS.concurrency, 1);
    const maxQueued = checkInteger("maxQueued", options.maxQueued ?? REQUEST_SERVER_DEFAULTS.maxQueued, 0);
    this.handlerTimeout = checkNumber("handlerTimeout", options.handlerTimeout ?? REQUEST_SERVER_DEFAULTS.handlerTimeout);
    this.admission = options.admission ?? ALWAYS_ADMIT;
    this.hooks = options.hooks ?? {};
    this.curve = options.curve;
    curveSocketOptions(this.curve); // throws on a bad key now
    this.name = options.name ?? "request server";
    this.clock = options.clock ?? systemClock;
    this.log = taggedLogger(options.logger, this.name);
    this.life = new Lifecycle(this.name, this.clock);
    this.slots = new RequestSlots({ concurrency, maxQueued, handlerTimeout: this.handlerTimeout });
    this.driver = new Driver(this.slots, { clock: this.clock, perform: (a) => this.perform(a), onError: (e) => this.onError(e) });
  }

  /**
   * The endpoint clients connect to (wildcards resolved, e.g. `tcp://127.0.0.1:5555` for `tcp://*:5555`).
   *
   * @throws `NotStartedError` before {@link RequestServer.start} resolved.
   */
  get endpoint(): string {
    if (!this.bound) throw new NotStartedError(`${this.name}: endpoint is known after start()`);
    return this.bound.endpoint;
  }

  /** The endpoint as bound (`tcp://0.0.0.0:5555` for `tcp://*:5555`): what a CLI prints. Throws `NotStartedError` before `start()`. */
  get boundEndpoint(): string {
    if (!this.bound) throw new NotStartedError(`${this.name}: boundEndpoint is known after start()`);
    return this.bound.bound;
  }

  /** Whether {@link RequestServer.close} was called. */
  get closed(): boolean {
    return this.life.closed;
  }

  /** A snapshot of the counters. */
  stats(): RequestServerStats {
    return { ...this.counters, inFlight: this.slots.inFlight, queued: this.slots.queued };
  }

  /**
   * Binds and starts serving. Idempotent; after a failure it can be called again.
   *
   * @throws `SocketError` naming the endpoint when it cannot be bound (e.g. `EADDRINUSE`);
   *   `ClosedError` after close.
   */
  start(): Promise<void> {
    return this.life.start(
      async () => {
        const channel = new Channel(createSocket("router", { curve: this.curve }), { name: this.name, onError: (e) => this.onError(e) });
        this.channel = channel;
        const address = this.bindTo.includes("://") ? this.bindTo : ephemeralEndpoint(this.bindTo as Transport);
        this.bound = await bindEndpoint(channel.socket, address, this.name);
        channel.listen((message) => this.onMessage(message));
        this.log.info?.(`listening on ${this.bound.endpoint}`);
      },
      async () => {
        await this.channel?.close();
        this.channel = undefined;
        this.bound = undefined;
      },
    );
  }

  /**
   * Stops taking requests (those arriving are dropped, reason `"closed"`),
   * lets the requests running or queued be answered for at most `timeout` ms
   * (default 0), then drops what is left (their handlers' signals abort with
   * `ClosedError`; results that come later are ignored), hands the replies
   * already computed to zeromq and closes the socket. Resolves once the port
   * is free again, so a new server can bind it at once. Idempotent.
   *
   * @param options - `timeout`: the longest drain in ms.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.driver.feed({ type: "drain" });
    }
    return this.life.close({ drain: () => this.whenIdle(), teardown: () => this.teardown() }, options.timeout ?? 0);
  }

  private whenIdle(): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.idle = resolve));
  }

  private async teardown(): Promise<void> {
    this.driver.feed({ type: "close" });
    this.driver.close();
    const channel = this.channel;
    if (channel) await channel.close({ flush: FLUSH_MS, release: RELEASE_MS });
  }

  private onError(error: ZmqReliableError): void {
    this.log.error?.(error.message);
    this.emit("error", error);
  }

  private onMessage(message: Buffer[]): void {
    this.counters.requests++;
    const split = splitEnvelope(message);
    if (!split || split.envelope.length === 0 || split.body.length === 0) {
      this.counters.malformed++;
      this.log.warn?.("malformed request (no empty delimiter or no body) dropped");
      return this.dropped("malformed", undefined);
    }
    const request = ++this.sequence;
    if (this.closing) return this.dropped("closed", request);
    if (!this.admission.admit({})) {
      this.counters.rejected++;
      this.log.debug?.(`request ${request}: not admitted, dropped`);
      return this.dropped("rejected", request);
    }
    const hooked = this.hooks.arrive?.(request);
    if (hooked !== undefined) return this.dropped(hooked, request);
    const job: Job = { request, envelope: split.envelope, body: split.body, controller: new AbortController(), state: "queued", timer: undefined };
    this.jobs.set(request, job);
    this.driver.feed({ type: "arrive", request });
  }

  private perform(action: SlotAction): void {
    const job = this.jobs.get(action.request);
    if (!job) return;
    if (action.type === "run") return this.run(job);
    // The machine freed the slot already.
    if (action.reason === "handler-timeout") {
      this.counters.handlerTimeouts++;
      this.log.warn?.(`request ${job.request}: handler still running after ${this.handlerTimeout} ms, dropped`);
      job.controller.abort(new TimeoutError(`Handler took longer than ${this.handlerTimeout} ms`));
      if (this.hasListeners("handler-timeout")) this.emit("handler-timeout", { request: job.request, timeout: this.handlerTimeout, message: job.body });
    } else if (action.reason === "closed") {
      job.controller.abort(new ClosedError(`${this.name} is closed`));
    } else {
      this.counters.overload++;
      this.log.warn?.(`request ${job.request}: too many requests waiting, dropped`);
    }
    this.end(job);
    this.dropped(action.reason, job.request);
  }

  private run(job: Job): void {
    job.state = "handling";
    const context = { request: job.request, signal: job.controller.signal };
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
    let frames: Frame[];
    try {
      frames = replyFrames(result);
    } catch (error) {
      return this.onHandlerError(job, error);
    }
    this.driver.feed({ type: "result", request: job.request });
    const decision = this.hooks.reply?.(job.request);
    if (decision && "drop" in decision) return this.finish(job, decision.drop);
    if (decision && decision.delay > 0) {
      job.state = "delaying";
      job.timer = this.clock.setTimeout(() => this.reply(job, frames), decision.delay);
      return;
    }
    this.reply(job, frames);
  }

  private reply(job: Job, frames: Frame[]): void {
    if (job.state === "done") return;
    const channel = this.channel;
    if (!channel || channel.closed) return this.finish(job, "closed");
    this.counters.replies++;
    // A ROUTER without `mandatory` never blocks a send (it drops for absent peers), so this settles at once.
    channel.send(joinEnvelope(job.envelope, frames)).catch((error: Error) => this.log.warn?.(`request ${job.request}: reply not sent: ${error.message}`));
    this.finish(job);
  }

  private onHandlerError(job: Job, error: unknown): void {
    if (job.state !== "handling") {
      this.counters.lateResults++;
      return;
    }
    this.counters.handlerErrors++;
    this.log.warn?.(`request ${job.request}: handler failed: ${(error as Error)?.message ?? String(error)}`);
    this.emit("handler-error", { request: job.request, error, message: job.body });
    this.finish(job, "handler-error", error);
  }

  /** Ends a job the server decided about (answered, or dropped for `reason`) and frees its slot. */
  private finish(job: Job, reason?: RequestDropReason | R, error?: unknown): void {
    this.end(job);
    if (reason !== undefined) this.dropped(reason, job.request, error);
    this.driver.feed({ type: "finish", request: job.request });
  }

  private end(job: Job): void {
    job.state = "done";
    if (job.timer !== undefined) this.clock.clearTimeout(job.timer);
    job.timer = undefined;
    this.jobs.delete(job.request);
    if (this.jobs.size === 0) this.idle?.();
  }

  private dropped(reason: RequestDropReason | R, request: number | undefined, error?: unknown): void {
    this.counters.dropped++;
    if (!this.hasListeners("drop")) return;
    this.emit("drop", error === undefined ? { reason, request } : { reason, request, error });
  }
}
