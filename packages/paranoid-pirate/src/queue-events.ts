/**
 * The events of the Paranoid Pirate queue and their payloads: what
 * `QueueState` emits and `ParanoidPirateQueue` re-emits. Types
 * only.
 *
 * @module
 */
import type { ProtocolError, ZmqReliableError } from "@zmq-reliable/core";

/** Why the queue dropped a message. */
export type QueueDropReason =
  /** A client message without the `[id, ∅, body…]` shape. */
  | "malformed-request"
  /** A client request arrived, or was still held, while the queue is draining (closing with a timeout). */
  | "no-worker"
  /** A client request larger than `maxRequestBytes` (envelope and body). */
  | "too-large"
  /** A client request arrived while no worker was ready and the queue already held `maxQueued` requests or `maxQueuedBytes` bytes. */
  | "queue-full"
  /** A client request arrived while no worker was ready and the queue already held `maxQueuedPerClient` requests from its connection. */
  | "client-full"
  /** A held client request no worker took within `requestExpiry` ms of its arrival: it is never dispatched. */
  | "expired"
  /** A one-byte command from a worker that is neither READY nor HEARTBEAT. */
  | "unknown-command"
  /** An empty or otherwise malformed message from a worker. */
  | "malformed-message"
  /** A heartbeat or reply from a worker that never sent READY, or was expired. */
  | "unknown-worker"
  /** A reply from a registered worker that held no request, or addressed to a client other than the one whose request it holds (forged or stale). */
  | "unexpected-reply";

/** Every {@link QueueDropReason}, for counters. */
export const QUEUE_DROP_REASONS: readonly QueueDropReason[] = Object.freeze([
  "malformed-request",
  "no-worker",
  "too-large",
  "queue-full",
  "client-full",
  "expired",
  "unknown-command",
  "malformed-message",
  "unknown-worker",
  "unexpected-reply",
]);

/** Payload of the queue's `ready` event. */
export interface WorkerReadyEvent {
  /** The worker's routing id (binary for anonymous DEALERs). */
  worker: Buffer;
}

/** Payload of the queue's `expire` event. */
export interface WorkerExpiredEvent {
  /** The worker's routing id. */
  worker: Buffer;
  /** Whether it held a request; a `request-lost` event follows when it did. */
  busy: boolean;
  /** Milliseconds since it was last heard from. */
  silentFor: number;
}

/** Why a worker gave a request back: it said READY while holding it (it restarted, or its handler failed). */
export type RetryReason = "restarted";

/**
 * Payload of the queue's `retry` event: a worker gave its request back, and
 * the request went back to the front of the held ones, to be handed to
 * another worker (the same names as the Majordomo broker's `retry`).
 */
export interface RetryEvent {
  /** The client's address stack (its frontend routing id first). */
  client: Buffer[];
  /** The request's content frames. */
  request: Buffer[];
  /** The number of the coming hand-over to a worker: 2 for the first re-dispatch. */
  attempt: number;
  /** The worker that gave it back. */
  previous: Buffer;
  /** Why: `restarted`, a READY while holding it. */
  reason: RetryReason;
}

/** Why a request held by a worker will not be answered. */
export type RequestLostCause = "expired" | "restarted" | "closed";

/** Payload of the queue's `request-lost` event. */
export interface RequestLostEvent {
  /** The worker that held the request. */
  worker: Buffer;
  /** The client's address stack (its frontend routing id first). */
  client: Buffer[];
  /** The request's content frames. */
  request: Buffer[];
  /** When the request was handed to the worker (the queue's clock time, ms). */
  since: number;
  /**
   * Why it is lost: the worker `expired`; it said READY while holding it
   * (`restarted`: a fresh start, or its handler failed and it gave the request
   * up) and the request could not be re-queued (it had been handed to
   * `maxAttempts` workers, no longer fit the limits or `requestExpiry`, or
   * the queue was draining); or the queue `closed`.
   */
  cause: RequestLostCause;
}

/** Payload of the queue's `drop` event. */
export interface QueueDropEvent {
  /** Why the message was dropped. */
  reason: QueueDropReason;
  /** The worker it came from, for backend traffic. */
  worker?: Buffer;
  /** The client's address stack, for a well-formed client request. */
  client?: Buffer[];
  /** The decoding error, when there was one. */
  error?: ProtocolError;
}

/** The events `QueueState` emits (through `emit` actions). */
export type QueueStateEvents = {
  /** A worker sent READY and is on the ready list. */
  ready: [WorkerReadyEvent];
  /** A worker was silent for `liveness × heartbeatInterval` and is forgotten. */
  expire: [WorkerExpiredEvent];
  /** A worker died (or restarted) holding a request that cannot be re-dispatched, or the queue closed; the client's retry covers it. */
  "request-lost": [RequestLostEvent];
  /** A worker said READY holding a request; the request is re-queued at the front, for another worker. */
  retry: [RetryEvent];
  /** A message was dropped. */
  drop: [QueueDropEvent];
};

/** Events of `ParanoidPirateQueue`. */
export type ParanoidPirateQueueEvents = QueueStateEvents & {
  /** A socket failure nobody else could report. */
  error: [ZmqReliableError];
};
