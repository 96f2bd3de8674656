/**
 * The Lazy Pirate client (protocols.md §2): a strict REQ socket per attempt,
 * closed and replaced after each timeout, with failover across endpoints.
 *
 * @module
 */
import type * as zmq from "zeromq";
import {
  AbortError,
  BackpressureError,
  Channel,
  checkNumber,
  ClosedError,
  type Clock,
  createSocket,
  type CurveClientOptions,
  curveSocketOptions,
  Fifo,
  type Frame,
  InvalidOptionError,
  type Logger,
  onAbort,
  ServiceUnavailableError,
  SocketError,
  systemClock,
  taggedLogger,
  type TimerHandle,
  TypedEmitter,
} from "@zmq-reliable/core";
import { type Attempt, AttemptSchedule, EndpointRotation, type FailoverPolicy } from "./attempts.js";
import { checkInteger } from "./options.js";
import { encodeRequest } from "./protocol.js";

/**
 * Defaults of {@link LazyPirateClientOptions}: the reference client's
 * `REQUEST_TIMEOUT 2500` and `REQUEST_RETRIES 3` (three sends in all), one
 * request in flight at a time.
 */
export const LAZY_PIRATE_DEFAULTS = Object.freeze({
  /** Milliseconds each attempt waits for its reply (`REQUEST_TIMEOUT`). */
  timeout: 2500,
  /** Sends in all, the first one included (`REQUEST_RETRIES`). */
  retries: 3,
  /** Requests in flight at once, each on its own REQ socket. */
  concurrency: 1,
  /** Requests that may wait for a free slot before `request()` rejects with `BackpressureError`. */
  maxQueued: 10_000,
  /** Where each request's first attempt goes; see {@link FailoverPolicy}. */
  failover: "sticky" as FailoverPolicy,
});

/** Options of {@link LazyPirateClient}. */
export interface LazyPirateClientOptions {
  /**
   * The server endpoint, e.g. `"tcp://127.0.0.1:5555"`, or several in
   * failover order: each retry moves to the next one (wrapping around).
   */
  endpoint: string | readonly string[];
  /** Milliseconds each attempt waits for its reply, counted from its own send. Default 2500. */
  timeout?: number;
  /**
   * How many times a request is sent in all before the call gives up with
   * `ServiceUnavailableError`, as the reference client counts: 3 means one
   * send and two retries. Default 3.
   */
  retries?: number;
  /**
   * How many requests may be in flight at once, each on its own REQ socket.
   * Default 1: calls from many async callers queue and go out one at a time.
   */
  concurrency?: number;
  /** How many calls may wait for a free slot; past this `request()` rejects with `BackpressureError`. Default 10,000. */
  maxQueued?: number;
  /** Which endpoint each request starts at when there are several. Default `"sticky"`. */
  failover?: FailoverPolicy;
  /**
   * Checks a reply against its request. A reply it rejects is dropped (event
   * `drop` with reason `"malformed"`) and the attempt goes on waiting until its
   * timeout, then retries, like the reference client. Use {@link isEcho} with
   * echo servers. Default: every reply is accepted.
   */
  validate?: (reply: Buffer[], request: Buffer[]) => boolean;
  /** CURVE: the server's public key and this client's key pair. */
  curve?: CurveClientOptions;
  /** Where to log; nothing is logged by default. */
  logger?: Logger;
  /** Clock for the timeouts; default the system clock. */
  clock?: Clock;
}

/** Per-call options of {@link LazyPirateClient.request}. */
export interface RequestOptions {
  /** Overrides the client's per-attempt timeout (ms) for this call. */
  timeout?: number;
  /** Overrides the client's `retries` (sends in all) for this call. */
  retries?: number;
  /** Aborts the call at once with `AbortError`, queued or in flight. */
  signal?: AbortSignal;
}

/** Payload of the client's `retry` event. */
export interface RetryEvent {
  /** The call's number, counting from 1 per client. */
  readonly request: number;
  /** The attempt about to be made: 2 for the first retry. */
  readonly attempt: number;
  /** Sends allowed in all for this call. */
  readonly maxAttempts: number;
  /** The endpoint of the failed attempt. */
  readonly previous: string;
  /** The endpoint of the new attempt. */
  readonly endpoint: string;
  /** Why the previous attempt failed. */
  readonly reason: "timeout" | "send-failed";
}

/** Payload of the client's `reconnect` event. */
export interface ReconnectEvent {
  /** The call's number. */
  readonly request: number;
  /** The attempt the fresh socket carries. */
  readonly attempt: number;
  /** The endpoint the closed socket was connected to. */
  readonly closed: string;
  /** The endpoint the fresh socket connects to. */
  readonly endpoint: string;
}

