/**
 * The Majordomo worker role (MDP/Worker 0.1): core's worker link
 * ({@link WorkerLink}) on the MDP worker wire ({@link MajordomoWorkerState}),
 * with the handler.
 *
 * @module
 */
import {
  InvalidOptionError,
  type LinkDropEvent,
  type LinkEvents,
  type WorkerHandler,
  type WorkerHandlerContext,
  type WorkerLinkStats,
  WorkerRole,
  type WorkerRoleOptions,
} from "@zmq-reliable/core";
import { majordomoWorkerLinkOptions, type MajordomoWorkerRequest, type MajordomoWorkerStateOptions, type WorkerWireDropReason } from "./worker-state.js";

/** How long (ms) a closing worker's socket may take to send its last reply and DISCONNECT. */
const CLOSE_LINGER = 200;

/** What a handler gets besides the request body: `signal`, `endpoint` (the broker's), the service and the client. */
export interface MajordomoRequestContext extends WorkerHandlerContext {
  /** The service this worker serves. */
  service: string;
  /** The client's address frame, as the broker gave it. */
  client: Buffer;
}

/**
 * Answers one request (core's `WorkerHandler`; MDP needs at least one body
 * frame, so `[]` and `undefined` are sent as one empty frame). Throwing (or
 * rejecting) means the request could not be served: a `drop` with reason
 * `handler-error`, and the worker tells the broker DISCONNECT and registers
 * again on a fresh socket, so the broker hands the request to another worker
 * (bounded by the broker's `maxAttempts`).
 */
export type MajordomoHandler = WorkerHandler<MajordomoRequestContext>;

/** Options of {@link MajordomoWorker}: the wire's, core's `curve`/`logger`/`clock`, and the handler. */
export interface MajordomoWorkerOptions extends Omit<MajordomoWorkerStateOptions, "random">, WorkerRoleOptions {
  /** Answers requests; see {@link MajordomoHandler}. */
  handler: MajordomoHandler;
}

/** Payload of the worker's `drop` event. */
export type WorkerDropEvent = LinkDropEvent<WorkerWireDropReason>;

/**
 * Events of {@link MajordomoWorker}: core's worker link events (`ready`,
 * `expire`, `disconnect`, `drop`; a failed handler is a drop with reason `handler-error`).
 */
export type MajordomoWorkerEvents = LinkEvents<WorkerWireDropReason>;

/** Counters of {@link MajordomoWorker}. */
export type MajordomoWorkerStats = WorkerLinkStats<WorkerWireDropReason>;

/**
 * A Majordomo worker: registers `service` with a broker and answers its
 * requests with `handler`, one at a time, or `concurrency` at a time: the
 * worker then runs that many sessions (each its own DEALER, identity, READY,
 * heartbeats and reconnects; the broker sees that many workers), all
 * sharing the handler.
 *
 * - On start it opens a DEALER, connects and sends READY.
 * - It heartbeats every `heartbeatInterval`, also while the handler runs,
 *   so the broker never mistakes a long request for a dead worker.
 * - When the broker says DISCONNECT, or is silent for `liveness ×
 *   heartbeatInterval` while the worker is idle, it closes the socket and,
 *   after a back-off delay (`reconnect.initial` doubling up to `reconnect.max`,
 *   reset once the broker talks again), opens a fresh one to the next endpoint
 *   and sends READY again. A reply finished after that is dropped: the broker
 *   forgot the request and gives it to another worker.
 * - {@link MajordomoWorker.close} lets the request in hand finish and be
 *   answered, then sends DISCONNECT and closes; requests that arrived but
 *   had not started are dropped (the broker re-dispatches them once it sees
 *   DISCONNECT).
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
export class MajordomoWorker extends WorkerRole<MajordomoWorkerRequest, WorkerWireDropReason> {
  /** The service this worker serves. */
  readonly service: string;

  /**
   * @param options - see {@link MajordomoWorkerOptions}.
   * @throws `InvalidOptionError` (core) for a missing `endpoint` or `handler`, a bad `service`, or bad numbers.
   */
  constructor(options: MajordomoWorkerOptions) {
    const link = majordomoWorkerLinkOptions(options);
    if (typeof options.handler !== "function") throw new InvalidOptionError("handler must be a function");
    const handler = options.handler;
    const service = options.service;
    super({
      ...options,
      ...link,
      name: "MajordomoWorker",
      what: "majordomo worker",
      tag: `mdp-worker ${service}`,
      logFields: { service },
      closeLinger: CLOSE_LINGER,
      sendTimeout: 0,
      handle: (job, signal) => handler(job.request.body, { signal, service, client: job.request.client, endpoint: job.endpoint }),
    });
    this.service = service;
  }

  /** Whether a request is being handled right now (by any session). */
  get busy(): boolean {
    return this.pool.links.some((l) => l.state.busy);
  }

  /** The endpoints of the current connections, each once (one in `"failover"` mode at `concurrency` 1). */
  get endpoints(): string[] {
    return [...new Set(this.pool.links.flatMap((l) => l.state.endpoints))];
  }
}
