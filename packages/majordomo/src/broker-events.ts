/**
 * What the Majordomo broker reports besides the messages it sends: why
 * workers go and messages are dropped, the event payloads (each carries its
 * event name as `type`), and the counters.
 *
 * @module
 */
import type { LatencySummary, ZmqReliableError } from "@zmq-reliable/core";

/** Why the broker stopped dealing with a worker. */
export type WorkerGoneReason =
  /** The worker sent DISCONNECT. */
  | "disconnect"
  /** The worker sent READY a second time (RFC 7: MUST NOT). */
  | "second-ready"
  /** The worker tried to register an `mmi.*` service (RFC 8: MUST disconnect). */
  | "mmi-service"
  /** The worker's READY named a new service while `maxServices` services exist. */
  | "too-many-services"
  /** A HEARTBEAT or REPLY came from a worker the broker does not know. */
  | "unknown-worker"
  /** A valid but unexpected command: REQUEST from a worker, or REPLY with no request in hand or for another client. */
  | "unexpected-command"
  /** An invalid MDPW01 message: unknown command byte, too few frames, … */
  | "malformed"
  /**
   * A REQUEST could not be sent to it: its send queue is full (it does not
   * read) or it is gone. The request goes to another worker.
   */
  | "unreachable"
  /** The broker is shutting down. */
  | "shutdown";

/** Why a message was dropped. */
export type DropReason =
  /** Not valid MDP/0.1 (see `detail` for the {@link MalformedReason}). */
  | "malformed"
  /** The admission hook refused the client request. */
  | "not-admitted"
  /** The request waited `requestExpiry` in a queue (whether or not its service has workers). */
  | "request-expired"
  /** Workers kept vanishing with the request in hand, `maxAttempts` times. */
  | "max-attempts"
  /** `maxQueued` requests or `maxQueuedBytes` bytes were already queued, all services together. */
  | "queue-full"
  /** `maxQueuedPerService` requests or `maxQueuedBytesPerService` bytes were already queued for the service. */
  | "service-queue-full"
  /** `maxQueuedPerClient` requests from the same client were already queued. */
  | "client-queue-full"
  /** The request body was larger than `maxRequestBytes`. */
  | "too-large"
  /** The request named a new service while `maxServices` services exist. */
  | "too-many-services"
  /** A send to a peer whose queue was at the high-water mark (a client that does not read): dropped, not buffered. */
  | "peer-full"
  /** A REPLY from a worker the broker does not know (for example one it expired), or an unexpected REPLY. */
  | "unexpected-reply"
  /** Queued requests thrown away because the broker closed. */
  | "shutdown"
  /** A client request that arrived while the broker was draining (`close()` with `drainTimeout`): the client's retry goes elsewhere. */
  | "draining"
  /** The socket could not send a message (a `send-failed` input). */
  | "send-failed"
  /** The broker failed on a message because of a bug (reported with an `error` event too). */
  | "internal-error";

/** A worker registered (READY accepted). */
export interface ReadyEvent {
  /** Discriminant. */
  type: "ready";
  /** The worker's routing id, hex. */
  worker: string;
  /** The service it serves. */
  service: string;
}

/** The broker stopped dealing with a worker (or refused one). */
export interface DisconnectEvent {
  /** Discriminant. */
  type: "disconnect";
  /** The worker's routing id, hex. */
  worker: string;
  /** Its service, if it was registered. */
  service: string | undefined;
  /** Why. */
  reason: WorkerGoneReason;
  /** Whether the broker sent DISCONNECT to it. */
  disconnectSent: boolean;
}

/** A worker was silent for `liveness × heartbeatInterval` and was forgotten (and told DISCONNECT). */
export interface ExpireEvent {
  /** Discriminant. */
  type: "expire";
  /** The worker's routing id, hex. */
  worker: string;
  /** Its service. */
  service: string;
  /** Whether it had a request in hand (which is re-dispatched or dropped). */
  busy: boolean;
}

/** A request whose worker vanished goes back to the front of its service's queue, to be sent to another worker. */
export interface RetryEvent {
  /** Discriminant. */
  type: "retry";
  /** The service. */
  service: string;
  /** The client's routing id, hex. */
  client: string;
  /** The number of the coming send to a worker: 2 for the first re-dispatch. */
  attempt: number;
  /** The worker that vanished with it, hex. */
  previous: string;
  /** Why that worker is gone: `"expire"` or how it left. */
  reason: WorkerGoneReason | "expire";
}

