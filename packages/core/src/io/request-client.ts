/**
 * The request client: the shell that runs a {@link RequestClientState} over
 * throw-away REQ sockets with the {@link Driver}. Every socket is opened with
 * linger 0 and closed at once when its attempt is over, so libzmq discards a
 * late reply to it; a socket that got its reply is kept idle for a later call.
 * Patterns configure it with a retry policy, an encoding of the request
 * (their own frames before `request()`), a per-call `decode` of the reply,
 * and `validate`. The Lazy Pirate, Majordomo and Binary Star clients are
 * thin roles on it.
 *
 * ```ts
 * const client = new RequestClient({ name: "Echo", policy: new RotationPolicy(["tcp://127.0.0.1:5555"]), timeout: 1000, attempts: 3 });
 * const reply = await client.request([Buffer.from("hello")]);
 * await client.close();
 * ```
 *
 * @module
 */
import type { Clock } from "../pure/clock.js";
import { systemClock } from "./system-clock.js";
import { AbortError, ClosedError, type ZmqReliableError } from "../pure/errors.js";
import { type Logger, taggedLogger } from "../pure/logger.js";
import type { RetryPolicy } from "../machines/retry-plan.js";
import { RequestClientState } from "../machines/request-client.js";
import type { RequestClientAction, RequestClientInput, RequestClientStats } from "../machines/request-client-types.js";
import { type CurveClientOptions, curveSocketOptions } from "../security/curve.js";
import { Channel } from "./channel.js";
import { Driver } from "./driver.js";
import { connectEndpoint, endpointError } from "./endpoints.js";
import { type CloseOptions, settlesWithin } from "./lifecycle.js";
import { createSocket } from "./socket.js";

/** Options of {@link RequestClient}. */
export interface RequestClientOptions {
  /** The role's name, for errors and logs (`"LazyPirateClient"`). */
  name: string;
  /** Plans every call: endpoints, retries, failover. */
  policy: RetryPolicy;
  /** Default per-attempt timeout in ms. */
  timeout: number;
  /** Default sends in all per call; default 1. */
  attempts?: number;
  /** Calls in flight at once, each on its own socket; default 1. */
  concurrency?: number;
  /** Calls that may wait for a slot before `request()` rejects with `BackpressureError`; default unbounded. */
  maxQueued?: number;
  /** Checks a reply against its request; a rejected one is dropped and the attempt waits for its timeout. */
  validate?: (reply: Buffer[], request: Buffer[]) => boolean;
  /** CURVE options, or a function giving them per endpoint index. */
  curve?: CurveClientOptions | ((index: number) => CurveClientOptions | undefined);
  /** Tell the plan when a socket's connection is lost or refused (socket monitor events). Default false. */
  watchConnections?: boolean;
  /** Emits the role's events (`retry`, `failover`, `give-up`, `reconnect`, `drop`). */
  emit?: (event: string, ...args: unknown[]) => void;
  /** Where to log. */
  logger?: Logger;
  /** Clock for timeouts; default the system clock. */
  clock?: Clock;
}

/** Per-call options of {@link RequestClient.request}. */
export interface RequestCallOptions {
  /** Sends in all for this call. */
  attempts?: number;
  /** Per-attempt timeout (ms) for this call. */
  timeout?: number;
  /** Whole-call deadline in ms, counted from now: the call rejects with `TimeoutError`. */
  deadline?: number;
  /** Aborts the call at once with `AbortError`, queued or in flight. */
  signal?: AbortSignal;
  /** Turns the reply into the call's value; throwing rejects the call (e.g. a `ProtocolError`). */
  decode?: (reply: Buffer[]) => Buffer[];
}

/** The shell over throw-away REQ sockets; see the module comment. */
export class RequestClient {
  /** The machine (its stats, its policy). */
  readonly state: RequestClientState;
  private readonly driver: Driver<RequestClientInput, RequestClientAction>;
  private readonly options: RequestClientOptions;
  private readonly log: Logger;
  private readonly closing = new Set<Promise<void>>();
  private closeP: Promise<void> | undefined;

