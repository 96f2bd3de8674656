/**
 * The Majordomo worker role (MDP/Worker 0.1): core's worker link
 * ({@link WorkerLink}) on the MDP worker wire ({@link MajordomoWorkerState}),
 * with the handler.
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
import { majordomoWorkerLinkOptions, type MajordomoWorkerRequest, type MajordomoWorkerStateOptions, type WorkerWireDropReason } from "./worker-state.js";

/** How long (ms) a closing worker's socket may take to send its last reply and DISCONNECT. */
const CLOSE_LINGER = 200;

/** What a handler gets besides the request body. */
export interface MajordomoRequestContext {
  /** Aborts when {@link MajordomoWorker.close} stops waiting for the handler (its `timeout` passed). */
  signal: AbortSignal;
  /** The service this worker serves. */
  service: string;
  /** The client's address frame, as the broker gave it. */
  client: Buffer;
  /** The broker endpoint the request came through. */
  endpoint: string;
}

/**
 * Answers one request. Return (or resolve with) one frame or several; `[]`
 * and `undefined` are sent as one empty frame (core's `replyFrames`; MDP needs
 * at least one body frame). Throwing (or rejecting) means the request could
 * not be served: a `drop` with reason `handler-error`, and the worker tells
 * the broker DISCONNECT and registers again on a fresh socket, so the broker
 * hands the request to another worker (bounded by the broker's `maxAttempts`).
 */
export type MajordomoHandler = (
  body: Buffer[],
  context: MajordomoRequestContext,
) => Frame | readonly Frame[] | undefined | PromiseLike<Frame | readonly Frame[] | undefined>;

/** Options of {@link MajordomoWorker}. */
export interface MajordomoWorkerOptions extends Omit<MajordomoWorkerStateOptions, "random"> {
  /** Answers requests; see {@link MajordomoHandler}. */
  handler: MajordomoHandler;
  /** CURVE keys: the broker's public key and this worker's key pair. */
  curve?: CurveClientOptions;
  /** Where to log; nothing is logged without it. */
  logger?: Logger;
  /** Clock for heartbeats, back-off and `close({ timeout })`; default the system clock. */
  clock?: Clock;
}

/** Payload of the worker's `drop` event. */
export type WorkerDropEvent = LinkDropEvent<WorkerWireDropReason>;

/** Events of {@link MajordomoWorker}. */
export type MajordomoWorkerEvents = {
  /** A connection opened and READY was sent. */
  ready: [LinkReadyEvent];
  /** A broker was silent for `liveness` intervals while the worker was idle on it; a `disconnect` follows. */
  expire: [LinkExpireEvent];
  /** A connection ended (`reason`); a new one follows after `reconnectIn` ms unless closing. */
  disconnect: [LinkDisconnectEvent];
  /** A message, request or reply was dropped (a failed handler is a drop with reason `handler-error`). */
  drop: [WorkerDropEvent];
};

/** Counters of {@link MajordomoWorker}. */
export type MajordomoWorkerStats = WorkerLinkStats<WorkerWireDropReason>;

/**
 * A Majordomo worker: registers `service` with a broker and answers its
 * requests with `handler`, one at a time.
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
 *   answered, then sends DISCONNECT and closes.
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
export class MajordomoWorker extends TypedEmitter<MajordomoWorkerEvents> {
  /** The service this worker serves. */
  readonly service: string;
  private readonly link: WorkerLink<MajordomoWorkerRequest, WorkerWireDropReason>;

  /**
   * @param options - see {@link MajordomoWorkerOptions}.
   * @throws `InvalidOptionError` (core) for a missing `endpoint` or `handler`, a bad `service`, or bad numbers.
   */
  constructor(options: MajordomoWorkerOptions) {
    super();
    const link = majordomoWorkerLinkOptions(options);
    if (typeof options.handler !== "function") throw new InvalidOptionError("handler must be a function");
    const handler = options.handler;
    const service = (this.service = options.service);
    this.link = new WorkerLink({
      ...link,
      name: "MajordomoWorker",
      what: "majordomo worker",
      closeLinger: CLOSE_LINGER,
      sendTimeout: 0,
      curve: options.curve,
      clock: options.clock,
      logger: taggedLogger(options.logger, `mdp-worker ${service}`),
      emit: (event, ...args) => this.emit(event, ...(args as MajordomoWorkerEvents[typeof event])),
      handle: (job, signal) => handler(job.request.body, { signal, service, client: job.request.client, endpoint: job.endpoint }),
    });
  }

  /** Whether a request is being handled right now. */
  get busy(): boolean {
    return this.link.state.busy;
  }

  /** The endpoints of the current connections (one in `"failover"` mode). */
  get endpoints(): string[] {
    return this.link.state.endpoints;
  }

  /** Where the worker is in its life. */
  get phase(): LinkPhase {
    return this.link.phase;
  }

  /** Counters; see {@link MajordomoWorkerStats}. */
  stats(): MajordomoWorkerStats {
    return this.link.stats();
  }

  /**
   * Connects and sends READY (to every broker in `"all"` mode). Idempotent;
   * retryable after a failure.
   *
   * @throws `SocketError` naming the endpoint when one cannot be connected (a bad scheme, say).
   */
  start(): Promise<void> {
    return this.link.start();
  }

  /**
   * Stops taking requests, lets the request in hand finish and sends its
   * reply, then sends DISCONNECT to the broker(s) and closes. Requests that
   * arrived but had not started are dropped (the broker re-dispatches them
   * once it sees DISCONNECT). Idempotent.
   *
   * @param options - `timeout`: give up waiting for the handler after this
   *   many ms (its `context.signal` aborts, and its reply, if any, is not
   *   sent); default: as long as it takes.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    return this.link.close(options.timeout ?? Number.POSITIVE_INFINITY);
  }
}
