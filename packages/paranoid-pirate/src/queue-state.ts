/**
 * The queue's behaviour, without sockets or timers: which worker gets the next
 * request, when workers are heartbeated and expired, what happens to a request
 * whose worker died. The {@link ParanoidPirateQueue} role feeds it what its
 * sockets receive and the time, and performs the actions it returns.
 *
 * Differences from the reference `ppqueue.c` (protocols.md §4.4–4.5):
 * - busy workers are heartbeated and expired too, and a busy worker's expiry
 *   reports the request it held (`request-lost`);
 * - only a reply puts a busy worker back on the ready list: its heartbeats
 *   keep it alive but never make it ready (the reference re-enlists a worker
 *   on any message, so a heartbeat racing a request gets it a second one);
 * - only READY registers a worker; anything else from an unknown worker is
 *   dropped, as RFC 6 requires READY first.
 *
 * @module
 */
import { checkNumber, ExpiryQueue, type Frame, ProtocolError } from "@zmq-reliable/core";
import { PARANOID_PIRATE_DEFAULTS } from "./defaults.js";
import {
  decodeClientRequest,
  decodeWorkerMessage,
  encodeHeartbeat,
  encodeRequest,
  isCommandShaped,
  type WorkerMessage,
} from "./protocol.js";

/** Why the queue dropped a message. */
export type QueueDropReason =
  /** A client message without the `[id, ∅, body…]` shape. */
  | "malformed-request"
  /** A client request arrived when no worker was ready (the last one expired while a receive was pending). */
  | "no-worker"
  /** A one-byte command from a worker that is neither READY nor HEARTBEAT. */
  | "unknown-command"
  /** An empty or otherwise malformed message from a worker. */
  | "malformed-message"
  /** A heartbeat or reply from a worker that never sent READY, or was expired. */
  | "unknown-worker"
  /** A reply from a registered worker that held no request. */
  | "unexpected-reply";

/** Every {@link QueueDropReason}, for counters. */
export const QUEUE_DROP_REASONS: readonly QueueDropReason[] = Object.freeze([
  "malformed-request",
  "no-worker",
  "unknown-command",
  "malformed-message",
  "unknown-worker",
  "unexpected-reply",
]);

/** A request handed to a worker and not yet answered. */
export interface InFlightRequest {
  /** The client's address stack (ROUTER ids), e.g. one id for a direct REQ client. */
  client: Buffer[];
  /** The request's content frames. */
  body: Buffer[];
  /** When it was handed to the worker (clock time, ms). */
  since: number;
}

/** What the queue must do after an input; performed in order. */
export type QueueAction =
  | {
      /** Send `frames` to the worker `worker` through the backend (the role prepends the id). */
      type: "send-worker";
      /** The worker's routing id. */
      worker: Buffer;
      /** The message, without the worker id. */
      frames: Frame[];
    }
  | {
      /** Send `frames` through the frontend; the first frame is the client's routing id. */
      type: "send-client";
      /** The reply, envelope first. */
      frames: Buffer[];
    }
  | {
      /** A worker registered with READY and is on the ready list. */
      type: "worker-ready";
      /** The worker's routing id. */
      worker: Buffer;
    }
  | {
      /** A worker fell silent for `liveness × heartbeatInterval` and was forgotten. */
      type: "worker-expired";
      /** The worker's routing id. */
      worker: Buffer;
      /** Whether it held a request (a `request-lost` action follows). */
      busy: boolean;
      /** Milliseconds since it was last heard from. */
      silentFor: number;
    }
  | {
      /** The worker holding a request expired or restarted: the request will not be answered. */
      type: "request-lost";
      /** The worker's routing id. */
      worker: Buffer;
      /** The request it held. */
      request: InFlightRequest;
      /** The worker expired; said READY again while busy (it restarted or gave the request up); or the queue closed. */
      cause: "expired" | "restarted" | "closed";
    }
  | {
      /** A message was dropped. */
      type: "drop";
      /** Why. */
      reason: QueueDropReason;
      /** The worker it came from, for backend messages. */
      worker?: Buffer;
      /** The decoding error, when there was one. */
      error?: ProtocolError;
    };

/** Options of {@link QueueState}. */
export interface QueueStateOptions {
  /** Milliseconds between heartbeats to each worker. Default 1000. */
  heartbeatInterval?: number;
  /** Intervals of silence after which a worker is expired. Default 3. */
  liveness?: number;
}

