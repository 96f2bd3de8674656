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

/** The shape of {@link PARANOID_PIRATE_DEFAULTS}. */
export interface ParanoidPirateDefaults {
  /** Where the queue binds its frontend ROUTER (clients). */
  readonly frontend: string;
  /** Where the queue binds its backend ROUTER (workers). */
  readonly backend: string;
  /** Where a worker connects (the queue's backend). */
  readonly endpoint: string;
  /** Milliseconds between heartbeats, both directions (`HEARTBEAT_INTERVAL`). */
  readonly heartbeatInterval: number;
  /** Intervals of silence after which the peer is dead (`HEARTBEAT_LIVENESS`). */
  readonly liveness: number;
  /** The worker's reconnect back-off (`INTERVAL_INIT`, `INTERVAL_MAX`). */
  readonly reconnect: Readonly<Required<ReconnectOptions>>;
}

/**
 * The reference values every option defaults to: endpoints 5555/5556,
 * 1000 ms heartbeats, liveness 3, reconnect back-off 1 s doubling to 32 s.
 */
export const PARANOID_PIRATE_DEFAULTS: ParanoidPirateDefaults = Object.freeze({
  frontend: "tcp://*:5555",
  backend: "tcp://*:5556",
  endpoint: "tcp://localhost:5556",
  heartbeatInterval: 1000,
  liveness: 3,
  reconnect: Object.freeze({ initial: 1000, max: 32_000, factor: 2, jitter: 0 }),
});
