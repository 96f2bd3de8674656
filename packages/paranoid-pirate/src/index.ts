/**
 * `@zmq-reliable/paranoid-pirate`: the Paranoid Pirate pattern (6/PPP) on
 * zeromq v6. A {@link ParanoidPirateQueue} between Lazy Pirate clients and
 * {@link ParanoidPirateWorker}s, with heartbeats in both directions, worker
 * expiry, reconnects with exponential back-off, and the wire of the reference
 * `ppqueue`/`ppworker` byte for byte.
 *
 * The pure, socket-free parts ({@link QueueState}, {@link WorkerState}, the
 * codec in `protocol`) are exported too, for testing and for embedding the
 * behaviour in other transports.
 *
 * @packageDocumentation
 */
export { PARANOID_PIRATE_DEFAULTS, type ParanoidPirateDefaults } from "./defaults.js";
export {
  decodeClientRequest,
  decodeEnvelope,
  decodeQueueMessage,
  decodeWorkerMessage,
  encodeHeartbeat,
  encodeReady,
  encodeReply,
  encodeRequest,
  type Envelope,
  HEARTBEAT_FRAME,
  isCommandShaped,
  PPP_HEARTBEAT,
  PPP_READY,
  type QueueMessage,
  READY_FRAME,
  type WorkerMessage,
} from "./protocol.js";
export {
  type ParanoidPirateQueueEvents,
  QUEUE_DROP_REASONS,
  type QueueDropEvent,
  type QueueDropReason,
  type QueueStateEvents,
  type RequestLostCause,
  type RequestLostEvent,
  type RetryEvent,
  type RetryReason,
  type WorkerExpiredEvent,
  type WorkerReadyEvent,
} from "./queue-events.js";
export {
  type BackendMessage,
  decodeBackendMessage,
  decodeFrontendMessage,
  type FrontendMessage,
  type QueueAction,
  type QueueChannel,
  type QueueInput,
} from "./queue-messages.js";
export type { InFlightRequest } from "./queue-registry-state.js";
export { QueueState, type QueueStateCounters, type QueueStateOptions } from "./queue-state.js";
export {
  PPP_WORKER_WIRE,
  type WorkerDropReason,
  type WorkerRequest,
  WorkerState,
  type WorkerStateOptions,
  type WorkerWireDropReason,
  workerLinkOptions,
} from "./worker-state.js";
export { ParanoidPirateQueue } from "./queue.js";
export type { ParanoidPirateQueueOptions, ParanoidPirateQueueStats, QueueBindOptions, QueueEndpoints } from "./queue-options.js";
export {
  ParanoidPirateWorker,
  type ParanoidPirateWorkerEvents,
  type ParanoidPirateWorkerOptions,
  type ParanoidPirateWorkerStats,
  type RequestContext,
  type RequestHandler,
  type WorkerDropEvent,
} from "./worker.js";
