/**
 * {@link RequestServer}: the one REP-equivalent server over a ROUTER that the
 * Lazy Pirate and Binary Star servers are built on. This file is the role's
 * lifecycle (bind, admission, drain, close); its scheduling rules are the
 * pure {@link RequestSlots} machine, run by a {@link Driver}, and running
 * handlers and sending replies is `RequestJobs` (`request-jobs.ts`).
 *
 * @module
 */
import type * as zmq from "zeromq";
import { RequestSlots, type SlotAction, type SlotInput } from "../machines/request-slots.js";
import { type AdmissionHook, ALWAYS_ADMIT } from "../pure/admission.js";
import type { Clock } from "../pure/clock.js";
import { checkNumber, InvalidOptionError, NotStartedError, type ZmqReliableError } from "../pure/errors.js";
import { TypedEmitter } from "./events.js";
import { systemClock } from "./system-clock.js";
import { heldBytes, splitEnvelope } from "../pure/frames.js";
import { type Logger, taggedLogger } from "../pure/logger.js";
import { type CurveServerOptions, curveSocketOptions } from "../security/curve.js";
import { Channel } from "./channel.js";
import { Driver } from "./driver.js";
import { DropLog } from "./drop-log.js";
import { type BoundEndpoint, bindEndpoint } from "./endpoints.js";
import { type CloseOptions, Lifecycle } from "./lifecycle.js";
import {
  REQUEST_SERVER_DEFAULTS,
  type RequestHooks,
  type RequestServerEvents,
  type RequestServerOptions,
  type RequestServerStats,
} from "./request-server-types.js";
import { RequestJobs } from "./request-jobs.js";
import { createSocket, ephemeralEndpoint, type Transport } from "./socket.js";

