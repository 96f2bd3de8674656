/**
 * The Majordomo worker role (MDP/Worker 0.1): registers a service with a
 * broker over a DEALER, answers requests with an async handler, heartbeats,
 * and reconnects with back-off.
 *
 * @module
 */
import type { Clock, CurveClientOptions, Frame, Logger, ZmqReliableError } from "@zmq-reliable/core";
import {
  Backoff,
  Channel,
  ClosedError,
  EMPTY,
  Fifo,
  Heartbeat,
  InvalidOptionError,
  ProtocolError,
  Timer,
  TypedEmitter,
  checkNumber,
  createSocket,
  describeFrame,
  systemClock,
  taggedLogger,
} from "@zmq-reliable/core";
import type * as zmq from "zeromq";
import { MAJORDOMO_DEFAULTS } from "./defaults.js";
import type { MalformedReason } from "./protocol.js";
import { MdpProtocolError, decode, encodeDisconnect, encodeHeartbeat, encodeReady, encodeWorkerReply, isMmiService } from "./protocol.js";

/** How long (ms) a closing worker's socket may linger so its DISCONNECT goes out. */
const CLOSE_LINGER = 200;

/** What a handler gets besides the request body. */
export interface MajordomoRequestContext {
  /** The service this worker serves. */
  service: string;
  /** The client's address frame, as the broker gave it. */
  client: Buffer;
  /** The broker endpoint the request came through. */
  endpoint: string;
  /**
   * Aborts when {@link MajordomoWorker.close} stops waiting for the handler
   * (its `timeout` passed). One signal per worker, not per request.
   */
  signal: AbortSignal;
}

/**
 * Answers one request. Return (or resolve with) one frame or several; an
 * empty array is sent as one empty frame (MDP needs at least one body
 * frame). Throwing (or rejecting) means the request could not be served:
 * the worker tells the broker DISCONNECT and registers again on a fresh
 * socket, so the broker hands the request to another worker (bounded by the
 * broker's `maxAttempts`).
 */
export type MajordomoHandler = (
  body: Buffer[],
  context: MajordomoRequestContext,
) => Frame | readonly Frame[] | PromiseLike<Frame | readonly Frame[]>;

/** Options of {@link MajordomoWorker}. */
export interface MajordomoWorkerOptions {
  /**
   * The broker, or several. With `brokers: "failover"` (the default) the
   * worker talks to one at a time and moves to the next endpoint each time it
   * reconnects; with `brokers: "all"` it registers with every one at once.
   */
  endpoint: string | readonly string[];
  /** The service name to register (not `mmi.*`, which brokers refuse). */
  service: string;
  /** Answers requests; see {@link MajordomoHandler}. */
  handler: MajordomoHandler;
  /** Milliseconds between heartbeats to the broker. Default 2500. */
  heartbeatInterval?: number;
  /** Silent intervals after which the broker is considered dead. Default 3. */
  liveness?: number;
  /** First delay (ms) before reconnecting; doubles on each failure up to `reconnectMax`. Default 2500. */
  reconnect?: number;
  /** Largest reconnect delay in ms. Default 32,000. */
  reconnectMax?: number;
  /**
   * `"failover"` (default): one broker connection at a time, endpoints
   * rotated on each reconnect. `"all"`: one connection per endpoint, each
   * registered, heartbeated and reconnected on its own; requests from all of
   * them are handled one at a time. Use `"all"` with a broker pair where only
   * the active one serves clients (Binary Star), so the worker is registered
   * wherever clients are admitted.
   */
  brokers?: "failover" | "all";
  /** CURVE keys: the broker's public key and this worker's key pair. */
  curve?: CurveClientOptions;
  /** Where to log; nothing is logged without it. */
  logger?: Logger;
  /** Clock for heartbeats and back-off; default the system clock. */
  clock?: Clock;
}

/** Why a worker connection ended. */
export type WorkerDisconnectReason =
  /** The broker sent DISCONNECT. */
  | "broker-disconnect"
  /** Nothing came from the broker for `liveness × heartbeatInterval`. */
  | "broker-silent"
  /** The handler failed; the worker said DISCONNECT so the request goes elsewhere. */
  | "handler-error"
  /** The socket failed. */
  | "socket-error"
  /** {@link MajordomoWorker.close}. */
  | "close";

/** Why a worker dropped a message. */
export type WorkerDropReason =
  /** Not valid MDP/0.1. */
  | "malformed"
  /** A valid command a broker must not send (READY, REPLY, a client message). */
  | "unexpected-command"
  /** A reply finished after its connection was replaced: the broker forgot that request. */
  | "stale-reply"
  /** A queued request whose connection was replaced before it started. */
  | "stale-request"
  /** A request that arrived or waited while the worker was closing. */
  | "closing";