/** Counters of a {@link QueueState}. */
export interface QueueStateCounters {
  /** Client requests handed to workers. */
  requests: number;
  /** Worker replies forwarded to clients. */
  replies: number;
  /** HEARTBEAT messages sent to workers. */
  heartbeatsSent: number;
  /** HEARTBEAT messages received from registered workers. */
  heartbeatsReceived: number;
  /** READY messages accepted (registrations). */
  registrations: number;
  /** Workers expired for silence. */
  workersExpired: number;
  /** Requests whose worker expired or restarted while holding them. */
  requestsLost: number;
  /** Messages dropped, all reasons. */
  dropped: number;
  /** Messages dropped, by reason. */
  drops: Record<QueueDropReason, number>;
}

interface WorkerRecord {
  id: Buffer;
  key: string;
  lastHeard: number;
  job: InFlightRequest | undefined;
}

function keyOf(id: Buffer): string {
  return id.toString("hex");
}

/**
 * The pure 6/PPP queue: a least-recently-used list of ready workers, the
 * request each busy worker holds, one expiry deadline per worker and a
 * heartbeat schedule. Every method takes the current time and returns the
 * {@link QueueAction}s to perform; {@link QueueState.nextWakeAt} says when to
 * call {@link QueueState.tick} next.
 */
export class QueueState {
  /** Heartbeat interval in ms. */
  readonly heartbeatInterval: number;
  /** Intervals of silence before a worker is expired. */
  readonly liveness: number;
  private readonly workers = new Map<string, WorkerRecord>();
  /** Ready workers; Map iteration order is insertion order, so the first entry is the least recently used. */
  private readonly ready = new Map<string, WorkerRecord>();
  private readonly expiry: ExpiryQueue<string>;
  private heartbeatAt: number;
  private readonly counters: QueueStateCounters = {
    requests: 0,
    replies: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    registrations: 0,
    workersExpired: 0,
    requestsLost: 0,
    dropped: 0,
    drops: Object.fromEntries(QUEUE_DROP_REASONS.map((r) => [r, 0])) as Record<QueueDropReason, number>,
  };

  /**
   * @param options - heartbeat interval and liveness.
   * @param now - the current clock time.
   */
  constructor(options: QueueStateOptions, now: number) {
    this.heartbeatInterval = checkNumber("heartbeatInterval", options.heartbeatInterval ?? PARANOID_PIRATE_DEFAULTS.heartbeatInterval, 1);
    this.liveness = checkNumber("liveness", options.liveness ?? PARANOID_PIRATE_DEFAULTS.liveness, 1);
    this.expiry = new ExpiryQueue(this.heartbeatInterval * this.liveness);
    this.heartbeatAt = now + this.heartbeatInterval;
  }

  /** Milliseconds of silence after which a worker is expired: `liveness × heartbeatInterval`. */
  get ttl(): number {
    return this.expiry.ttl;
  }

  /** Registered workers, idle or busy. */
  get workerCount(): number {
    return this.workers.size;
  }

  /** Workers ready for a request. */
  get readyCount(): number {
    return this.ready.size;
  }

  /** Workers holding a request. */
  get busyCount(): number {
    return this.workers.size - this.ready.size;
  }

  /**
   * Whether a client request can be dispatched now. The role reads its
   * frontend only while this is true, so clients' retries govern back-pressure.
   */
  get canAccept(): boolean {
    return this.ready.size > 0;
  }

  /** Ready workers' ids, least recently used first (the order requests go out). */
  readyWorkers(): Buffer[] {
    return [...this.ready.values()].map((w) => w.id);
  }

  /**
   * The request a worker holds, if it is registered and busy.
   *
   * @param worker - the worker's routing id.
   */
  requestOf(worker: Buffer): InFlightRequest | undefined {
    return this.workers.get(keyOf(worker))?.job;
  }

  /** A copy of the counters. */
  stats(): QueueStateCounters {
    return { ...this.counters, drops: { ...this.counters.drops } };
  }

  /**
   * A message from the frontend: `[client id…, ∅, body…]`. Hands it to the
   * least recently used ready worker as `[client id…, ∅, body…]`.
   *
   * @param frames - the message as the frontend ROUTER received it.
   * @param now - the current clock time.
   */
  clientRequest(frames: readonly Buffer[], now: number): QueueAction[] {
    let request;
    try {
      request = decodeClientRequest(frames);
    } catch (err) {
      return [this.drop("malformed-request", undefined, err as ProtocolError)];
    }
    const worker = this.ready.values().next().value as WorkerRecord | undefined;
    if (!worker) return [this.drop("no-worker")];
    this.ready.delete(worker.key);
    worker.job = { client: request.envelope, body: request.body, since: now };
    this.counters.requests++;
    return [{ type: "send-worker", worker: worker.id, frames: encodeRequest(request.envelope, request.body) }];
  }