/** Payload of the client's `failover` event. */
export interface FailoverEvent {
  /** The call's number. */
  readonly request: number;
  /** The attempt that goes to the new endpoint. */
  readonly attempt: number;
  /** The endpoint that did not answer. */
  readonly from: string;
  /** The endpoint tried next. */
  readonly to: string;
}

/** Payload of the client's `give-up` event. */
export interface GiveUpEvent {
  /** The call's number. */
  readonly request: number;
  /** How many sends were made. */
  readonly attempts: number;
  /** The endpoint of each attempt, in order. */
  readonly endpoints: readonly string[];
  /** The error the call rejects with. */
  readonly error: ServiceUnavailableError;
}

/** Payload of the client's `drop` event: a reply that was not returned to any caller. */
export interface ClientDropEvent {
  /**
   * `"malformed"`: `validate` rejected it; `"stale"`: it reached a socket whose
   * attempt was already over. Abandoned sockets are closed at once, so libzmq
   * discards almost every late reply unseen; a reply that had already been
   * read off the socket in the very instant its attempt timed out or was
   * aborted is caught here instead, and never returned.
   */
  readonly reason: "malformed" | "stale";
  /** The call it arrived for, when known. */
  readonly request: number | undefined;
  /** The endpoint it came from. */
  readonly endpoint: string;
  /** The reply frames. */
  readonly reply: Buffer[];
}

/** Events of {@link LazyPirateClient}. */
export type LazyPirateClientEvents = {
  /** An attempt timed out (or could not be sent) and the request is sent again. */
  retry: [RetryEvent];
  /** The old REQ socket was closed (linger 0) and a fresh one opened for the retry. */
  reconnect: [ReconnectEvent];
  /** A retry moved to a different endpoint. */
  failover: [FailoverEvent];
  /** Every attempt failed; the call rejects with `ServiceUnavailableError`. */
  "give-up": [GiveUpEvent];
  /** A reply was thrown away. */
  drop: [ClientDropEvent];
};

/** Counters of {@link LazyPirateClient}. */
export interface LazyPirateClientStats {
  /** Calls accepted by `request()`. */
  requests: number;
  /** Calls that got their reply. */
  replies: number;
  /** Sends made, first attempts and retries. */
  sends: number;
  /** Retries (sends after the first of a call). */
  retries: number;
  /** Fresh sockets opened for a retry after closing the previous one. */
  reconnects: number;
  /** Retries that moved to another endpoint. */
  failovers: number;
  /** Attempts that timed out. */
  timeouts: number;
  /** Calls that gave up with `ServiceUnavailableError`. */
  failures: number;
  /** Calls aborted through their signal. */
  aborted: number;
  /** Replies rejected by `validate`. */
  malformed: number;
  /** Replies that arrived for an attempt already over, and were thrown away (see {@link ClientDropEvent}). */
  staleDiscarded: number;
  /** REQ sockets opened so far. */
  socketsOpened: number;
  /** REQ sockets open right now (in flight plus idle). */
  openSockets: number;
  /** Calls in flight right now. */
  inFlight: number;
  /** Calls waiting for a free slot right now. */
  queued: number;
}

interface Connection {
  readonly channel: Channel<zmq.Request>;
  readonly endpoint: string;
  call: Call | undefined;
  /** Got a malformed reply: the REQ is done with this attempt, just wait for the timeout. */
  spent: boolean;
}

interface Call {
  readonly id: number;
  readonly frames: Buffer[];
  readonly attempts: number;
  readonly timeout: number;
  readonly resolve: (reply: Buffer[]) => void;
  readonly reject: (error: Error) => void;
  state: "queued" | "active" | "done";
  schedule: AttemptSchedule | undefined;
  conn: Connection | undefined;
  timer: TimerHandle | undefined;
  unlisten: () => void;
}

/**
 * A reliable client for any REQ/REP server: the zguide's Lazy Pirate. Each
 * attempt sends the request on a strict REQ socket and waits `timeout` ms; on
 * timeout the socket is closed with linger 0 and a fresh one is opened (to the
 * next endpoint when there are several) before the same request is sent again.
 * After `retries` sends in all the call rejects with
 * `ServiceUnavailableError`. Because an abandoned socket is closed, a late
 * reply to it can never be returned, to that call or any later one. The wire
 * is plain REQ: any REP server (or {@link LazyPirateServer}) works.
 *
 * **Many callers.** `request()` may be called from many async callers at once.
 * With the default `concurrency: 1` calls queue in FIFO order and go out one
 * at a time over one socket; with `concurrency: n` up to `n` are in flight,
 * each on its own REQ socket. Either way each call's timeout counts from its
 * own send, never from when it was queued.
 *
 * Requests may be sent more than once, so the server's handling should be
 * idempotent (protocols.md §8.3).
 *
 * ```ts
 * const client = new LazyPirateClient({ endpoint: "tcp://127.0.0.1:5555", timeout: 1000 });
 * const reply = await client.request(["hello"]);
 * await client.close();
 * ```
 */
