/**
 * The Lazy Pirate client (protocols.md §2): a strict REQ socket per attempt,
 * closed and replaced after each timeout, with failover across endpoints. A
 * configuration of core's `RequestClient`.
 *
 * @module
 */
import {
  checkAttempts,
  checkNumber,
  checkRenamed,
  ClosedError,
  type Clock,
  type CurveClientOptions,
  type FailoverPolicy,
  type Frame,
  type Logger,
  RequestClient,
  type RequestClientEvents,
  type RequestClientStats,
  RotationPolicy,
  TypedEmitter,
} from "@zmq-reliable/core";
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
  attempts: 3,
  /** Requests in flight at once, each on its own REQ socket. */
  concurrency: 1,
  /** Requests that may wait for a free slot before `request()` rejects with `BackpressureError`. */
  maxQueued: 10_000,
  /** Where each request's first attempt goes; see `FailoverPolicy`. */
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
   * `ServiceUnavailableError`, the first send included (the reference
   * `REQUEST_RETRIES`): 3 means one send and two retries. Default 3.
   */
  attempts?: number;
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
  /** Overrides the client's `attempts` (sends in all, the first included) for this call. */
  attempts?: number;
  /** Aborts the call at once with `AbortError`, queued or in flight. */
  signal?: AbortSignal;
}

/** Events of {@link LazyPirateClient}: `retry`, `failover`, `give-up`, `reconnect` and `drop`, as every request client. */
export type LazyPirateClientEvents = RequestClientEvents;

/** Counters of {@link LazyPirateClient}: those of every request client. */
export type LazyPirateClientStats = RequestClientStats;

/**
 * A reliable client for any REQ/REP server: the zguide's Lazy Pirate. Each
 * attempt sends the request on a strict REQ socket and waits `timeout` ms; on
 * timeout the socket is closed with linger 0 and a fresh one is opened (to the
 * next endpoint when there are several) before the same request is sent again.
 * After `attempts` sends in all the call rejects with
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
 * const client = new LazyPirateClient({ endpoint: "tcp://127.0.0.1:5555", timeout: 1000, attempts: 3 });
 * const reply = await client.request(["hello"]);
 * await client.close();
 * ```
 */
export class LazyPirateClient extends TypedEmitter<LazyPirateClientEvents> {
  /** The endpoints, in failover order. */
  readonly endpoints: readonly string[];
  private readonly client: RequestClient;

  /**
   * @param options - see {@link LazyPirateClientOptions}.
   * @throws `InvalidOptionError` for an option out of range or a bad CURVE key.
   */
  constructor(options: LazyPirateClientOptions) {
    super();
    checkRenamed(options, { retries: "attempts" });
    const endpoints = typeof options.endpoint === "string" ? [options.endpoint] : [...(options.endpoint ?? [])];
    const policy = new RotationPolicy(endpoints, options.failover ?? LAZY_PIRATE_DEFAULTS.failover);
    this.endpoints = policy.endpoints;
    this.client = new RequestClient({
      name: "LazyPirateClient",
      policy,
      timeout: checkNumber("timeout", options.timeout ?? LAZY_PIRATE_DEFAULTS.timeout, 1),
      attempts: checkAttempts(options.attempts ?? LAZY_PIRATE_DEFAULTS.attempts),
      concurrency: checkInteger("concurrency", options.concurrency ?? LAZY_PIRATE_DEFAULTS.concurrency, 1),
      maxQueued: checkInteger("maxQueued", options.maxQueued ?? LAZY_PIRATE_DEFAULTS.maxQueued, 0),
      validate: options.validate,
      curve: options.curve,
      logger: options.logger,
      clock: options.clock,
      emit: (event, ...args) => this.emit(event as "retry", ...(args as LazyPirateClientEvents["retry"])),
    });
  }

  /** Whether {@link LazyPirateClient.close} was called. */
  get closed(): boolean {
    return this.client.closed;
  }

  /** A snapshot of the counters. */
  stats(): LazyPirateClientStats {
    return this.client.stats();
  }

  /**
   * Opens and connects a socket to the endpoint the next request will use, so
   * the first request does not wait for the TCP handshake. Optional:
   * `request()` opens sockets as it needs them.
   *
   * @throws `ClosedError` after close.
   */
  start(): Promise<void> {
    return this.client.start();
  }

  /**
   * Sends `message` and resolves with the reply frames. On timeout the socket
   * is closed, a fresh one is opened (to the next endpoint, if there are
   * several) and the same request is sent again, up to `attempts` sends in all.
   *
   * @param message - one frame or several; sent exactly as given.
   * @param options - per-call timeout, attempts and abort signal.
   * @returns the reply frames.
   * @throws `ServiceUnavailableError` (with `attempts` and `endpoints`) when
   *   no attempt was answered; `AbortError` when `signal` aborts (the client
   *   stays usable); `ClosedError` when the client is or gets closed;
   *   `BackpressureError` when `maxQueued` calls are already waiting;
   *   `InvalidOptionError` for an empty message or bad options.
   */
  request(message: Frame | readonly Frame[], options: RequestOptions = {}): Promise<Buffer[]> {
    try {
      if (this.closed) throw new ClosedError("LazyPirateClient is closed");
      checkRenamed(options, { retries: "attempts" });
      return this.client.request(encodeRequest(message), {
        timeout: options.timeout === undefined ? undefined : checkNumber("timeout", options.timeout, 1),
        attempts: options.attempts === undefined ? undefined : checkAttempts(options.attempts),
        signal: options.signal,
      });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Rejects every queued and in-flight call with `ClosedError`, closes every
   * socket (linger 0) and cancels every timer, so the process can exit.
   * Idempotent.
   */
  close(): Promise<void> {
    return this.client.close();
  }
}