  /**
   * A message from the backend.
   *
   * @param worker - the worker's routing id, as the backend ROUTER received it.
   * @param frames - the rest of the message.
   * @param now - the current clock time.
   */
  workerMessage(worker: Buffer, frames: readonly Buffer[], now: number): QueueAction[] {
    let message: WorkerMessage;
    try {
      message = decodeWorkerMessage(frames);
    } catch (err) {
      return [this.drop(isCommandShaped(frames) ? "unknown-command" : "malformed-message", worker, err as ProtocolError)];
    }
    const key = keyOf(worker);
    const record = this.workers.get(key);
    switch (message.type) {
      case "ready":
        return this.onReady(worker, key, record, now);
      case "heartbeat":
        if (!record) return [this.drop("unknown-worker", worker)];
        this.heard(record, now);
        this.counters.heartbeatsReceived++;
        return [];
      case "reply": {
        if (!record) return [this.drop("unknown-worker", worker)];
        this.heard(record, now);
        if (!record.job) return [this.drop("unexpected-reply", worker)];
        record.job = undefined;
        this.ready.set(key, record);
        this.counters.replies++;
        // The reply is `[client id…, ∅, body…]` already: forward it as it came.
        return [{ type: "send-client", frames: [...frames] }];
      }
    }
  }

  private onReady(worker: Buffer, key: string, record: WorkerRecord | undefined, now: number): QueueAction[] {
    this.counters.registrations++;
    if (record) {
      // A worker we know says READY again: it started a new conversation
      // (restarted, or gave up a request its handler failed), so whatever it
      // held is gone. An idle one just stays where it is in the LRU.
      this.heard(record, now);
      if (!record.job) return [];
      const lost = record.job;
      record.job = undefined;
      this.ready.set(key, record);
      this.counters.requestsLost++;
      return [
        { type: "request-lost", worker: record.id, request: lost, cause: "restarted" },
        { type: "worker-ready", worker: record.id },
      ];
    }
    const fresh: WorkerRecord = { id: Buffer.from(worker), key, lastHeard: now, job: undefined };
    this.workers.set(key, fresh);
    this.ready.set(key, fresh);
    this.expiry.touch(key, now);
    return [{ type: "worker-ready", worker: fresh.id }];
  }

  private heard(record: WorkerRecord, now: number): void {
    record.lastHeard = now;
    this.expiry.touch(record.key, now);
  }

  private drop(reason: QueueDropReason, worker?: Buffer, error?: ProtocolError): QueueAction {
    this.counters.dropped++;
    this.counters.drops[reason]++;
    return { type: "drop", reason, worker, error };
  }

  /**
   * Expires silent workers (oldest first) and, when due, heartbeats every
   * registered worker, idle and busy.
   *
   * @param now - the current clock time.
   */
  tick(now: number): QueueAction[] {
    const actions: QueueAction[] = [];
    for (const key of this.expiry.popExpired(now)) {
      const record = this.workers.get(key)!;
      this.workers.delete(key);
      this.ready.delete(key);
      this.counters.workersExpired++;
      actions.push({ type: "worker-expired", worker: record.id, busy: record.job !== undefined, silentFor: now - record.lastHeard });
      if (record.job) {
        this.counters.requestsLost++;
        actions.push({ type: "request-lost", worker: record.id, request: record.job, cause: "expired" });
      }
    }
    if (now >= this.heartbeatAt) {
      for (const record of this.workers.values()) {
        actions.push({ type: "send-worker", worker: record.id, frames: encodeHeartbeat() });
      }
      this.counters.heartbeatsSent += this.workers.size;
      this.heartbeatAt = now + this.heartbeatInterval;
    }
    return actions;
  }

  /**
   * When {@link QueueState.tick} must run next: the earliest worker expiry,
   * or the next heartbeat while any worker is registered. `Infinity` when
   * there is nothing to wait for.
   */
  nextWakeAt(): number {
    const expiry = this.expiry.nextDeadline();
    return this.workers.size > 0 ? Math.min(expiry, this.heartbeatAt) : expiry;
  }

  /**
   * Forgets every worker (the queue is closing). Returns a `request-lost`
   * action for each request still held.
   */
  clear(): QueueAction[] {
    const actions: QueueAction[] = [];
    for (const record of this.workers.values()) {
      if (record.job) {
        this.counters.requestsLost++;
        actions.push({ type: "request-lost", worker: record.id, request: record.job, cause: "closed" });
      }
    }
    this.workers.clear();
    this.ready.clear();
    for (const key of [...this.expiry.keys()]) this.expiry.delete(key);
    return actions;
  }
}