/** Payload of the worker's `connect` event. */
export interface WorkerConnectEvent {
  /** The endpoint connected to (READY sent). */
  endpoint: string;
}

/** Payload of the worker's `disconnect` event. */
export interface WorkerDisconnectEvent {
  /** The endpoint of the connection that ended. */
  endpoint: string;
  /** Why. */
  reason: WorkerDisconnectReason;
  /** Milliseconds until the next attempt (`undefined` when closing). */
  reconnectIn: number | undefined;
}

/** Payload of the worker's `drop` event. */
export interface WorkerDropEvent {
  /** Why. */
  reason: WorkerDropReason;
  /** The endpoint involved. */
  endpoint: string;
  /** More detail (e.g. the malformed reason). */
  detail?: string;
}

/** Payload of the worker's `handler-error` event. */
export interface WorkerHandlerErrorEvent {
  /** What the handler threw or rejected with. */
  error: unknown;
  /** The endpoint the request came through. */
  endpoint: string;
}

/** Events of {@link MajordomoWorker}. */
export type MajordomoWorkerEvents = {
  /** A connection opened and READY was sent. */
  connect: [WorkerConnectEvent];
  /** A connection ended; a new one follows after `reconnectIn` ms unless closing. */
  disconnect: [WorkerDisconnectEvent];
  /** A message was dropped. */
  drop: [WorkerDropEvent];
  /** The handler threw or rejected. */
  "handler-error": [WorkerHandlerErrorEvent];
};

/** Counters of {@link MajordomoWorker}. */
export interface MajordomoWorkerStats {
  /** Requests received. */
  requests: number;
  /** Replies sent. */
  replies: number;
  /** Handler failures. */
  handlerErrors: number;
  /** Heartbeats sent. */
  heartbeatsSent: number;
  /** Heartbeats received. */
  heartbeatsReceived: number;
  /** Connections opened (READY sent), including the first. */
  connects: number;
  /** DISCONNECTs received from brokers. */
  disconnectsReceived: number;
  /** Messages dropped. */
  dropped: number;
}

interface Job {
  session: Session;
  generation: number;
  client: Buffer;
  body: Buffer[];
}

/** One broker conversation (one DEALER at a time) with its heartbeat and back-off. */
class Session {
  private channel: Channel<zmq.Dealer> | undefined;
  /** Bumped on every new socket; jobs and replies of older generations are stale. */
  generation = 0;
  /** Jobs of the current generation not yet answered (in hand or queued). */
  pending = 0;
  private index = 0;
  private readonly heartbeat: Heartbeat;
  private readonly timer: Timer;
  private readonly backoff: Backoff;
  private closed = false;

  constructor(
    private readonly host: WorkerHost,
    private readonly endpoints: readonly string[],
  ) {
    const o = host.options;
    this.heartbeat = new Heartbeat({ interval: o.heartbeatInterval, liveness: o.liveness }, host.clock.now());
    this.backoff = new Backoff({ initial: o.reconnect, max: o.reconnectMax });
    this.timer = new Timer(host.clock, () => this.onTimer());
  }

  get endpoint(): string {
    return this.endpoints[this.index]!;
  }

  get connected(): boolean {
    return this.channel !== undefined;
  }

  connect(): void {
    if (this.closed) return;
    const generation = ++this.generation;
    this.pending = 0;
    const socket = createSocket("dealer", { curve: this.host.options.curve, sendTimeout: 0 });
    const endpoint = this.endpoint;
    socket.connect(endpoint);
    const channel = new Channel(socket, {
      name: `majordomo worker (${endpoint})`,
      onError: (e) => this.onChannelError(generation, e),
    });
    this.channel = channel;
    channel.listen((message) => this.onMessage(generation, message));
    this.post(encodeReady(this.host.serviceFrame));
    this.heartbeat.reset(this.host.clock.now());
    this.arm();
    this.host.counters.connects++;
    this.host.log.info?.(`connected to ${endpoint}, READY for "${this.host.service}"`);
    this.host.emitEvent("connect", { endpoint });
  }

  private post(frames: Frame[]): void {
    const channel = this.channel;
    if (!channel) return;
    if (this.host.log.debug) this.host.log.debug(`send ${frames.map((f) => describeFrame(f)).join(" | ")}`);
    channel.post(frames);
    this.heartbeat.sent(this.host.clock.now());
  }

