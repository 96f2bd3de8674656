/**
 * {@link BinaryStarClient}: a request-reply client that knows both servers of
 * a Binary Star pair and follows the active one (protocols.md §10.7).
 *
 * @module
 */
import type * as zmq from "zeromq";
import {
  AbortError,
  ClosedError,
  type CurveClientOptions,
  Fifo,
  type Frame,
  InvalidOptionError,
  type Logger,
  TimeoutError,
  Timer,
  TypedEmitter,
  checkNumber,
  closeSocket,
  createSocket,
  curveSocketOptions,
  onAbort,
  systemClock,
  taggedLogger,
  toBuffers,
} from "@zmq-reliable/core";
import { BINARY_STAR_DEFAULTS, clientTimings } from "./defaults.js";
import { type FailoverReason, FailoverPlan, type FailoverTimings, type PlanAction, type ServerIndex } from "./failover.js";

/** Options of {@link BinaryStarClient}. */
export interface BinaryStarClientOptions {
  /** The two servers' frontends: `[primary, backup]`. The first request goes to the primary. */
  endpoints: readonly [string, string];
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
  /** Where to log failovers. */
  logger?: Logger;
}

/** Options of {@link BinaryStarClient.request}. */
export interface RequestOptions {
  /** Cancels the request: it rejects with `AbortError`. */
  signal?: AbortSignal;
  /**
   * Overall deadline in ms: the request rejects with `TimeoutError`
   * if no server answered by then. Default: none, the client alternates
   * between the servers until answered, as the reference does.
   */
  timeout?: number;
}

/** Payload of {@link BinaryStarClientEvents} `failover`. */
export interface FailoverEvent {
  /** The endpoint given up on. */
  from: string;
  /** The endpoint tried next. */
  to: string;
  /** Why. */
  reason: FailoverReason;
}

/** Payload of {@link BinaryStarClientEvents} `retry`. */
export interface RetryEvent {
  /** Where the request was resent. */
  endpoint: string;
  /** How many times this request has been sent so far, this one included. */
  attempt: number;
}

/** Events of {@link BinaryStarClient}. */
export type BinaryStarClientEvents = {
  /** The client stopped waiting for one server and turned to the other. */
  failover: [FailoverEvent];
  /** A request was resent (a vote) on a fresh socket. */
  retry: [RetryEvent];
};

/** Counters of a {@link BinaryStarClient}. */
export interface BinaryStarClientStats {
  /** Requests started. */
  requests: number;
  /** Requests answered. */
  replies: number;
  /** Sends in total (first attempts and votes). */
  sends: number;
  /** Failovers from one server to the other. */
  failovers: number;
  /** Requests that ended with an error (abort, deadline, close). */
  failed: number;
  /** The endpoint the next request goes to first. */
  endpoint: string;
}

/** One REQ socket carrying (or having carried) one request to one server. */
class Attempt {
  readonly socket: zmq.Request;
  /** Set when the connection is lost or refused, cleared on a handshake. */
  unreachable = false;
  window = 0;
  /** Told when the connection is lost or refused. */
  onUnreachable: ((attempt: Attempt) => void) | undefined;

  constructor(
    readonly server: ServerIndex,
    endpoint: string,
    curve: CurveClientOptions | undefined,
  ) {
    this.socket = createSocket("request", { curve });
    const events = this.socket.events;
    const lost = () => {
      this.unreachable = true;
      this.onUnreachable?.(this);
    };
    events.on("disconnect", lost);
    events.on("connect:retry", lost);
    events.on("handshake", () => {
      this.unreachable = false;
    });
    this.socket.connect(endpoint);
  }

  close(): void {
    this.onUnreachable = undefined;
    closeSocket(this.socket);
  }
}

interface Job {
  frames: Buffer[];
  resolve: (reply: Buffer[]) => void;
  reject: (error: Error) => void;
  /** Settled (answered, failed, or cancelled while queued). */
  done: boolean;
  /** Set while the job runs: ends it with an error. */
  stop: ((error: Error) => void) | undefined;
  /** Releases the deadline timer and the abort listener. */
  release: () => void;
}

