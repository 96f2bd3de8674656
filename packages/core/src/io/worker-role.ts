/**
 * What every worker role (6/PPP, 7/MDP) shares on top of the
 * {@link WorkerLink}: the handler's type ({@link WorkerHandler}), the role
 * options every worker takes ({@link WorkerRoleOptions}), and the base class
 * ({@link WorkerRole}) with the role's `start()`, `close({ timeout })`,
 * `phase` and `stats()`, over `concurrency` sessions ({@link WorkerLinkPool}).
 * A worker role is its wire, its options, its handler context and a
 * constructor.
 *
 * @module
 */
import type { Clock } from "../pure/clock.js";
import type { Frame } from "../pure/frames.js";
import { type LogFields, type Logger, taggedLogger } from "../pure/logger.js";
import type { LinkEvents, LinkPhase, WorkerLinkStats } from "../machines/worker-link-types.js";
import type { CurveClientOptions } from "../security/curve.js";
import { TypedEmitter } from "./events.js";
import type { CloseOptions } from "./lifecycle.js";
import { WorkerLink, type WorkerLinkShellOptions } from "./worker-link.js";
import { WorkerLinkPool, workerConcurrency } from "./worker-pool.js";

/** What every worker handler learns about a request besides its body; a pattern adds its own fields. */
export interface WorkerHandlerContext {
  /** Aborts when the worker's `close()` stops waiting for the handler (its `timeout` passed). */
  signal: AbortSignal;
  /** The endpoint the request came through. */
  endpoint: string;
}

/**
 * Answers one request: receives its content frames (one or more) and the
 * pattern's context `C`, and returns the reply's frames: one frame or an
 * array; `[]` and `undefined` reply with one empty frame ({@link replyFrames}).
 * May be async; the worker keeps heartbeating while it runs.
 */
export type WorkerHandler<C extends WorkerHandlerContext = WorkerHandlerContext> = (
  body: Buffer[],
  context: C,
) => Frame | readonly Frame[] | undefined | PromiseLike<Frame | readonly Frame[] | undefined>;

/** Options every worker role takes besides its wire's. */
export interface WorkerRoleOptions {
  /** CURVE: the peer's (queue's, broker's) public key and this worker's key pair. */
  curve?: CurveClientOptions;
  /** Where to log; nothing is logged without one. */
  logger?: Logger;
  /** Clock for heartbeats, back-off and `close({ timeout })`; default the system clock. */
  clock?: Clock;
  /**
   * How many requests are handled at once (default 1, at most 1024). The
   * wire hands a connection one request at a time, so the worker runs this
   * many sessions: each its own socket and identity, READY, heartbeats and
   * reconnects, all sharing the handler; the peer sees that many workers.
   * Events of every session are the role's; `stats()` sums them. libzmq
   * opens at most 1,023 sockets per process by default: past about 1,000
   * sessions (sockets in all), raise `zmq.context.maxSockets` before the
   * process creates its first socket.
   */
  concurrency?: number;
}

/** What a {@link WorkerRole} subclass gives its base: the link's options, less `emit` (the role emits), with a log tag. */
export type WorkerRoleLinkOptions<R, D extends string> = Omit<WorkerLinkShellOptions<R, D>, "emit"> & {
  /** The tag in front of every log line (`"ppp-worker"`); the `logger` is the role's, untagged. */
  tag: string;
  /** Fields every structured log line of the role carries besides `role` (the MDP worker's `service`). */
  logFields?: LogFields;
};

/**
 * The base of every worker role: holds `concurrency` {@link WorkerLink}s (one
 * by default), forwards their events (`ready`, `expire`, `disconnect`,
 * `drop`: {@link LinkEvents}) and gives the role its lifecycle. `R` is the
 * pattern's decoded request, `D` its wire's own drop reasons.
 */
export abstract class WorkerRole<R, D extends string> extends TypedEmitter<LinkEvents<D>> {
  /** The sessions this role runs on. */
  protected readonly pool: WorkerLinkPool<R, D>;

  /**
   * @param options - the link's options; see {@link WorkerRoleLinkOptions}.
   * @throws {@link InvalidOptionError} for a bad `concurrency`, or bad heartbeat, liveness or back-off settings.
   */
  protected constructor(options: WorkerRoleLinkOptions<R, D>) {
    super();
    const concurrency = workerConcurrency(options.concurrency);
    this.pool = new WorkerLinkPool<R, D>(
      concurrency,
      (i) =>
        new WorkerLink<R, D>({
          ...options,
          logger: taggedLogger(options.logger, concurrency === 1 ? options.tag : `${options.tag} #${i + 1}`, options.logFields),
          emit: (event, ...args) => this.emit(event, ...(args as LinkEvents<D>[typeof event])),
        }),
    );
  }

  /** The first session (the only one at `concurrency` 1). */
  protected get link(): WorkerLink<R, D> {
    return this.pool.links[0]!;
  }

  /** How many requests the worker handles at once: its sessions. */
  get concurrency(): number {
    return this.pool.links.length;
  }

  /** Where the worker is in its life (with several sessions: closing, connected or waiting if any session is). */
  get phase(): LinkPhase {
    return this.pool.phase;
  }

  /** A snapshot of the counters, summed over the sessions. */
  stats(): WorkerLinkStats<D> {
    return this.pool.stats();
  }

  /**
   * Connects and sends READY (to every peer when the worker registers with
   * several). ZeroMQ connects in the background, so this resolves before the
   * peer is reachable; the worker keeps trying (with back-off) until it is.
   * Idempotent; retryable after a failure.
   *
   * @throws `SocketError` naming the endpoint when one cannot be connected (a bad scheme, say).
   */
  start(): Promise<void> {
    return this.pool.start();
  }

  /**
   * Stops the worker (every session at once): requests waiting their turn
   * are dropped, the requests being handled are finished and their replies sent, then the worker says
   * goodbye where its wire has one (DISCONNECT in 7/MDP; 6/PPP has none: the
   * queue expires the worker) and closes its sockets, lingering briefly for
   * those last messages. Idempotent.
   *
   * @param options - `timeout`: how long to wait for the request in hand, in
   *   ms (default: as long as it takes). Past it, the request is abandoned (a
   *   `drop` event with reason `closing`, its `signal` aborts, its reply is
   *   never sent) and the worker closes.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.pool.close(options.timeout ?? Number.POSITIVE_INFINITY);
  }
}
