/**
 * Default values of every Majordomo role.
 *
 * @module
 */

/**
 * Defaults of the Majordomo roles: the reference values of `mdbroker.c`,
 * `mdcliapi.c` and `mdwrkapi.c` ([Majordomo protocol: timings and defaults](https://zmq-reliable.github.io/zmq-reliable/documents/Majordomo_protocol.html#timings-and-defaults)), plus the bounds
 * this implementation adds.
 */
export const MAJORDOMO_DEFAULTS = {
  /** Broker: where to bind (`mdbroker.c`). */
  bind: "tcp://*:5555",
  /** Milliseconds between heartbeats, broker and worker (`HEARTBEAT_INTERVAL`). */
  heartbeatInterval: 2500,
  /** Silent heartbeat intervals before a peer is considered dead (`HEARTBEAT_LIVENESS`). */
  liveness: 3,
  /** Client: milliseconds to wait for a reply per attempt (`mdcliapi.c`). */
  timeout: 2500,
  /** Client: sends in all per request, the first included (`mdcliapi.c`'s `retries`: 3 means 3 sends). */
  attempts: 3,
  /**
   * Worker: back-off between reconnects, in ms: `initial` (`mdwrkapi.c`'s
   * `reconnect`) doubling up to `max`.
   */
  reconnect: {
    /** First reconnect delay in ms (`mdwrkapi.c`). */
    initial: 2500,
    /** Largest reconnect delay in ms; the delay doubles from `initial` up to this. */
    max: 32_000,
  },
  /**
   * Broker: milliseconds a request may wait in a queue, whether or not its
   * service has workers (RFC 7 SHOULD for services with none; the reference
   * waits forever). 7500 ms is the reference client's whole patience
   * (3 attempts × 2500 ms).
   */
  requestExpiry: 7500,
  /** Broker: most requests queued at once, all services together. */
  maxQueued: 100_000,
  /** Broker: most body bytes queued at once, all services together (64 MiB). */
  maxQueuedBytes: 64 * 1024 * 1024,
  /** Broker: most requests queued for one service. */
  maxQueuedPerService: 10_000,
  /** Broker: most body bytes queued for one service (32 MiB). */
  maxQueuedBytesPerService: 32 * 1024 * 1024,
  /** Broker: most requests queued from one client (connection). */
  maxQueuedPerClient: 1000,
  /**
   * Broker: largest request accepted, in bytes, counted as for
   * `maxQueuedBytes` (1 MiB, as the Paranoid Pirate queue and the request
   * server). A bigger frame cannot belong to an accepted request, so the
   * broker's ROUTER refuses it before reading it (`maxMessageSize`).
   */
  maxRequestBytes: 1024 * 1024,
  /** Broker: most services known at once (a service with no worker and no request is forgotten). */
  maxServices: 10_000,
  /** Broker: ZMQ_SNDHWM of its ROUTER, messages queued per peer; a send past it is dropped and counted. */
  sendHighWaterMark: 1000,
  /** Broker: workers a request may be handed to before it is dropped. */
  maxAttempts: 3,
  /** Broker: ms `close()` waits for requests in workers' hands to be answered (graceful drain; 0: none). */
  drainTimeout: 5000,
  /** Client: requests outstanding at once, each on its own REQ socket. */
  concurrency: 256,
} as const;
