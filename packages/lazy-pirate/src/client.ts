/**
 * The Lazy Pirate client ([Lazy Pirate protocol: frames](https://zmq-reliable.github.io/zmq-reliable/documents/Lazy_Pirate_protocol.html#frames)): a strict REQ socket per attempt,
 * closed and replaced after each timeout, with failover across endpoints. A
 * configuration of core's `RequestClient`.
 *
 * @module
 */
import {
  type CloseOptions,
  ClosedError,
  type FailoverPolicy,
  type Frame,
  RequestClient,
  type RequestClientEvents,
  type RequestClientStats,
  type RetryingClientOptions,
  type RetryingRequestOptions,
  RotationPolicy,
  retryingCallOptions,
  retryingClientSettings,
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

/**
 * Options of {@link LazyPirateClient}: those of every retrying client
 * (`endpoint`, `timeout`, `attempts`, `concurrency` default 1, `maxQueued`
 * default 10,000, `curve`, `logger`, `clock`; see core's
 * `RetryingClientOptions`), plus the failover policy and reply validation.
 */
export interface LazyPirateClientOptions extends RetryingClientOptions {
  /** Which endpoint each request starts at when there are several. Default `"sticky"`. */
  failover?: FailoverPolicy;
  /**
   * Checks a reply against its request. A reply it rejects is dropped (event
   * `drop` with reason `"malformed"`) and the attempt goes on waiting until its
   * timeout, then retries, like the reference client. Use {@link isEcho} with
   * echo servers. Default: every reply is accepted.
   */
  validate?: (reply: Buffer[], request: Buffer[]) => boolean;
}

/** Per-call options of {@link LazyPirateClient.request}: `timeout`, `attempts` and `signal` (core's `RetryingRequestOptions`). */
export type RequestOptions = RetryingRequestOptions;

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
 * idempotent ([Lazy Pirate protocol: duplicates and idempotency](https://zmq-reliable.github.io/zmq-reliable/documents/Lazy_Pirate_protocol.html#duplicates-and-idempotency)).
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
    const { endpoints, timeout, attempts } = retryingClientSettings(options, LAZY_PIRATE_DEFAULTS);
    const policy = new RotationPolicy(endpoints, options.failover ?? LAZY_PIRATE_DEFAULTS.failover);
    this.endpoints = policy.endpoints;
    this.client = new RequestClient({
      name: "LazyPirateClient",
      policy,
      timeout,
      attempts,
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
      return this.client.request(encodeRequest(message), retryingCallOptions(options));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Stops taking requests; lets those already made finish for at most
   * `timeout` ms (default 0); then rejects what is left with `ClosedError`,
   * closes every socket (linger 0) and cancels every timer, so the process
   * can exit. Idempotent.
   *
   * @param options - `timeout`: how long requests in progress may still finish.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.client.close(options);
  }
}
