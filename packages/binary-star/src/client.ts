/**
 * {@link BinaryStarClient}: a request-reply client that knows both servers of
 * a Binary Star pair and follows the active one ([Binary Star protocol: client](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html#client)). A
 * configuration of core's `RequestClient` with core's `VotingPolicy`.
 *
 * @module
 */
import {
  type CloseOptions,
  type CurveClientOptions,
  type FailoverTimings,
  type Frame,
  InvalidOptionError,
  RequestClient,
  type RequestClientEvents,
  type RequestClientStats,
  type RetryingClientOptions,
  TypedEmitter,
  VotingPolicy,
  checkNumber,
  checkRenamed,
  toBuffers,
} from "@zmq-reliable/core";
import { BINARY_STAR_DEFAULTS, clientTimings } from "./defaults.js";

/**
 * Options of {@link BinaryStarClient}: the pair's endpoints, its timings and
 * CURVE, plus `logger` and `clock` as every request client (core's
 * `RetryingClientOptions`).
 */
export interface BinaryStarClientOptions extends Pick<RetryingClientOptions, "logger" | "clock"> {
  /** The two servers' frontends: `[primary, backup]`. The first request goes to the primary. */
  endpoint: readonly [string, string];
  /**
   * The servers' heartbeat interval in ms (default 1000). The defaults of
   * `timeout`, `settleDelay` and `voteInterval` follow from it (see
   * {@link clientTimings}); set it when the servers use a non-default
   * heartbeat, rather than tuning the three by hand.
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds to wait for a reply from the server believed active before
   * trying the other one. Default: one heartbeat (1000, the reference's
   * `REQUEST_TIMEOUT`). It must exceed the handler's longest run time, or
   * slow requests are sent again. A lost or refused connection fails over
   * without waiting for it.
   */
  timeout?: number;
  /**
   * How long, in ms, the client keeps voting at one server before it goes
   * back to the other. Default: two heartbeats (2000, the reference's
   * `SETTLE_DELAY`), the servers' failover timeout, as the book requires
   * ("a delay between retries at least as long as the server failover
   * timeout"). It is a cap, not a sleep: votes go out every `voteInterval`
   * meanwhile and the first answered one ends the wait.
   */
  settleDelay?: number;
  /**
   * Milliseconds between votes (the same request resent on a fresh socket)
   * while a passive server may be about to take over. Default: a quarter
   * heartbeat (250). Smaller is faster but sends more duplicates.
   */
  voteInterval?: number;
  /** CURVE: one set of options for both servers, or one per endpoint. */
  curve?: CurveClientOptions | readonly [CurveClientOptions, CurveClientOptions];
}

/** Options of {@link BinaryStarClient.request}. */
export interface RequestOptions {
  /** Cancels the request: it rejects with `AbortError`. */
  signal?: AbortSignal;
  /**
   * Overall deadline in ms, counted from the call (queued time included):
   * the request rejects with `TimeoutError` if no server answered by then.
   * Default: none, the client alternates between the servers until
   * answered, as the reference does.
   */
  deadline?: number;
}

/** Events of {@link BinaryStarClient}: `failover` (with reason `"timeout"`, `"unreachable"` or `"settle"`), `retry` for every vote, as every request client. */
export type BinaryStarClientEvents = RequestClientEvents;

/** Counters of a {@link BinaryStarClient}: those of every request client, and the endpoint in use. */
export interface BinaryStarClientStats extends RequestClientStats {
  /** The endpoint the next request goes to first. */
  endpoint: string;
}

