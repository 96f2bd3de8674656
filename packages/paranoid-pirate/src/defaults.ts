/**
 * Reference defaults of 6/PPP (`ppqueue.c`, `ppworker.c`; protocols.md §4.4).
 *
 * @module
 */
import type { ReconnectOptions } from "@zmq-reliable/core";

/** The shape of {@link PARANOID_PIRATE_DEFAULTS}. */
export interface ParanoidPirateDefaults {
  /** Where the queue binds its frontend ROUTER (clients). */
  readonly frontend: string;
  /** Where the queue binds its backend ROUTER (workers). */
  readonly backend: string;
  /** Milliseconds between heartbeats, both directions (`HEARTBEAT_INTERVAL`). */
  readonly heartbeatInterval: number;
  /** Intervals of silence after which the peer is dead (`HEARTBEAT_LIVENESS`). */
  readonly liveness: number;
  /** The worker's reconnect back-off (`INTERVAL_INIT`, `INTERVAL_MAX`). */
  readonly reconnect: Readonly<Required<ReconnectOptions>>;
}

/**
 * The reference values every option defaults to: the queue's endpoints 5555/5556
 * (a worker has no default endpoint: it must be told where the queue is),
 * 1000 ms heartbeats, liveness 3, reconnect back-off 1 s doubling to 32 s.
 */
export const PARANOID_PIRATE_DEFAULTS: ParanoidPirateDefaults = Object.freeze({
  frontend: "tcp://*:5555",
  backend: "tcp://*:5556",
  heartbeatInterval: 1000,
  liveness: 3,
  reconnect: Object.freeze({ initial: 1000, max: 32_000, factor: 2, jitter: 0 }),
});
