/**
 * The Paranoid Pirate worker role: core's worker link ({@link WorkerLink})
 * on the PPP wire ({@link WorkerState}), with the handler.
 *
 * @module
 */
import {
  InvalidOptionError,
  type LinkDropEvent,
  type LinkEvents,
  type WorkerHandler,
  type WorkerHandlerContext,
  WorkerRole,
  type WorkerLinkStats,
  type WorkerRoleOptions,
} from "@zmq-reliable/core";
import { type WorkerRequest, type WorkerStateOptions, type WorkerWireDropReason, workerLinkOptions } from "./worker-state.js";

/** What the handler learns about a request besides its body: `signal`, `endpoint` (the queue's), and the envelope. */
export interface RequestContext extends WorkerHandlerContext {
  /** The client address stack the reply will be routed by (a direct REQ client's queue-side id first). */
  envelope: readonly Buffer[];
}

/**
 * Answers one request (core's `WorkerHandler`). If it throws, no reply is
 * sent (the client's retry covers it), a `drop` event with reason
 * `handler-error` is emitted and the worker says READY again.
 */
export type RequestHandler = WorkerHandler<RequestContext>;

/** Options of {@link ParanoidPirateWorker}: the wire's, core's `curve`/`logger`/`clock`, and the handler. */
export interface ParanoidPirateWorkerOptions extends Omit<WorkerStateOptions, "random">, WorkerRoleOptions {
  /** Answers requests, one at a time per session (see `concurrency`). */
  handler: RequestHandler;
}

/** Payload of the worker's `drop` event. */
export type WorkerDropEvent = LinkDropEvent<WorkerWireDropReason>;

/** Events of {@link ParanoidPirateWorker}: core's worker link events (`ready`, `expire`, `disconnect`, `drop`). */
export type ParanoidPirateWorkerEvents = LinkEvents<WorkerWireDropReason>;

/** Counters of {@link ParanoidPirateWorker}. */
export type ParanoidPirateWorkerStats = WorkerLinkStats<WorkerWireDropReason>;

/**
 * A Paranoid Pirate (6/PPP) worker. Connects a DEALER to the queue, sends
 * READY, then answers requests one at a time with its handler (or
 * `concurrency` at a time: that many sessions, each its own DEALER, identity,
 * READY, heartbeats and reconnects; the queue sees that many workers). It heartbeats
 * the queue every `heartbeatInterval` ms, idle or busy; when the queue has
 * been silent for `liveness` intervals while the worker is idle, it closes the
 * socket, waits (1 s doubling to 32 s by default), and starts over on a fresh
 * socket (to the next endpoint, when several are given) with READY.
 * `close()` finishes the request in hand and sends its reply, lingering up to
 * one heartbeat interval for it; PPP has no goodbye: the queue expires the
 * worker after `liveness` intervals.
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
export class ParanoidPirateWorker extends WorkerRole<WorkerRequest, WorkerWireDropReason> {
  /** Milliseconds between heartbeats. */
  readonly heartbeatInterval: number;
  /** Intervals of queue silence before reconnecting. */
  readonly liveness: number;

  /**
   * @param options - see {@link ParanoidPirateWorkerOptions}; `endpoint` and `handler` are required.
   * @throws `InvalidOptionError` (core) for a missing `endpoint` or `handler`, or bad heartbeat or back-off settings.
   */
  constructor(options: ParanoidPirateWorkerOptions) {
    if (typeof options?.handler !== "function") throw new InvalidOptionError("ParanoidPirateWorker needs a handler function");
    const handler = options.handler;
    const link = workerLinkOptions(options);
    super({
      ...options,
      ...link,
      name: "ParanoidPirateWorker",
      what: "ppp worker",
      tag: "ppp-worker",
      closeLinger: link.heartbeatInterval,
      handle: (job, signal) => handler(job.request.body, { signal, envelope: job.request.envelope, endpoint: job.endpoint }),
    });
    this.heartbeatInterval = link.heartbeatInterval;
    this.liveness = link.liveness;
  }

  /** The queue endpoint the worker (its first session) is connected to (or connects to next). */
  get endpoint(): string {
    return this.link.state.endpoints[0]!;
  }
}