/**
 * A Binary Star client: sends each request to the server it believes active
 * and, when that one does not answer, fails over to the other, resending the
 * same request on a fresh REQ socket, alternating until a server answers or
 * the call is aborted (protocols.md §10.7). Replies of one request can never
 * be taken for another: every socket that carried a request is closed when
 * the request ends, except the one that answered, which carries the next.
 *
 * The failover is quicker than the reference's (see the `failover` module):
 * it votes at the other server every `voteInterval` until that server's
 * peer expiry has passed, instead of sleeping the whole `settleDelay` and
 * sending once. Requests are sent one at a time, in call order, like a REQ
 * socket's; concurrent calls queue.
 *
 * ```ts
 * const client = new BinaryStarClient({ endpoints: ["tcp://primary:5001", "tcp://backup:5002"] });
 * const [reply] = await client.request("hello", { signal: AbortSignal.timeout(30_000) });
 * await client.close();
 * ```
 */
export class BinaryStarClient extends TypedEmitter<BinaryStarClientEvents> {
  /** The two endpoints, `[primary, backup]`. */
  readonly endpoints: readonly [string, string];
  /** The timings in use, defaults applied. */
  readonly timings: Readonly<FailoverTimings>;
  private readonly curve: readonly [CurveClientOptions | undefined, CurveClientOptions | undefined];
  private readonly log: Logger;
  private current: ServerIndex = 0;
  private idle: Attempt | undefined;
  private readonly queue = new Fifo<Job>();
  private running = false;
  private closed = false;
  private runningJob: Job | undefined;
  private counters = { requests: 0, replies: 0, sends: 0, failovers: 0, failed: 0 };