/** How long `close()` lets replies already handed over reach zeromq, and waits for the port to be free (ms). */
const FLUSH_MS = 500;
const RELEASE_MS = 1000;

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
  private readonly bindTo: string;
  private readonly admission: AdmissionHook;
  private readonly hooks: RequestHooks<R>;
  private readonly curve: CurveServerOptions | undefined;
  private readonly name: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly drops: DropLog;
  private readonly life: Lifecycle;
  private readonly slots: RequestSlots;
  private readonly driver: Driver<SlotInput, SlotAction>;
  private readonly jobs: RequestJobs<R>;
  private readonly hwm: { readonly receiveHighWaterMark: number; readonly sendHighWaterMark: number };
  private channel: Channel<zmq.Router> | undefined;
  private bound: BoundEndpoint | undefined;
  private closing = false;
  private sequence = 0;

  /**
   * @param options - see {@link RequestServerOptions}.
   * @throws `InvalidOptionError` for an option out of range or a bad CURVE key.
   */
  constructor(options: RequestServerOptions<R>) {
    super();
    if (typeof options.handler !== "function") throw new InvalidOptionError("handler must be a function");
    this.bindTo = options.bind ?? REQUEST_SERVER_DEFAULTS.bind;
    if (typeof this.bindTo !== "string" || !this.bindTo) throw new InvalidOptionError("bind must be an endpoint");
    const D = REQUEST_SERVER_DEFAULTS;
    const handlerTimeout = checkNumber("handlerTimeout", options.handlerTimeout ?? D.handlerTimeout);
    const limits = {
      concurrency: checkInteger("concurrency", options.concurrency ?? D.concurrency, 1),
      maxQueued: checkInteger("maxQueued", options.maxQueued ?? D.maxQueued, 0),
      maxQueuedBytes: checkInteger("maxQueuedBytes", options.maxQueuedBytes ?? D.maxQueuedBytes, 0),
      maxRequestBytes: checkInteger("maxRequestBytes", options.maxRequestBytes ?? D.maxRequestBytes, 1),
      maxAbandoned: checkInteger("maxAbandoned", options.maxAbandoned ?? D.maxAbandoned, 0),
    };
    this.hwm = {
      receiveHighWaterMark: checkInteger("receiveHighWaterMark", options.receiveHighWaterMark ?? D.receiveHighWaterMark, 1),
      sendHighWaterMark: checkInteger("sendHighWaterMark", options.sendHighWaterMark ?? D.sendHighWaterMark, 1),
    };
    this.admission = options.admission ?? ALWAYS_ADMIT;
    this.hooks = options.hooks ?? {};
    this.curve = options.curve;
    curveSocketOptions(this.curve); // throws on a bad key now
    this.name = options.name ?? "request server";
    this.clock = options.clock ?? systemClock;
    this.log = taggedLogger(options.logger, this.name);
    this.drops = new DropLog(this.log);
    this.life = new Lifecycle(this.name, this.clock);
    this.slots = new RequestSlots({ ...limits, handlerTimeout });
    this.jobs = new RequestJobs<R>({
      name: this.name,
      handler: options.handler,
      handlerTimeout,
      hooks: this.hooks,
      clock: this.clock,
      log: this.log,
      drops: this.drops,
      emit: (event, ...args) => this.emit(event, ...args),
      listens: (event) => this.hasListeners(event),
      feed: (input) => this.driver.feed(input),
      channel: () => this.channel,
    });
    this.driver = new Driver(this.slots, { clock: this.clock, perform: (a) => this.jobs.perform(a), onError: (e) => this.onError(e) });
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
    const s = this.slots;
    const c = this.jobs.counters;
    return { ...c, drops: { ...c.drops }, inFlight: s.inFlight, queued: s.queued, inFlightBytes: s.inFlightBytes, queuedBytes: s.queuedBytes, abandoned: s.abandoned, abandonedBytes: s.abandonedBytes, heldBytes: s.heldBytes, latency: this.jobs.latency.summary(this.clock.now()) };
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
        // mandatory (with core's send timeout 0): a reply to a full or gone client fails at once and is counted, never queued
        const socket = createSocket("router", { curve: this.curve, mandatory: true, ...this.hwm });
        const channel = new Channel(socket, { name: this.name, onError: (e) => this.onError(e) });
        this.channel = channel;
        const address = this.bindTo.includes("://") ? this.bindTo : ephemeralEndpoint(this.bindTo as Transport);
        this.bound = await bindEndpoint(channel.socket, address, this.name);
        channel.listen((message) => this.onMessage(message));
        this.log.info?.({ endpoint: this.bound.endpoint }, `listening on ${this.bound.endpoint}`);
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
    return this.life.close({ drain: () => this.jobs.whenIdle(), teardown: () => this.teardown() }, options.timeout ?? 0);
  }

  private async teardown(): Promise<void> {
    this.driver.feed({ type: "close" });
    this.driver.close();
    this.drops.flush();
    const channel = this.channel;
    if (channel) await channel.close({ flush: FLUSH_MS, release: RELEASE_MS });
  }

  private onError(error: ZmqReliableError): void {
    this.log.error?.({ reason: error.code, endpoint: this.bound?.endpoint }, error.message);
    this.emit("error", error);
  }

  private onMessage(message: Buffer[]): void {
    const counters = this.jobs.counters;
    counters.requests++;
    const split = splitEnvelope(message);
    if (!split || split.envelope.length === 0 || split.body.length === 0) {
      counters.malformed++;
      this.drops.warn("malformed", "malformed request (no empty delimiter or no body) dropped", { reason: "malformed", peer: message[0]?.toString("hex") });
      return this.jobs.dropped("malformed", undefined);
    }
    const request = ++this.sequence;
    if (this.closing) return this.jobs.dropped("closed", request);
    const peer = split.envelope[0]?.toString("hex");
    const bytes = heldBytes(message); // payload plus FRAME_OVERHEAD_BYTES per frame
    if (this.slots.refuse(bytes)) {
      this.drops.warn("too-large", () => `request ${request}: ${bytes} bytes, larger than the largest request taken, dropped`, { reason: "too-large", peer, request });
      return this.jobs.dropped("too-large", request);
    }
    if (!this.admission.admit({})) {
      counters.rejected++;
      this.log.debug?.({ reason: "rejected", peer, request }, `request ${request}: not admitted, dropped`);
      return this.jobs.dropped("rejected", request);
    }
    const hooked = this.hooks.arrive?.(request);
    if (hooked !== undefined) return this.jobs.dropped(hooked, request);
    this.jobs.add(request, split.envelope, split.body);
    this.driver.feed({ type: "arrive", request, bytes });
  }
}
