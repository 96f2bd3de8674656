/**
 * Options, bound endpoints and counters of the `ParanoidPirateQueue` role.
 *
 * @module
 */
import type { Clock, CurveServerOptions, Logger } from "@zmq-reliable/core";
import type { QueueStateCounters } from "./queue-state.js";

/** Where the queue's two ROUTERs bind. */
export interface QueueBindOptions {
  /** The clients' ROUTER. Default `tcp://*:5555`. */
  frontend?: string;
  /** The workers' ROUTER. Default `tcp://*:5556`. */
  backend?: string;
}

/** Options of `ParanoidPirateQueue`. */
export interface ParanoidPirateQueueOptions {
  /**
   * Where the two ROUTERs bind: `frontend` (clients; default `tcp://*:5555`)
   * and `backend` (workers; default `tcp://*:5556`). `tcp://127.0.0.1:*`
   * picks a free port; read it back from `ParanoidPirateQueue.endpoints`.
   */
  bind?: QueueBindOptions;
  /** Milliseconds between heartbeats to each worker, idle or busy. Default 1000. */
  heartbeatInterval?: number;
  /** Intervals of silence after which a worker is expired. Default 3. */
  liveness?: number;
  /** CURVE key pair of the queue, applied to both ROUTERs (clients and workers then need its public key). */
  curve?: CurveServerOptions;
  /** Where to log; nothing is logged without one. */
  logger?: Logger;
  /** Clock for heartbeats and expiry; default the system clock. */
  clock?: Clock;
}

/** The queue's bound endpoints, as peers on this machine connect to them. */
export interface QueueEndpoints {
  /** Where clients connect, e.g. `tcp://127.0.0.1:5555` for `tcp://*:5555`. */
  readonly frontend: string;
  /** Where workers connect. */
  readonly backend: string;
}

/** Counters of `ParanoidPirateQueue`. */
export interface ParanoidPirateQueueStats extends QueueStateCounters {
  /** Registered workers, idle and busy. */
  workers: number;
  /** Workers ready for a request. */
  ready: number;
  /** Workers holding a request. */
  busy: number;
  /** Requests handed to a worker and not yet answered (one per busy worker). */
  inFlight: number;
  /** Whether the frontend is being read (a worker is ready). */
  accepting: boolean;
  /** Messages read from the frontend. */
  frontendReceived: number;
  /** Messages read from the backend. */
  backendReceived: number;
}