  /**
   * @param options - see {@link RequestClientOptions}.
   * @throws `InvalidOptionError` for a bad CURVE key.
   */
  constructor(options: RequestClientOptions) {
    this.options = options;
    const curve = options.curve;
    if (typeof curve === "function") options.policy.endpoints.forEach((_, i) => curveSocketOptions(curve(i)));
    else curveSocketOptions(curve); // throws on a bad key now rather than on the first request
    this.log = taggedLogger(options.logger, options.name);
    this.state = new RequestClientState({
      policy: options.policy,
      timeout: options.timeout,
      attempts: options.attempts ?? 1,
      concurrency: options.concurrency ?? 1,
      maxQueued: options.maxQueued ?? Number.POSITIVE_INFINITY,
      validate: options.validate,
      name: options.name,
    });
    this.driver = new Driver(this.state, {
      clock: options.clock ?? systemClock,
      emit: options.emit,
      perform: (action) => this.perform(action),
      reportSendFailures: true,
      onError: (error) => this.log.warn?.({ reason: error.code }, error.message),
    });
  }

  /** Whether {@link RequestClient.close} was called. */
  get closed(): boolean {
    return this.closeP !== undefined;
  }

  /** A snapshot of the counters and gauges. */
  stats(): RequestClientStats {
    return this.state.stats(this.driver.clock.now());
  }

  /**
   * Opens a socket to the endpoint the next call starts at, unless one is idle there.
   *
   * @throws `ClosedError` after close.
   */
  async start(): Promise<void> {
    if (this.closed) throw new ClosedError(`${this.options.name} is closed`);
    this.driver.feed({ type: "warm" });
  }

  /**
   * Sends `frames` (what the REQ socket sends; it adds the empty delimiter) and resolves with the reply.
   *
   * @param frames - the request.
   * @param options - per-call attempts, timeout, deadline, signal and reply decoding.
   * @throws `ServiceUnavailableError`, `TimeoutError`, `AbortError`, `ClosedError`, `BackpressureError`, or what `decode` throws.
   */
  request(frames: Buffer[], options: RequestCallOptions = {}): Promise<Buffer[]> {
    if (this.closed) return Promise.reject(new ClosedError(`${this.options.name} is closed`));
    const { signal } = options;
    if (signal?.aborted) {
      this.driver.feed({ type: "refused" });
      return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    }
    return this.driver.call<Buffer[]>(
      (call) => ({ type: "request", call, frames, attempts: options.attempts, timeout: options.timeout, deadline: options.deadline, decode: options.decode }),
      signal,
    );
  }

  /**
   * Stops taking calls; lets the calls already made finish for at most
   * `timeout` ms (default 0); then rejects what is left, queued or in flight,
   * with `ClosedError` and closes every socket (linger 0). Idempotent.
   *
   * @param options - `timeout`: how long calls in progress may still finish.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closeP ??= (async () => {
      const timeout = options.timeout ?? 0;
      if (timeout > 0 && this.driver.openCalls > 0) await settlesWithin(this.driver.whenNoCalls(), timeout, this.driver.clock);
      const error = new ClosedError(`${this.options.name} is closed`);
      this.driver.feed({ type: "close", error });
      this.driver.close(error);
      await Promise.all([...this.closing]);
    })();
    return this.closeP;
  }

  private perform(action: RequestClientAction): void {
    if (action.type === "open") this.open(action.channel, action.index, action.endpoint);
    else if (action.type === "close") this.closeLink(action.channel);
  }

  private open(name: string, index: number, endpoint: string): void {
    const curve = typeof this.options.curve === "function" ? this.options.curve(index) : this.options.curve;
    let channel: Channel;
    try {
      channel = new Channel(createSocket("request", { curve, linger: 0, sendTimeout: 0 }), { name: `${this.options.name} → ${endpoint}`, lockstep: true, onError: (e) => this.log.warn?.({ endpoint, reason: e.code }, e.message) });
    } catch (err) {
      return this.driver.feed({ type: "open-failed", channel: name, error: endpointError(err, "connect", this.options.name, endpoint) });
    }
    this.driver.attach(name, channel);
    if (this.options.watchConnections) {
      const events = channel.socket.events;
      const down = () => this.driver.feed({ type: "link", channel: name, up: false });
      events.on("disconnect", down);
      events.on("connect:retry", down);
      events.on("handshake", () => this.driver.feed({ type: "link", channel: name, up: true }));
    }
    try {
      connectEndpoint(channel.socket, endpoint, this.options.name);
    } catch (err) {
      this.driver.feed({ type: "open-failed", channel: name, error: err as ZmqReliableError });
    }
  }

  private closeLink(name: string): void {
    const channel = this.driver.channel(name);
    if (!channel) return;
    this.driver.detach(name);
    const closing = channel.close();
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }
}