  private arm(): void {
    // While a request of this connection is in hand, broker silence is not
    // checked: the reference broker never heartbeats busy workers.
    this.timer.at(this.pending > 0 ? this.heartbeat.nextSendAt : this.heartbeat.nextDeadline());
  }

  /** One timer: heartbeats and liveness while connected, the reconnect delay while not. */
  private onTimer(): void {
    if (this.closed) return;
    if (!this.channel) {
      this.connect();
      return;
    }
    const now = this.host.clock.now();
    if (this.pending === 0 && this.heartbeat.isExpired(now)) {
      this.restart("broker-silent", undefined);
      return;
    }
    if (this.heartbeat.shouldSend(now)) {
      this.post(encodeHeartbeat());
      this.host.counters.heartbeatsSent++;
    }
    this.arm();
  }

  private onMessage(generation: number, frames: Buffer[]): void {
    if (generation !== this.generation || this.closed) return;
    const log = this.host.log;
    if (log.debug) log.debug(`recv ${frames.map((f) => describeFrame(f)).join(" | ")}`);
    let msg;
    try {
      msg = decode(frames, 0);
    } catch (err) {
      const reason: MalformedReason | "unknown" = err instanceof MdpProtocolError ? err.reason : "unknown";
      this.host.drop("malformed", this.endpoint, reason);
      return;
    }
    this.heartbeat.received(this.host.clock.now());
    switch (msg.type) {
      case "request":
        this.backoff.reset();
        this.pending++;
        this.host.counters.requests++;
        this.host.enqueue({ session: this, generation, client: msg.client, body: msg.body });
        return;
      case "heartbeat":
        this.backoff.reset();
        this.host.counters.heartbeatsReceived++;
        return;
      case "disconnect":
        this.host.counters.disconnectsReceived++;
        this.restart("broker-disconnect", undefined);
        return;
      default:
        this.host.drop("unexpected-command", this.endpoint, msg.type);
    }
  }

  /** Sends the reply of a job; returns false when the job's connection is gone. */
  reply(job: Job, body: Frame[]): boolean {
    if (job.generation !== this.generation || !this.channel) return false;
    this.post(encodeWorkerReply(job.client, body));
    this.pending--;
    // The broker may have been silent while we were busy (the reference never heartbeats busy workers).
    if (this.pending === 0) this.heartbeat.received(this.host.clock.now());
    this.arm();
    return true;
  }

  /** The handler failed on `job`: say DISCONNECT and register again at once. */
  handlerFailed(job: Job): void {
    if (job.generation !== this.generation || !this.channel) return;
    this.post(encodeDisconnect());
    this.restart("handler-error", 0);
  }

  private onChannelError(generation: number, error: ZmqReliableError): void {
    if (generation !== this.generation || this.closed) return;
    if (error.code === "ERR_BACKPRESSURE") {
      // The broker is not reading (gone?): the heartbeat check will notice.
      this.host.log.debug?.(`send dropped: ${error.message}`);
      return;
    }
    if (error.code === "ERR_CLOSED") return;
    this.host.log.warn?.(`socket error: ${error.message}`);
    this.restart("socket-error", undefined);
  }

  /** Closes the current socket and opens a fresh one after `delay` (default: the next back-off step). */
  private restart(reason: WorkerDisconnectReason, delay: number | undefined): void {
    const old = this.channel;
    const endpoint = this.endpoint;
    this.channel = undefined;
    this.generation++;
    this.pending = 0;
    this.timer.cancel();
    if (old) void old.close();
    const wait = delay ?? this.backoff.next();
    this.index = (this.index + 1) % this.endpoints.length;
    this.host.log.warn?.(`connection to ${endpoint} ended (${reason}); reconnecting to ${this.endpoint} in ${Math.round(wait)} ms`);
    this.host.emitEvent("disconnect", { endpoint, reason, reconnectIn: wait });
    this.timer.after(wait); // onTimer reconnects, since no channel is open
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer.cancel();
    const channel = this.channel;
    this.channel = undefined;
    if (!channel) return;
    const endpoint = this.endpoint;
    try {
      await channel.send(encodeDisconnect());
    } catch {
      // the broker is unreachable (queue full): nothing more to tell it
    }
    try {
      channel.socket.linger = CLOSE_LINGER;
    } catch {
      // already closed
    }
    await channel.close();
    this.host.emitEvent("disconnect", { endpoint, reason: "close", reconnectIn: undefined });
  }
}

