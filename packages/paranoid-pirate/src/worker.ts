/**
 * The Paranoid Pirate worker role: core's worker link ({@link WorkerLink})
 * on the PPP wire ({@link WorkerState}), with the handler.
 *
 * @module
 */
import {
  type Clock,
  type CurveClientOptions,
  type Frame,
  InvalidOptionError,
  type LinkDisconnectEvent,
  type LinkDropEvent,
  type LinkExpireEvent,
  type LinkPhase,
  type LinkReadyEvent,
  type Logger,
  taggedLogger,
  TypedEmitter,
  WorkerLink,
  type WorkerLinkStats,
} from "@zmq-reliable/core";
import { type WorkerRequest, type WorkerStateOptions, type WorkerWireDropReason, workerLinkOptions } from "./worker-state.js";

/** What the handler learns about a request besides its body. */
export interface RequestContext {
  /** Aborts when {@link ParanoidPirateWorker.close} stops waiting for the handler (its `timeout` passed). */
  signal: AbortSignal;
  /** The client address stack the reply will be routed by (a direct REQ client's queue-side id first). */
  envelope: readonly Buffer[];
  /** The queue endpoint the request came through. */
  endpoint: string;
}

/**
 * Answers one request. Receives the request's content frames (one or more)
 * and returns the reply's: a single frame or an array; `[]` and `undefined`
 * reply with one empty frame (core's `replyFrames`). May be async; the worker
 * keeps heartbeating while it runs. If it throws, no reply is sent (the
 * client's retry covers it), a `drop` event with reason `handler-error` is
 * emitted and the worker says READY again.
 */
export type RequestHandler = (
  body: Buffer[],
  context: RequestContext,
) => Frame | readonly Frame[] | undefined | PromiseLike<Frame | readonly Frame[] | undefined>;

/** Options of {@link ParanoidPirateWorker}. */
export interface ParanoidPirateWorkerOptions extends Omit<WorkerStateOptions, "random"> {
  /** Answers requests, one at a time. */
  handler: RequestHandler;
  /** CURVE: the queue's public key and this worker's key pair. */
  curve?: CurveClientOptions;
  /** Where to log; nothing is logged without one. */
  logger?: Logger;
  /** Clock for heartbeats, back-off and `close({ timeout })`; default the system clock. */
  clock?: Clock;
}

/** Payload of the worker's `drop` event. */
export type WorkerDropEvent = LinkDropEvent<WorkerWireDropReason>;

/** Events of {@link ParanoidPirateWorker}. */
export type ParanoidPirateWorkerEvents = {
  /** A fresh socket was connected and READY sent on it. */
  ready: [LinkReadyEvent];
  /** The queue was silent for `liveness` intervals while the worker was idle; a `disconnect` follows. */
  expire: [LinkExpireEvent];
  /** A connection ended (`reason`); a fresh socket follows after `reconnectIn` ms unless closing. */
  disconnect: [LinkDisconnectEvent];
  /** A message, request or reply was dropped. */
  drop: [WorkerDropEvent];
};

/** Counters of {@link ParanoidPirateWorker}. */
export type ParanoidPirateWorkerStats = WorkerLinkStats<WorkerWireDropReason>;

/**
 * A Paranoid Pirate (6/PPP) worker. Connects a DEALER to the queue, sends
 * READY, then answers requests one at a time with its handler. It heartbeats
 * the queue every `heartbeatInterval` ms, idle or busy; when the queue has
 * been silent for `liveness` intervals while the worker is idle, it closes the
 * socket, waits (1 s doubling to 32 s by default), and starts over on a fresh
 * socket (to the next endpoint, when several are given) with READY.
 *
 * ```ts
 * const worker = new ParanoidPirateWorker({
 *   endpoint: "tcp://localhost:5556",
 *   handler: async ([name]) => `hello ${name}`,
 * });
 * await worker.start();
 * // ...
 * await worker.close(); // finishes the request in hand first
 * ```
 */
export class ParanoidPirateWorker extends TypedEmitter<ParanoidPirateWorkerEvents> {
  /** Milliseconds between heartbeats. */
  readonly heartbeatInterval: number;
  /** Intervals of queue silence before reconnecting. */
  readonly liveness: number;
  private readonly link: WorkerLink<WorkerRequest, WorkerWireDropReason>;

  /**
   * @param options - see {@link ParanoidPirateWorkerOptions}; `endpoint` and `handler` are required.
   * @throws `InvalidOptionError` (core) for a missing `endpoint` or `handler`, or bad heartbeat or back-off settings.
   */
  constructor(options: ParanoidPirateWorkerOptions) {
    super();
    if (typeof options?.handler !== "function") throw new InvalidOptionError("ParanoidPirateWorker needs a handler function");
    const handler = options.handler;
    const link = workerLinkOptions(options);
    this.heartbeatInterval = link.heartbeatInterval;
    this.liveness = link.liveness;
    this.link = new WorkerLink({
      ...link,
      name: "ParanoidPirateWorker",
      what: "ppp worker",
      closeLinger: link.heartbeatInterval,
      curve: options.curve,
      clock: options.clock,
      logger: taggedLogger(options.logger, "ppp-worker"),
      emit: (event, ...args) => this.emit(event, ...(args as ParanoidPirateWorkerEvents[typeof event])),
      handle: (job, signal) => handler(job.request.body, { signal, envelope: job.request.envelope, endpoint: job.endpoint }),
    });
  }

  /** The queue endpoint the worker is connected to (or connects to next). */
  get endpoint(): string {
    return this.link.state.endpoints[0]!;
  }

  /** Where the worker is in its life. */
  get phase(): LinkPhase {
    return this.link.phase;
  }

  /** A snapshot of the counters. */
  stats(): ParanoidPirateWorkerStats {
    return this.link.stats();
  }

  /**
   * Connects to the queue and sends READY. ZeroMQ connects in the
   * background, so this resolves before the queue is reachable; the worker
   * keeps trying (with back-off) until it is. Idempotent; retryable after a failure.
   *
   * @throws `SocketError` naming the endpoint when it cannot be connected (a bad scheme, say).
   */
  start(): Promise<void> {
    return this.link.start();
  }

  /**
   * Stops the worker: requests waiting their turn are dropped, the request
   * being handled is finished and its reply sent, then the socket is closed
   * (lingering up to one heartbeat interval for that reply) and every timer
   * cancelled. PPP has no goodbye: the queue expires the worker after
   * `liveness` intervals. Idempotent.
   *
   * @param options - `timeout`: how long to wait for the request in hand, in
   *   ms (default: as long as it takes). Past it, the request is abandoned
   *   (a `drop` event with reason `closing`, its `signal` aborts, its reply is
   *   never sent) and the worker closes.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    return this.link.close(options.timeout ?? Number.POSITIVE_INFINITY);
  }
}
