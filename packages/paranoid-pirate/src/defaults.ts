/**
 * Reference defaults of 6/PPP (`ppqueue.c`, `ppworker.c`; protocols.md §4.4).
 *
 * @module
 */

/** Back-off settings of a worker's reconnects. */
export interface ReconnectOptions {
  /** First wait in ms after the queue fell silent. Default 1000 (`INTERVAL_INIT`). */
  initial?: number;
  /** Longest wait in ms; the wait doubles up to this. Default 32,000 (`INTERVAL_MAX`). */
  max?: number;
  /** Multiplier applied after each wait. Default 2. */
  factor?: number;
  /** Fraction (0–1) of each wait that is randomised downwards. Default 0, as the reference. */
  jitter?: number;
}

/**
 * The reference values every option defaults to: endpoints 5555/5556,
 * 1000 ms heartbeats, liveness 3, reconnect back-off 1 s doubling to 32 s.
 */
export const PARANOID_PIRATE_DEFAULTS = Object.freeze({
  /** Where the queue binds its frontend ROUTER (clients). */
  frontend: "tcp://*:5555",
  /** Where the queue binds its backend ROUTER (workers). */
  backend: "tcp://*:5556",
  /** Where a worker connects (the queue's backend). */
  endpoint: "tcp://localhost:5556",
  /** Milliseconds between heartbeats, both directions (`HEARTBEAT_INTERVAL`). */
  heartbeatInterval: 1000,
  /** Intervals of silence after which the peer is dead (`HEARTBEAT_LIVENESS`). */
  liveness: 3,
  /** The worker's reconnect back-off (`INTERVAL_INIT`, `INTERVAL_MAX`). */
  reconnect: Object.freeze({ initial: 1000, max: 32_000, factor: 2, jitter: 0 }),
});