/** What sessions need from their worker (kept apart from the public class surface). */
interface WorkerHost {
  readonly options: {
    heartbeatInterval: number;
    liveness: number;
    reconnect: number;
    reconnectMax: number;
    curve: CurveClientOptions | undefined;
  };
  readonly clock: Clock;
  readonly log: Logger;
  readonly service: string;
  readonly serviceFrame: Buffer;
  readonly counters: Omit<MajordomoWorkerStats, never>;
  enqueue(job: Job): void;
  drop(reason: WorkerDropReason, endpoint: string, detail?: string): void;
  emitEvent<K extends keyof MajordomoWorkerEvents & string>(event: K, ...args: MajordomoWorkerEvents[K]): void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}

function isFrame(value: unknown): value is Frame {
  return typeof value === "string" || value instanceof Uint8Array;
}

function replyFrames(result: unknown): Frame[] {
  if (isFrame(result)) return [result];
  if (Array.isArray(result)) {
    if (result.length === 0) return [EMPTY];
    for (const f of result) if (!isFrame(f)) throw new ProtocolError("A reply frame must be a Buffer, Uint8Array or string");
    return result as Frame[];
  }
  throw new ProtocolError(`A handler must return a frame or an array of frames, got ${result === null ? "null" : typeof result}`);
}

/**
 * A Majordomo worker: registers `service` with a broker and answers its
 * requests with `handler`, one at a time.
 *
 * - On start it opens a DEALER, connects and sends READY.
 * - It heartbeats every `heartbeatInterval`, also while the handler runs,
 *   so the broker never mistakes a long request for a dead worker.
 * - When the broker says DISCONNECT, or is silent for `liveness ×
 *   heartbeatInterval` while the worker is idle, it closes the socket and,
 *   after a back-off delay (`reconnect` doubling up to `reconnectMax`, reset
 *   once the broker talks again), opens a fresh one to the next endpoint and
 *   sends READY again. A reply finished after that is dropped: the broker
 *   forgot the request and gives it to another worker.
 * - {@link MajordomoWorker.close} lets the request in hand finish and be
 *   answered, then sends DISCONNECT and closes.
 *
 * ```ts
 * const worker = new MajordomoWorker({
 *   endpoint: "tcp://localhost:5555",
 *   service: "echo",
 *   handler: async (body) => body,
 * });
 * await worker.start();
 * ```
 */
export class MajordomoWorker extends TypedEmitter<MajordomoWorkerEvents> {
  private readonly host: WorkerHost;
  private readonly handler: MajordomoHandler;
  private readonly sessions: Session[];
  private readonly queue = new Fifo<Job>();
  private running: Job | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private started = false;
  private closing: Promise<void> | undefined;
  private readonly counters: MajordomoWorkerStats = {
    requests: 0,
    replies: 0,
    handlerErrors: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    connects: 0,
    disconnectsReceived: 0,
    dropped: 0,
  };

  /** @param options - see {@link MajordomoWorkerOptions}. */
  constructor(options: MajordomoWorkerOptions) {
    super();
    const endpoints = typeof options.endpoint === "string" ? [options.endpoint] : [...(options.endpoint ?? [])];
    if (endpoints.length === 0 || endpoints.some((e) => typeof e !== "string" || e.length === 0)) {
      throw new InvalidOptionError("endpoint: give one broker endpoint or a non-empty list");
    }
    if (typeof options.service !== "string" || options.service.length === 0) throw new InvalidOptionError("service must be a non-empty string");
    if (Buffer.byteLength(options.service) > 255) throw new InvalidOptionError("service must be at most 255 bytes");
    if (isMmiService(options.service)) throw new InvalidOptionError(`service "${options.service}" is in the broker's mmi.* namespace`);
    if (typeof options.handler !== "function") throw new InvalidOptionError("handler must be a function");
    const reconnect = checkNumber("reconnect", options.reconnect ?? MAJORDOMO_DEFAULTS.reconnect, 0);
    const resolved = {
      heartbeatInterval: checkNumber("heartbeatInterval", options.heartbeatInterval ?? MAJORDOMO_DEFAULTS.heartbeatInterval, 1),
      liveness: checkNumber("liveness", options.liveness ?? MAJORDOMO_DEFAULTS.liveness, 1),
      reconnect,
      reconnectMax: checkNumber("reconnectMax", options.reconnectMax ?? Math.max(reconnect, MAJORDOMO_DEFAULTS.reconnectMax), reconnect),
      curve: options.curve,
    };
    this.handler = options.handler;
    const log = taggedLogger(options.logger, `mdp-worker ${options.service}`);
    this.host = {
      options: resolved,
      clock: options.clock ?? systemClock,
      log,
      service: options.service,
      serviceFrame: Buffer.from(options.service, "utf8"),
      counters: this.counters,
      enqueue: (job) => this.enqueue(job),
      drop: (reason, endpoint, detail) => this.drop(reason, endpoint, detail),
      emitEvent: (event, ...args) => {
        this.emit(event, ...args);
      },
    };
    const groups = options.brokers === "all" ? endpoints.map((e) => [e]) : [endpoints];
    this.sessions = groups.map((list) => new Session(this.host, list));
  }