export class LazyPirateClient extends TypedEmitter<LazyPirateClientEvents> {
  /** The endpoints, in failover order. */
  readonly endpoints: readonly string[];
  private readonly rotation: EndpointRotation;
  private readonly timeout: number;
  private readonly retries: number;
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private readonly validate: ((reply: Buffer[], request: Buffer[]) => boolean) | undefined;
  private readonly curve: CurveClientOptions | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly queue = new Fifo<Call>();
  private readonly active = new Set<Call>();
  private readonly idle: Connection[] = [];
  private readonly closing = new Set<Promise<void>>();
  private queuedCount = 0;
  private openCount = 0;
  private nextId = 1;
  private closePromise: Promise<void> | undefined;
  private isClosed = false;
  private readonly counters = {
    requests: 0,
    replies: 0,
    sends: 0,
    retries: 0,
    reconnects: 0,
    failovers: 0,
    timeouts: 0,
    failures: 0,
    aborted: 0,
    malformed: 0,
    staleDiscarded: 0,
    socketsOpened: 0,
  };

  /**
   * @param options - see {@link LazyPirateClientOptions}.
   * @throws `InvalidOptionError` for an option out of range or a bad CURVE key.
   */
  constructor(options: LazyPirateClientOptions) {
    super();
    const endpoints = typeof options.endpoint === "string" ? [options.endpoint] : [...(options.endpoint ?? [])];
    this.rotation = new EndpointRotation(endpoints, options.failover ?? LAZY_PIRATE_DEFAULTS.failover);
    this.endpoints = this.rotation.endpoints;
    this.timeout = checkNumber("timeout", options.timeout ?? LAZY_PIRATE_DEFAULTS.timeout, 1);
    this.retries = checkRetries(options.retries ?? LAZY_PIRATE_DEFAULTS.retries);
    this.concurrency = checkInteger("concurrency", options.concurrency ?? LAZY_PIRATE_DEFAULTS.concurrency, 1);
    this.maxQueued = checkInteger("maxQueued", options.maxQueued ?? LAZY_PIRATE_DEFAULTS.maxQueued, 0);
    this.validate = options.validate;
    this.curve = options.curve;
    this.clock = options.clock ?? systemClock;
    this.log = taggedLogger(options.logger, "lazy-pirate client");
    curveSocketOptions(this.curve); // throws on a bad key now rather than on the first request
  }

  /** Whether {@link LazyPirateClient.close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** A snapshot of the counters. */
  stats(): LazyPirateClientStats {
    return { ...this.counters, openSockets: this.openCount, inFlight: this.active.size, queued: this.queuedCount };
  }

  /**
   * Opens and connects a socket to the endpoint the next request will use, so
   * the first request does not wait for the TCP handshake. Optional:
   * `request()` opens sockets as it needs them.
   *
   * @throws `ClosedError` after close.
   */
  async start(): Promise<void> {
    if (this.closed) throw new ClosedError("LazyPirateClient is closed");
    const endpoint = this.endpoints[this.rotation.startIndex]!;
    if (this.idle.some((c) => c.endpoint === endpoint)) return;
    this.release(this.open(endpoint));
  }

