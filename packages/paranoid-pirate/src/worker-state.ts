/**
 * The 6/PPP worker's behaviour, without sockets or timers: core's worker link
 * ({@link WorkerLinkState}) on the PPP wire. READY first on every fresh
 * connection, heartbeats at the interval (idle and busy), the queue's
 * liveness, reconnects with exponential back-off (rotating through the
 * endpoints), one request at a time. A failed handler sends no reply: the
 * worker says READY again, so the queue knows it is free. PPP has no goodbye.
 *
 * Like the reference `ppworker.c` (which does not poll while it works), the
 * queue's silence is only held against it while the worker is idle: a
 * request's run time never counts, and the count restarts when it ends. So
 * this worker also works with queues that heartbeat idle workers only, such
 * as the reference `ppqueue`.
 *
 * @module
 */
import { type LinkDropReason, type LinkIncoming, type WorkerConnectOptions, workerEndpoints, type WorkerLinkOptions, WorkerLinkState, type WorkerWire } from "@zmq-reliable/core";
import { PARANOID_PIRATE_DEFAULTS } from "./defaults.js";
import { decodeQueueMessage, encodeHeartbeat, encodeReady, encodeReply, isCommandShaped } from "./protocol.js";

/** Why the PPP wire drops a message from the queue. */
export type WorkerWireDropReason =
  /** A one-byte command from the queue that is not HEARTBEAT. */
  | "unknown-command"
  /** An empty or otherwise malformed message from the queue. */
  | "malformed-message";

/** Why a worker dropped a message, a request or a reply: the wire's reasons and the link's. */
export type WorkerDropReason = LinkDropReason<WorkerWireDropReason>;

/** A request as the worker holds it. */
export interface WorkerRequest {
  /** The client address stack, echoed in the reply. */
  envelope: Buffer[];
  /** The content frames, handed to the handler. */
  body: Buffer[];
}

/** The 6/PPP worker wire: READY `[0x01]`, HEARTBEAT `[0x02]`, replies `[envelope…, ∅, body…]`, no DISCONNECT. */
export const PPP_WORKER_WIRE: WorkerWire<WorkerRequest, WorkerWireDropReason> = Object.freeze({
  ready: encodeReady,
  heartbeat: encodeHeartbeat,
  reply: (request: WorkerRequest, body: Parameters<typeof encodeReply>[1]) => encodeReply(request.envelope, body),
  classify(frames: Buffer[]): LinkIncoming<WorkerRequest, WorkerWireDropReason> {
    try {
      const message = decodeQueueMessage(frames);
      if (message.type === "heartbeat") return { type: "heartbeat" };
      return { type: "request", request: { envelope: message.envelope, body: message.body } };
    } catch (error) {
      return { type: "malformed", reason: isCommandShaped(frames) ? "unknown-command" : "malformed-message", error };
    }
  },
  onHandlerError: "ready",
});

/**
 * Options of {@link WorkerState}: `endpoint` (the queue's backend endpoint,
 * or several in rotation order), `heartbeatInterval` (default 1000 ms),
 * `liveness` (intervals of queue silence while idle; default 3), `reconnect`
 * (default 1 s doubling to 32 s, reset when the queue is heard from) and
 * `random`.
 */
export type WorkerStateOptions = WorkerConnectOptions;

/**
 * Resolves a worker's options against {@link PARANOID_PIRATE_DEFAULTS} into
 * the link's.
 *
 * @param options - the worker's options.
 * @throws `InvalidOptionError` (core) when `endpoint` is missing or empty (there is no default: a
 *   worker given `undefined` must not quietly connect somewhere else).
 */
export function workerLinkOptions(options: WorkerStateOptions): WorkerLinkOptions<WorkerRequest, WorkerWireDropReason> {
  const endpoints = workerEndpoints(options.endpoint, "ParanoidPirateWorker: endpoint is required (the queue's backend endpoint, or a list)");
  const defaults = PARANOID_PIRATE_DEFAULTS.reconnect;
  const initial = options.reconnect?.initial ?? defaults.initial;
  return {
    wire: PPP_WORKER_WIRE,
    lines: [endpoints],
    heartbeatInterval: options.heartbeatInterval ?? PARANOID_PIRATE_DEFAULTS.heartbeatInterval,
    liveness: options.liveness ?? PARANOID_PIRATE_DEFAULTS.liveness,
    reconnect: { ...defaults, ...options.reconnect, initial, max: options.reconnect?.max ?? Math.max(initial, defaults.max) },
    random: options.random,
  };
}

/**
 * The pure 6/PPP worker: core's {@link WorkerLinkState} on {@link PPP_WORKER_WIRE}.
 * Feed it `start`, the queue's messages, `done` results, `close`, and `wake`
 * at {@link WorkerLinkState.wakeAt}; perform the actions it returns.
 */
export class WorkerState extends WorkerLinkState<WorkerRequest, WorkerWireDropReason> {
  /**
   * @param options - see {@link WorkerStateOptions}.
   * @param now - the current clock time.
   */
  constructor(options: WorkerStateOptions, now: number) {
    super(workerLinkOptions(options), now);
  }
}