  /** The service this worker serves. */
  get service(): string {
    return this.host.service;
  }

  /** Whether a request is being handled right now. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** The endpoints of the current connections (one in `"failover"` mode). */
  get endpoints(): string[] {
    return this.sessions.map((s) => s.endpoint);
  }

  /** Counters; see {@link MajordomoWorkerStats}. */
  stats(): MajordomoWorkerStats {
    return { ...this.counters };
  }

  /** Connects and sends READY (to every broker in `"all"` mode). Idempotent. */
  async start(): Promise<void> {
    if (this.closing) throw new ClosedError("Majordomo worker is closed");
    if (this.started) return;
    this.started = true;
    for (const s of this.sessions) s.connect();
  }

  /**
   * Stops taking requests, lets the request in hand finish and sends its
   * reply, then sends DISCONNECT to the broker(s) and closes. Requests that
   * arrived but had not started are dropped (the broker re-dispatches them
   * once it sees DISCONNECT). Idempotent.
   *
   * @param options - `timeout`: give up waiting for the handler after this
   *   many ms (its `context.signal` aborts, and its reply, if any, is not sent).
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.timeout);
    return this.closing;
  }

  private async shutdown(timeout: number | undefined): Promise<void> {
    let job;
    while ((job = this.queue.shift()) !== undefined) this.drop("closing", job.session.endpoint);
    if (this.running) {
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (timeout === undefined) {
        await idle;
      } else {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const expired = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeout);
        });
        await Promise.race([idle, expired]);
        clearTimeout(timer);
        if (this.running) this.abort.abort(new ClosedError("Majordomo worker closed before the handler finished"));
      }
    }
    await Promise.all(this.sessions.map((s) => s.close()));
    this.host.log.info?.("closed");
  }

  // --- requests --------------------------------------------------------------

  private enqueue(job: Job): void {
    if (this.closing) {
      this.drop("closing", job.session.endpoint);
      return;
    }
    this.queue.push(job);
    if (this.running === undefined) this.pump();
  }

  private pump(): void {
    let job;
    while (this.running === undefined && this.closing === undefined && (job = this.queue.shift()) !== undefined) {
      if (job.generation !== job.session.generation) {
        this.drop("stale-request", job.session.endpoint);
        continue;
      }
      this.run(job);
    }
  }

  private run(job: Job): void {
    this.running = job;
    const context: MajordomoRequestContext = {
      service: this.host.service,
      client: job.client,
      endpoint: job.session.endpoint,
      signal: this.abort.signal,
    };
    let result;
    try {
      result = this.handler(job.body, context);
    } catch (err) {
      this.failed(job, err);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.done(job, value),
        (err: unknown) => this.failed(job, err),
      );
    } else {
      this.done(job, result);
    }
  }

  private done(job: Job, value: unknown): void {
    if (this.running !== job) return;
    let frames: Frame[];
    try {
      frames = replyFrames(value);
    } catch (err) {
      this.failed(job, err);
      return;
    }
    this.running = undefined;
    if (this.abort.signal.aborted) {
      this.drop("closing", job.session.endpoint, "handler finished after close gave up");
    } else if (job.session.reply(job, frames)) {
      this.counters.replies++;
    } else {
      this.drop("stale-reply", job.session.endpoint);
    }
    this.next();
  }

  private failed(job: Job, error: unknown): void {
    if (this.running !== job) return;
    this.running = undefined;
    this.counters.handlerErrors++;
    this.host.log.warn?.(`handler failed: ${error instanceof Error ? error.message : String(error)}`);
    this.emit("handler-error", { error, endpoint: job.session.endpoint });
    if (!this.abort.signal.aborted) job.session.handlerFailed(job);
    this.next();
  }

  private next(): void {
    if (this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    this.pump();
  }

  private drop(reason: WorkerDropReason, endpoint: string, detail?: string): void {
    this.counters.dropped++;
    this.host.log.warn?.(`drop (${reason})${detail ? ` ${detail}` : ""} from ${endpoint}`);
    const event: WorkerDropEvent = { reason, endpoint };
    if (detail !== undefined) event.detail = detail;
    this.emit("drop", event);
  }
}
