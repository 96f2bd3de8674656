/**
 * Reference defaults of 6/PPP (`ppqueue.c`, `ppworker.c`; [Paranoid Pirate protocol: timings and defaults](https://zmq-reliable.github.io/zmq-reliable/documents/Paranoid_Pirate_protocol.html#timings-and-defaults)).
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
  /** Requests the queue holds at most while no worker is ready (not in the reference, which holds none). */
  readonly maxQueued: number;
  /** Bytes of requests the queue holds at most while no worker is ready (not in the reference). */
  readonly maxQueuedBytes: number;
  /** Requests the queue holds at most for one client connection while no worker is ready (not in the reference). */
  readonly maxQueuedPerClient: number;
  /** Largest request the queue takes, envelope and body bytes together (not in the reference). */
  readonly maxRequestBytes: number;
  /** Milliseconds after its arrival at which a request no worker has taken is dropped (not in the reference). */
  readonly requestExpiry: number;
  /** ZeroMQ receive high-water mark of the queue's frontend ROUTER, in messages per client connection. */
  readonly receiveHighWaterMark: number;
  /** Workers the queue hands one request to in all, when workers give it up by saying READY (not in the reference, which loses it at once). */
  readonly maxAttempts: number;
  /** The worker's reconnect back-off (`INTERVAL_INIT`, `INTERVAL_MAX`). */
  readonly reconnect: Readonly<Required<ReconnectOptions>>;
}

/**
 * The reference values every option defaults to: the queue's endpoints 5555/5556
 * (a worker has no default endpoint: it must be told where the queue is),
 * 1000 ms heartbeats, liveness 3, reconnect back-off 1 s doubling to 32 s.
 *
 * The queue's limits are not in the reference (which holds requests inside
 * ZeroMQ without a bound): at most 1000 requests and 64 MiB held while no
 * worker is ready (100 per client connection), requests up to 1 MiB, held requests dropped 10 s after
 * arrival (longer than a default Lazy Pirate client waits for one request in
 * all, 3 attempts × 2.5 s, so a request a client may still take an answer
 * for is never expired, while one from a client that gave up long ago is
 * never handed to a worker), a frontend receive high-water mark of 100
 * messages per connection, and a request given up by a worker (READY while
 * holding it) handed to 3 workers at most (`maxAttempts`, as the Majordomo
 * broker's).
 */
export const PARANOID_PIRATE_DEFAULTS: ParanoidPirateDefaults = Object.freeze({
  frontend: "tcp://*:5555",
  backend: "tcp://*:5556",
  heartbeatInterval: 1000,
  liveness: 3,
  maxQueued: 1000,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxQueuedPerClient: 100,
  maxRequestBytes: 1024 * 1024,
  requestExpiry: 10_000,
  receiveHighWaterMark: 100,
  maxAttempts: 3,
  reconnect: Object.freeze({ initial: 1000, max: 32_000, factor: 2, jitter: 0 }),
});