/** A message was dropped. Every drop of a request, reply or malformed message is reported. */
export interface DropEvent {
  /** Discriminant. */
  type: "drop";
  /** Why. */
  reason: DropReason;
  /** The service, when known. */
  service?: string;
  /** The sender or worker routing id, hex, when known. */
  peer?: string;
  /** More detail, e.g. the {@link MalformedReason}. */
  detail?: string;
}

/** Draining (`close()` with a `drainTimeout`), workers hold no request any more: the broker may close. */
export interface DrainedEvent {
  /** Discriminant. */
  type: "drained";
}

/** Everything {@link BrokerState} reports (as `emit` actions) besides the messages it sends. */
export type BrokerStateEvent = ReadyEvent | DisconnectEvent | ExpireEvent | RetryEvent | DropEvent | DrainedEvent;

/** The events {@link BrokerState} emits, by name: each event's payload has the name as its `type`; `error` is a bug report. */
export type BrokerStateEvents = {
  /** A worker registered. */
  ready: [ReadyEvent];
  /** A worker left, was refused or was disconnected. */
  disconnect: [DisconnectEvent];
  /** A worker was silent too long and was forgotten. */
  expire: [ExpireEvent];
  /** A request went back to the queue because its worker vanished. */
  retry: [RetryEvent];
  /** A message was dropped, with the reason. */
  drop: [DropEvent];
  /** Draining, every request in workers' hands has been answered. */
  drained: [DrainedEvent];
  /** A send failed, or the broker failed on a message (a bug). */
  error: [ZmqReliableError];
};

/** Counters and gauges of one service (`stats().byService[name]`), since the service was created. */
export interface ServiceStats {
  /** Requests waiting in its queue now (queue depth). */
  queued: number;
  /** Bytes of those requests, as the limits count them. */
  queuedBytes: number;
  /** Its registered workers now. */
  workers: number;
  /** Of which idle (ready for a request). */
  idleWorkers: number;
  /** Of which busy: requests in workers' hands now. */
  inFlight: number;
  /** Valid client requests for it (refused ones included). */
  requests: number;
  /** Replies forwarded to its clients. */
  replies: number;
  /** Its requests dropped (any reason but `malformed`, `unexpected-reply`, `send-failed`, `internal-error`): they got no reply. */
  failures: number;
  /** Its messages dropped, all reasons. */
  dropped: number;
  /** Its drops by reason (only reasons that happened). */
  drops: Partial<Record<DropReason, number>>;
  /** Request received → reply sent, ms: percentiles of its last 128 replies within 60 s. */
  latency: LatencySummary;
}

/** Counters and gauges of a broker. */
export interface BrokerStats {
  /** Registered workers now. */
  workers: number;
  /** Of which idle (waiting for a request). */
  idleWorkers: number;
  /** Services known now (with workers or queued requests). */
  services: number;
  /** Requests waiting in service queues now. */
  queued: number;
  /** Body bytes of the requests waiting in service queues now. */
  queuedBytes: number;
  /**
   * Messages for peers that were already gone (a heartbeat to a worker that
   * reconnected under a new routing id, a reply to a client that left):
   * counted here, not as drops, since nobody was there to lose them.
   */
  unreachable: number;
  /** Requests in workers' hands now (busy workers). */
  inFlight: number;
  /** Valid client requests received (MMI included, refused ones included). */
  requests: number;
  /** Requests handed to workers (re-dispatches included). */
  dispatched: number;
  /** Replies forwarded to clients (MMI excluded). */
  replies: number;
  /** MMI requests answered. */
  mmi: number;
  /** Requests put back in the queue for another worker after theirs vanished (re-dispatches). */
  retries: number;
  /** Workers registered since start. */
  registered: number;
  /** Workers expired for silence since start. */
  expired: number;
  /** DISCONNECT commands sent. */
  disconnectsSent: number;
  /** Heartbeats sent. */
  heartbeatsSent: number;
  /** Malformed messages received. */
  malformed: number;
  /** Messages dropped, all reasons. */
  dropped: number;
  /** Messages dropped, by reason. */
  drops: Record<DropReason, number>;
  /** Request received → reply sent, ms, every service (MMI excluded): percentiles of the last 1024 replies within 60 s. */
  latency: LatencySummary;
  /**
   * Per service, by name: the services known now (a service with no worker
   * and no queued request is forgotten, and its figures with it).
   */
  byService: Record<string, ServiceStats>;
}