  /** @param options - see {@link BinaryStarClientOptions}. */
  constructor(options: BinaryStarClientOptions) {
    super();
    const { endpoints } = options;
    if (!Array.isArray(endpoints) || endpoints.length !== 2 || !endpoints.every((e) => typeof e === "string" && e)) {
      throw new InvalidOptionError("endpoints must be [primary, backup]: two endpoint strings");
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
    this.curve = Array.isArray(curve) ? [curve[0], curve[1]] : [curve as CurveClientOptions | undefined, curve as CurveClientOptions | undefined];
    for (const c of this.curve) curveSocketOptions(c); // throws InvalidOptionError on a bad key now, not at the first send
    this.log = taggedLogger(options.logger, "bstar-client");
  }

  /** The endpoint the next request goes to first: the server that answered last. */
  get endpoint(): string {
    return this.endpoints[this.current];
  }

  /**
   * Opens the socket to the primary ahead of the first request. Optional:
   * {@link BinaryStarClient.request} opens it when needed.
   *
   * @throws `ClosedError` after {@link BinaryStarClient.close}.
   */
  async start(): Promise<void> {
    if (this.closed) throw new ClosedError("BinaryStarClient is closed");
    this.idle ??= this.open(this.current);
  }

  /**
   * Sends a request and resolves with the reply's frames. Never rejects
   * because a server is down: it keeps alternating between the two until one
   * answers, unless `options.signal` aborts or `options.timeout` passes.
   *
   * @param message - one frame or several.
   * @param options - abort signal and overall deadline.
   * @throws `AbortError`, `TimeoutError`, `ClosedError`.
   */
  request(message: Frame | readonly Frame[], options: RequestOptions = {}): Promise<Buffer[]> {
    if (this.closed) return Promise.reject(new ClosedError("BinaryStarClient is closed"));
    if (options.timeout !== undefined) checkNumber("timeout", options.timeout);
    const frames = toBuffers(message as Frame | Frame[]);
    return new Promise<Buffer[]>((resolve, reject) => {
      const job: Job = { frames, resolve, reject, done: false, stop: undefined, release: () => {} };
      const fail = (error: Error) => {
        if (job.done) return;
        if (job.stop) return job.stop(error);
        this.settle(job, error); // still queued
      };
      if (options.signal?.aborted) return fail(new AbortError(undefined, { cause: options.signal.reason }));
      const deadline =
        options.timeout === undefined
          ? undefined
          : setTimeout(() => fail(new TimeoutError(`No reply from either server within ${options.timeout} ms`)), options.timeout);
      const unlisten = onAbort(options.signal, (reason) => fail(new AbortError(undefined, { cause: reason })));
      job.release = () => {
        clearTimeout(deadline);
        unlisten();
      };
      this.queue.push(job);
      if (!this.running) void this.pump();
    });
  }

  /** A snapshot of the counters. */
  stats(): BinaryStarClientStats {
    return { ...this.counters, endpoint: this.endpoint };
  }

  /** Rejects the pending and queued requests with `ClosedError` and closes every socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new ClosedError("BinaryStarClient is closed");
    for (const job of this.queue.drain()) this.settle(job, error);
    this.runningJob?.stop?.(error);
    this.idle?.close();
    this.idle = undefined;
  }

  /** Ends a job once: with a reply, or with an error. */
  private settle(job: Job, error: Error | undefined, reply?: Buffer[]): void {
    if (job.done) return;
    job.done = true;
    job.stop = undefined;
    job.release();
    if (reply) {
      this.counters.replies++;
      job.resolve(reply);
    } else {
      this.counters.failed++;
      job.reject(error!);
    }
  }

  private open(server: ServerIndex): Attempt {
    return new Attempt(server, this.endpoints[server], this.curve[server]);
  }

  private async pump(): Promise<void> {
    this.running = true;
    let job: Job | undefined;
    while ((job = this.queue.shift()) !== undefined) {
      if (job.done) continue; // aborted or timed out while queued
      this.runningJob = job;
      await this.run(job);
      this.runningJob = undefined;
    }
    this.running = false;
  }

  /** Runs one request through its failover plan; settles the job. */
  private run(job: Job): Promise<void> {
    this.counters.requests++;
    const plan = new FailoverPlan(this.timings, this.current);
    const attempts = new Set<Attempt>();
    let sends = 0;
    return new Promise<void>((resolveRun) => {
      const timer = new Timer(systemClock, () => perform(plan.wake(systemClock.now())));

      const finish = (error: Error | undefined, reply?: Buffer[], winner?: Attempt) => {
        if (job.done) return;
        timer.cancel();
        for (const attempt of attempts) if (attempt !== winner) attempt.close();
        if (winner && reply) {
          winner.onUnreachable = undefined;
          this.current = winner.server;
          if (this.closed) winner.close();
          else this.idle = winner; // it carries the next request
        }
        this.settle(job, error, reply);
        resolveRun();
      };
      job.stop = (error) => finish(error);

      const onUnreachable = (attempt: Attempt) => {
        if (!job.done) perform(plan.unreachable(attempt.server, systemClock.now()));
      };

      const send = (server: ServerIndex, vote: boolean, window: number) => {
        let attempt: Attempt;
        const idle = this.idle;
        this.idle = undefined;
        if (!vote && idle && idle.server === server && !idle.unreachable) {
          attempt = idle;
        } else {
          idle?.close();
          attempt = this.open(server);
        }
        attempt.window = window;
        attempt.onUnreachable = onUnreachable;
        attempts.add(attempt);
        sends++;
        this.counters.sends++;
        if (vote) {
          this.log.debug?.(`vote ${sends} at ${this.endpoints[server]}`);
          this.emit("retry", { endpoint: this.endpoints[server], attempt: sends });
        }
        void this.exchange(attempt, job.frames).then(
          (reply) => {
            if (reply && !job.done) finish(undefined, reply, attempt);
          },
          () => {}, // closed: another attempt won, or the request ended
        );
      };

      const perform = (actions: PlanAction[]) => {
        for (const action of actions) {
          if (job.done) return;
          if (action.type === "failover") {
            this.counters.failovers++;
            const event = { from: this.endpoints[action.from], to: this.endpoints[action.to], reason: action.reason };
            this.log.info?.(`failover from ${event.from} to ${event.to} (${event.reason})`);
            this.emit("failover", event);
            // Keep the sockets of this window and the previous one: a late reply there still counts.
            for (const attempt of attempts) {
              if (attempt.window < action.window - 1) {
                attempt.close();
                attempts.delete(attempt);
              }
            }
          } else {
            try {
              send(action.server, action.vote, action.window);
            } catch (error) {
              // The socket could not be created (e.g. out of file descriptors): fail this request.
              finish(error as Error);
              return;
            }
          }
        }
        if (!job.done) timer.at(plan.wakeAt);
      };

      const idle = this.idle;
      const reachable = !(idle && idle.server === this.current && idle.unreachable);
      perform(plan.begin(systemClock.now(), reachable));
    });
  }

  /** Sends on one socket and waits for its reply; `undefined` if the socket was closed first. */
  private async exchange(attempt: Attempt, frames: Buffer[]): Promise<Buffer[] | undefined> {
    await attempt.socket.send(frames);
    return await attempt.socket.receive();
  }
}
