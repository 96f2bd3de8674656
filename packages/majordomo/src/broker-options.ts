/**
 * Options of the Majordomo broker: its memory limits, the pure state's
 * options and the role's.
 *
 * @module
 */
import type { AdmissionHook, Clock, CurveServerOptions, Logger } from "@zmq-reliable/core";
import type { BrokerStateEvents } from "./broker-events.js";

/**
 * Options of {@link MajordomoBroker}. The memory limits ({@link BrokerLimits})
 * default to `MAJORDOMO_DEFAULTS`: 100,000 requests and 64 MiB queued in all,
 * 10,000 and 32 MiB per service, 1,000 per client, 16 MiB per request and
 * 10,000 services.
 */
export interface MajordomoBrokerOptions extends BrokerLimits {
  /**
   * Where to bind the broker's one ROUTER: an endpoint (`tcp://*:5555`,
   * `ipc://…`, `tcp://127.0.0.1:*` for an ephemeral port, or a bare
   * transport name `"tcp"`, `"ipc"`, `"inproc"` for a fresh ephemeral one),
   * or several, all on the same socket. Clients and workers share it.
   * Default `tcp://*:5555` ({@link MAJORDOMO_DEFAULTS}`.bind`).
   */
  bind?: string | readonly string[];
  /** Milliseconds between heartbeats to each worker (idle and busy). Default 2500. */
  heartbeatInterval?: number;
  /** Silent intervals before a worker is expired. Default 3 (7500 ms at the default interval). */
  liveness?: number;
  /**
   * Milliseconds a request may wait in a queue, whether or not its service
   * has workers (workers that heartbeat but never take work do not hold it
   * forever); then it is dropped (`"request-expired"`). Default 7500.
   */
  requestExpiry?: number;
  /** Workers a request may be handed to in total (re-dispatch bound). Default 3. */
  maxAttempts?: number;
  /**
   * Consulted before each client request is served (core's admission hook;
   * a Binary Star node implements it). A refused request is dropped silently
   * (a `drop` event with reason `"not-admitted"`), so the client's retry
   * goes to the broker that may serve it. Default: admit everything.
   */
  admission?: AdmissionHook;
  /** CURVE server key; clients and workers then need its public key. */
  curve?: CurveServerOptions;
  /** Where to log; nothing is logged (or formatted) without it. */
  logger?: Logger;
  /**
   * ZMQ_MAXMSGSIZE in bytes, the largest frame the broker's ROUTER reads from
   * any peer, clients and workers alike: libzmq disconnects a peer that sends
   * a bigger one before it is read, so many connections sending huge frames
   * cannot fill the broker's memory. Default `maxRequestBytes` (1 MiB): no
   * bigger frame can belong to an accepted request. Raise it if a worker's
   * reply can have a bigger frame (such a worker is disconnected and its
   * client's request times out); -1: no limit.
   */
  maxMessageSize?: number;
  /**
   * ZMQ_SNDHWM of the ROUTER: messages queued per peer. The ROUTER is
   * mandatory, so a send to a peer at this mark (a client that never reads)
   * is dropped and counted (`"peer-full"`), never buffered; one for a peer
   * that is gone is counted in `stats().unreachable`. Default 1000.
   */
  sendHighWaterMark?: number;
  /** ZMQ_RCVHWM of the ROUTER. Default zeromq's 1000. */
  receiveHighWaterMark?: number;
  /**
   * Milliseconds `close()` waits for the requests workers hold to be answered
   * and their replies sent (a graceful drain): meanwhile new requests, and
   * those still queued, are dropped (reason `"draining"`) so clients retry
   * elsewhere. Then workers get DISCONNECT and the socket closes; what is
   * still in workers' hands is dropped (`"shutdown"`). Default 5000; 0 closes
   * at once (workers' requests dropped).
   */
  drainTimeout?: number;
  /** Clock for heartbeats and expiry; default the system clock. */
  clock?: Clock;
}

/** Events of {@link MajordomoBroker}: those of its {@link BrokerState}, plus `listening`. */
export type MajordomoBrokerEvents = BrokerStateEvents & {
  /** Bound and serving; payload: the connectable endpoints. */
  listening: [endpoints: string[]];
};

/**
 * The broker's memory limits, each with the drop reason a refusal counts
 * under. {@link BrokerState} applies only those given (left out means
 * unbounded); `MajordomoBroker` fills every one from `MAJORDOMO_DEFAULTS`.
 */
export interface BrokerLimits {
  /** Most requests queued at once across all services; more are dropped (`"queue-full"`). */
  maxQueued?: number;
  /**
   * Most bytes queued at once across all services; more are dropped
   * (`"queue-full"`). A request counts as its body plus 256 bytes per frame
   * (core's `FRAME_OVERHEAD_BYTES`), so many empty frames are not free.
   */
  maxQueuedBytes?: number;
  /** Most requests queued for one service; more are dropped (`"service-queue-full"`). */
  maxQueuedPerService?: number;
  /** Most bytes queued for one service, counted as for `maxQueuedBytes`; more are dropped (`"service-queue-full"`). */
  maxQueuedBytesPerService?: number;
  /** Most requests queued from one client; more are dropped (`"client-queue-full"`). */
  maxQueuedPerClient?: number;
  /** Largest request in bytes, counted as for `maxQueuedBytes`; bigger ones are dropped (`"too-large"`). */
  maxRequestBytes?: number;
  /**
   * Most services known at once; a request naming a new service past it is
   * dropped (`"too-many-services"`), a worker's READY refused. Services with
   * no worker and no request are forgotten.
   */
  maxServices?: number;
}

/** Options of {@link BrokerState}. */
export interface BrokerStateOptions extends BrokerLimits {
  /** Milliseconds between heartbeats to each worker. */
  heartbeatInterval: number;
  /** Silent intervals after which a worker is expired (TTL = `liveness × heartbeatInterval`). */
  liveness: number;
  /**
   * Milliseconds a request may wait in a queue, whether or not its service
   * has workers; after that it is dropped (reason `"request-expired"`).
   */
  requestExpiry: number;
  /**
   * How many workers a request may be handed to in total. When a worker
   * expires or leaves before replying, its request goes to another worker of
   * the service until this bound; then it is dropped (reason `"max-attempts"`).
   */
  maxAttempts: number;
  /** Consulted before each client request is served; a refusal drops it silently. Default: admit all. */
  admission?: AdmissionHook;
}
