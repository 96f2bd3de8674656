/**
 * Options, bound endpoints and counters of the `ParanoidPirateQueue` role.
 *
 * @module
 */
import type { Clock, CurveServerOptions, LatencySummary, Logger } from "@zmq-reliable/core";
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
  /**
   * Requests held at most while no worker is ready; a request past it is
   * dropped (`queue-full`) and the client's retry covers it. Default 1000.
   */
  maxQueued?: number;
  /** Bytes (envelope and body, each frame counted 256 bytes above its payload) held at most while no worker is ready; past it a request is dropped (`queue-full`). Default 64 MiB. */
  maxQueuedBytes?: number;
  /**
   * Requests held at most for one client connection (the first frame of the
   * envelope) while no worker is ready, so one client cannot fill the queue
   * and starve the others; past it a request is dropped (`client-full`).
   * Clients behind one intermediate ROUTER/DEALER hop share its quota. Default 100.
   */
  maxQueuedPerClient?: number;
  /**
   * Largest request taken, envelope and body bytes together (counted as for `maxQueuedBytes`); a larger one is
   * dropped (`too-large`). A single frame over twice this never reaches the
   * queue: the frontend's ZMQ_MAXMSGSIZE makes libzmq disconnect its sender
   * before buffering it (not counted). Default 1 MiB.
   */
  maxRequestBytes?: number;
  /**
   * Milliseconds after its arrival at which a request no worker has taken is
   * dropped (`expired`), so a worker that attaches later is never handed
   * requests whose clients gave up. Default 10000: longer than a default
   * Lazy Pirate client waits in all (3 × 2500 ms).
   */
  requestExpiry?: number;
  /**
   * Workers one request may be handed to in all, the first included. A
   * worker that says READY while holding a request gives it back: it goes to
   * the front of the held requests for another worker (`retry`), unless it
   * has been handed to `maxAttempts` workers (then `request-lost`, cause
   * `restarted`). Default 3, as the Majordomo broker's.
   */
  maxAttempts?: number;
  /**
   * ZeroMQ receive high-water mark of the frontend ROUTER, in messages per
   * client connection: what ZeroMQ buffers for a client the queue is not
   * reading (while it drains at close). Default 100.
   */
  receiveHighWaterMark?: number;
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
  /** Requests held while no worker is ready. */
  queued: number;
  /** Bytes (envelope and body) of the requests held while no worker is ready. */
  queuedBytes: number;
  /** Whether the frontend is being read (always, but while draining at close). */
  accepting: boolean;
  /** Messages read from the frontend. */
  frontendReceived: number;
  /** Messages read from the backend. */
  backendReceived: number;
  /** Request read from the frontend → reply forwarded to its client, ms: percentiles over the last 1024 replies within 60 s. */
  latency: LatencySummary;
}