  /**
   * Sends `message` and resolves with the reply frames. On timeout the socket
   * is closed, a fresh one is opened (to the next endpoint, if there are
   * several) and the same request is sent again, up to `retries` sends in all.
   *
   * @param message - one frame or several; sent exactly as given.
   * @param options - per-call timeout, retries and abort signal.
   * @returns the reply frames.
   * @throws `ServiceUnavailableError` (with `attempts` and `endpoints`) when
   *   no attempt was answered; `AbortError` when `signal` aborts (the client
   *   stays usable); `ClosedError` when the client is or gets closed;
   *   `BackpressureError` when `maxQueued` calls are already waiting;
   *   `InvalidOptionError` for an empty message or bad options.
   */
  request(message: Frame | readonly Frame[], options: RequestOptions = {}): Promise<Buffer[]> {
    let frames: Buffer[];
    let timeout: number;
    let attempts: number;
    try {
      if (this.closed) throw new ClosedError("LazyPirateClient is closed");
      if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
      frames = encodeRequest(message);
      timeout = options.timeout === undefined ? this.timeout : checkNumber("timeout", options.timeout, 1);
      attempts = options.retries === undefined ? this.retries : checkRetries(options.retries);
      if (this.queuedCount >= this.maxQueued && this.active.size >= this.concurrency) {
        throw new BackpressureError(`LazyPirateClient: ${this.maxQueued} requests already waiting`);
      }
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<Buffer[]>((resolve, reject) => {
      const call: Call = {
        id: this.nextId++,
        frames,
        attempts,
        timeout,
        resolve,
        reject,
        state: "queued",
        schedule: undefined,
        conn: undefined,
        timer: undefined,
        unlisten: () => {},
      };
      this.counters.requests++;
      call.unlisten = onAbort(options.signal, (reason) => this.abort(call, reason));
      this.queue.push(call);
      this.queuedCount++;
      this.pump();
    });
  }

  /**
   * Rejects every queued and in-flight call with `ClosedError`, closes every
   * socket (linger 0) and cancels every timer, so the process can exit.
   * Idempotent.
   */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.isClosed = true;
    const error = () => new ClosedError("LazyPirateClient is closed");
    for (let call = this.queue.shift(); call; call = this.queue.shift()) {
      if (call.state === "queued") this.settle(call, error());
    }
    this.queuedCount = 0;
    for (const call of [...this.active]) {
      this.detach(call);
      this.settle(call, error());
    }
    for (const conn of this.idle.splice(0)) this.destroy(conn);
    this.closePromise = Promise.all([...this.closing]).then(() => undefined);
    return this.closePromise;
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency) {
      const call = this.queue.shift();
      if (!call) return;
      if (call.state !== "queued") continue; // aborted while waiting
      this.queuedCount--;
      call.state = "active";
      this.active.add(call);
      call.schedule = new AttemptSchedule(this.rotation, { attempts: call.attempts, timeout: call.timeout });
      this.send(call, undefined);
    }
  }

  /** Makes the call's next attempt, or gives up when none is left. */
  private send(call: Call, failed: "timeout" | "send-failed" | undefined): void {
    const schedule = call.schedule!;
    const previous = schedule.current;
    const attempt = schedule.next(this.clock.now());
    if (!attempt) return this.giveUp(call);
    if (previous) this.announceRetry(call, attempt, previous, failed ?? "timeout");

    let conn: Connection;
    try {
      // A retry always gets a fresh socket; a first attempt may reuse an idle one.
      conn = (previous ? undefined : this.takeIdle(attempt.endpoint)) ?? this.open(attempt.endpoint);
    } catch (err) {
      return this.settle(call, err as Error);
    }
    if (previous) {
      this.counters.reconnects++;
      if (this.hasListeners("reconnect")) {
        this.emit("reconnect", { request: call.id, attempt: attempt.attempt, closed: previous.endpoint, endpoint: attempt.endpoint });
      }
    }
    conn.call = call;
    call.conn = conn;
    this.counters.sends++;
    this.log.debug?.(`request ${call.id}: attempt ${attempt.attempt}/${schedule.maxAttempts} to ${attempt.endpoint}`);
    call.timer = this.clock.setTimeout(() => this.attemptFailed(call, conn, "timeout"), call.timeout);
    conn.channel.send(call.frames).catch((err: Error) => {
      if (call.conn !== conn) return; // attempt already over (closed, aborted, timed out)
      this.log.warn?.(`request ${call.id}: send to ${attempt.endpoint} failed: ${err.message}`);
      this.attemptFailed(call, conn, "send-failed");
    });
  }

  private announceRetry(call: Call, attempt: Attempt, previous: Attempt, reason: "timeout" | "send-failed"): void {
    this.counters.retries++;
    this.log.warn?.(
      `request ${call.id}: no reply from ${previous.endpoint} (${reason}), retrying (${attempt.attempt}/${call.attempts}) on ${attempt.endpoint}`,
    );
    if (this.hasListeners("retry")) {
      this.emit("retry", {
        request: call.id,
        attempt: attempt.attempt,
        maxAttempts: call.attempts,
        previous: previous.endpoint,
        endpoint: attempt.endpoint,
        reason,
      });
    }
    if (attempt.failover) {
      this.counters.failovers++;
      if (this.hasListeners("failover")) this.emit("failover", { request: call.id, attempt: attempt.attempt, from: previous.endpoint, to: attempt.endpoint });
    }
  }

  private attemptFailed(call: Call, conn: Connection, reason: "timeout" | "send-failed"): void {
    if (call.conn !== conn || call.state !== "active") return;
    if (reason === "timeout") {
      call.timer = undefined;
      this.counters.timeouts++;
    }
    this.detach(call);
    this.send(call, reason);
  }

  private onReply(conn: Connection, reply: Buffer[]): void {
    const call = conn.call;
    if (!call || call.state !== "active" || conn.spent) {
      this.counters.staleDiscarded++;
      this.log.debug?.(`stale reply from ${conn.endpoint} discarded`);
      if (this.hasListeners("drop")) this.emit("drop", { reason: "stale", request: call?.id, endpoint: conn.endpoint, reply });
      return;
    }
    if (this.validate && !this.accepts(reply, call.frames)) {
      conn.spent = true; // the REQ has had its reply: nothing more comes on it; wait for the timeout
      this.counters.malformed++;
      this.log.warn?.(`request ${call.id}: malformed reply from ${conn.endpoint} dropped`);
      if (this.hasListeners("drop")) this.emit("drop", { reason: "malformed", request: call.id, endpoint: conn.endpoint, reply });
      return;
    }
    this.clock.clearTimeout(call.timer);
    call.timer = undefined;
    call.schedule!.answered();
    conn.call = undefined;
    call.conn = undefined;
    this.counters.replies++;
    this.release(conn);
    this.finish(call);
    call.resolve(reply);
    this.pump();
  }

  private accepts(reply: Buffer[], request: Buffer[]): boolean {
    try {
      return this.validate!(reply, request);
    } catch (err) {
      this.log.warn?.(`validate threw: ${(err as Error)?.message ?? String(err)}`);
      return false;
    }
  }

  private giveUp(call: Call): void {
    const schedule = call.schedule!;
    const error = new ServiceUnavailableError(schedule.attempts, [...schedule.endpoints]);
    this.counters.failures++;
    this.log.warn?.(`request ${call.id}: ${error.message}, abandoning`);
    if (this.hasListeners("give-up")) {
      this.emit("give-up", { request: call.id, attempts: schedule.attempts, endpoints: [...schedule.endpoints], error });
    }
    this.settle(call, error);
  }

  private abort(call: Call, reason: unknown): void {
    if (call.state === "done") return;
    if (call.state === "queued") this.queuedCount--;
    else this.detach(call);
    this.counters.aborted++;
    this.settle(call, new AbortError(undefined, { cause: reason }));
  }

  /** Ends the call's current attempt: cancels its timer and closes its socket. */
  private detach(call: Call): void {
    if (call.timer !== undefined) this.clock.clearTimeout(call.timer);
    call.timer = undefined;
    const conn = call.conn;
    call.conn = undefined;
    if (conn) this.destroy(conn);
  }

  private finish(call: Call): void {
    call.state = "done";
    call.unlisten();
    this.active.delete(call);
  }

  private settle(call: Call, error: Error): void {
    if (call.state === "done") return;
    this.detach(call);
    this.finish(call);
    call.reject(error);
    this.pump();
  }

  private takeIdle(endpoint: string): Connection | undefined {
    const i = this.idle.findIndex((c) => c.endpoint === endpoint);
    return i < 0 ? undefined : this.idle.splice(i, 1)[0];
  }

  private open(endpoint: string): Connection {
    const socket = createSocket("request", { curve: this.curve, linger: 0 });
    const channel = new Channel(socket, {
      name: `lazy-pirate client → ${endpoint}`,
      onError: (e) => this.log.warn?.(e.message),
    });
    const conn: Connection = { channel, endpoint, call: undefined, spent: false };
    this.openCount++;
    this.counters.socketsOpened++;
    channel.listen((reply) => this.onReply(conn, reply));
    try {
      socket.connect(endpoint);
    } catch (err) {
      this.destroy(conn);
      throw new SocketError(`Cannot connect to ${endpoint}: ${(err as Error).message}`, (err as { code?: string }).code, { cause: err });
    }
    return conn;
  }

  /** Keeps a socket that just got its reply for the next request, up to `concurrency` idle sockets. */
  private release(conn: Connection): void {
    if (this.closed || conn.spent) return this.destroy(conn);
    this.idle.push(conn);
    if (this.idle.length > this.concurrency) this.destroy(this.idle.shift()!);
  }

  /** Closes a socket at once (linger 0): anything still coming to it is discarded by libzmq. */
  private destroy(conn: Connection): void {
    conn.call = undefined;
    if (conn.channel.closed) return;
    this.openCount--;
    const closing = conn.channel.close();
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }
}

function checkRetries(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(`retries must be an integer >= 1 (sends in all, the first included), got ${String(value)}`);
  }
  return value;
}