/**
 * A Binary Star client: sends each request to the server it believes active
 * and, when that one does not answer, fails over to the other, resending the
 * same request on a fresh REQ socket, alternating until a server answers or
 * the call is aborted ([Binary Star protocol: client](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html#client)). Replies of one request can never
 * be taken for another: every socket that carried a request is closed when
 * the request ends, except the one that answered, which carries the next.
 *
 * The failover is quicker than the reference's (see core's `FailoverPlan`):
 * it votes at the other server every `voteInterval` until that server's
 * peer expiry has passed, instead of sleeping the whole `settleDelay` and
 * sending once. Requests are sent one at a time, in call order, like a REQ
 * socket's; concurrent calls queue.
 *
 * ```ts
 * const client = new BinaryStarClient({ endpoint: ["tcp://primary:5001", "tcp://backup:5002"] });
 * const [reply] = await client.request("hello", { signal: AbortSignal.timeout(30_000) });
 * await client.close();
 * ```
 */
export class BinaryStarClient extends TypedEmitter<BinaryStarClientEvents> {
  /** The two endpoints, `[primary, backup]`. */
  readonly endpoints: readonly [string, string];
  /** The timings in use, defaults applied. */
  readonly timings: Readonly<FailoverTimings>;
  private readonly policy: VotingPolicy;
  private readonly client: RequestClient;

  /** @param options - see {@link BinaryStarClientOptions}. */
  constructor(options: BinaryStarClientOptions) {
    super();
    checkRenamed(options, { endpoints: "endpoint" });
    const endpoints = options.endpoint;
    if (!Array.isArray(endpoints) || endpoints.length !== 2 || !endpoints.every((e) => typeof e === "string" && e)) {
      throw new InvalidOptionError("endpoint must be [primary, backup]: two endpoint strings");
    }
    this.endpoints = [endpoints[0], endpoints[1]];
    const heartbeat = checkNumber("heartbeatInterval", options.heartbeatInterval ?? BINARY_STAR_DEFAULTS.heartbeatInterval, 1);
    const derived = clientTimings(heartbeat);
    this.timings = Object.freeze({
      timeout: checkNumber("timeout", options.timeout ?? derived.timeout, 1),
      settleDelay: checkNumber("settleDelay", options.settleDelay ?? derived.settleDelay),
      voteInterval: checkNumber("voteInterval", options.voteInterval ?? derived.voteInterval, 1),
    });
    const curve = options.curve;
    const curves = Array.isArray(curve) ? [curve[0], curve[1]] : [curve as CurveClientOptions | undefined, curve as CurveClientOptions | undefined];
    this.policy = new VotingPolicy(this.endpoints, this.timings);
    this.client = new RequestClient({
      name: "BinaryStarClient",
      policy: this.policy,
      timeout: this.timings.timeout,
      curve: (index) => curves[index],
      watchConnections: true,
      logger: options.logger,
      clock: options.clock,
      emit: (event, ...args) => this.emit(event as "retry", ...(args as BinaryStarClientEvents["retry"])),
    });
  }

  /** The endpoint the next request goes to first: the server that answered last. */
  get endpoint(): string {
    return this.endpoints[this.policy.current];
  }

  /**
   * Opens the socket to the server believed active ahead of the first
   * request. Optional: {@link BinaryStarClient.request} opens it when needed.
   *
   * @throws `ClosedError` after {@link BinaryStarClient.close}.
   */
  start(): Promise<void> {
    return this.client.start();
  }

  /**
   * Sends a request and resolves with the reply's frames. Never rejects
   * because a server is down: it keeps alternating between the two until one
   * answers, unless `options.signal` aborts or `options.deadline` passes.
   *
   * @param message - one frame or several.
   * @param options - abort signal and overall deadline.
   * @throws `AbortError`, `TimeoutError`, `ClosedError`.
   */
  request(message: Frame | readonly Frame[], options: RequestOptions = {}): Promise<Buffer[]> {
    try {
      checkRenamed(options, { timeout: "deadline" });
      if (options.deadline !== undefined) checkNumber("deadline", options.deadline);
      return this.client.request(toBuffers(message as Frame | Frame[]), { signal: options.signal, deadline: options.deadline });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** A snapshot of the counters. */
  stats(): BinaryStarClientStats {
    return { ...this.client.stats(), endpoint: this.endpoint };
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
