/**
 * The queue's behaviour as a machine on core's contract (`Machine<I, A>`),
 * without sockets or timers: which worker gets the next request, which
 * requests wait for one (bounded in count and bytes) and when they go stale,
 * when workers are heartbeated and expired, what happens to a request whose
 * worker died. The `ParanoidPirateQueue` role runs it
 * on core's `Driver`; the worker books are kept by `WorkerRegistry`.
 *
 * Differences from the reference `ppqueue.c` ([Paranoid Pirate protocol: differences from the reference](https://zmq-reliable.github.io/zmq-reliable/documents/Paranoid_Pirate_protocol.html#differences-from-the-reference)):
 * - busy workers are heartbeated and expired too, and a busy worker's expiry
 *   reports the request it held (`request-lost`);
 * - only a reply (or a READY) puts a busy worker back on the ready list: its
 *   heartbeats keep it alive but never make it ready (the reference
 *   re-enlists a worker on any message, so a heartbeat racing a request gets
 *   it a second one);
 * - dispatch prefers proven workers: a worker that has answered at least
 *   one request goes before every worker that never has, least recently
 *   used first within each group. A worker that never answers (a fake, or
 *   one whose handler always fails) gets a request only while every proven
 *   worker is busy;
 * - a READY from a worker holding a request (RFC 6: it restarted, or gave
 *   the request up) does not lose the request: it goes back to the front of
 *   the held requests (`retry`, reason `restarted`), is handed to another
 *   worker if one is ready (to the one that gave it up only if none other
 *   is), and counts against the same limits as every held request. Only one
 *   already handed to `maxAttempts` workers, or that no longer fits the
 *   limits or its `requestExpiry`, or that arrives while draining, is lost
 *   (`request-lost`, cause `restarted`). The worker goes to the back of its
 *   group (a READY does not make a worker proven; its earlier answers keep
 *   it proven).
 *   The queue cannot tell an honest worker from a hostile one without
 *   authentication: CURVE with an allow-list of worker keys on the backend
 *   is what keeps strangers out;
 * - only READY registers a worker; anything else from an unknown worker is
 *   dropped, as RFC 6 requires READY first;
 * - a reply is forwarded only when its envelope is the one of the request
 *   the worker holds (the reference forwards whatever a worker sends, so a
 *   worker could answer another worker's client); anything else is dropped
 *   (`unexpected-reply`);
 * - the reference reads the frontend only while a worker is ready, so
 *   requests wait inside ZeroMQ without a bound on bytes or age and a worker
 *   that attaches later is handed requests whose clients left long ago. This
 *   queue reads the frontend all the time (but while draining) and holds
 *   requests that find no ready worker itself: at most `maxQueued` of them
 *   and `maxQueuedBytes` bytes (past either, `queue-full`), at most
 *   `maxQueuedPerClient` per client connection (`client-full`), none larger than
 *   `maxRequestBytes` (`too-large`), each for at most `requestExpiry` ms
 *   after its arrival (then `expired`: never dispatched);
 * - held requests wait in one line per client connection and the lines are
 *   served in turn (round robin), so a client flooding the queue delays only
 *   itself; when the queue is full, a request from a client holding fewer
 *   than the longest line (by more than one) takes the place of that line's
 *   newest request, which is dropped (`queue-full`) instead (found by
 *   `npm run fuzz`: a flood from a few connections kept the queue full, and
 *   a normal client's requests waited behind 1000 others or were refused).
 *
 * @module
 */
import { checkNumber, EMPTY, earliest, LatencyWindow, type LatencySummary, type Machine, type ProtocolError } from "@zmq-reliable/core";
import { PARANOID_PIRATE_DEFAULTS as D } from "./defaults.js";
import { encodeHeartbeat, encodeRequest } from "./protocol.js";
import { QUEUE_DROP_REASONS, type QueueDropReason, type RequestLostCause } from "./queue-events.js";
import type { BackendMessage, FrontendMessage, QueueAction, QueueInput } from "./queue-messages.js";
import { PendingRequests, requestBytes } from "./queue-pending-state.js";
import { type InFlightRequest, type WorkerRecord, WorkerRegistry } from "./queue-registry-state.js";

/** Whether two address stacks are the same, frame by frame. */
function sameEnvelope(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((frame, i) => frame.equals(b[i]!));
}

/** Options of {@link QueueState}. */
export interface QueueStateOptions {
  /** Milliseconds between heartbeats to each worker. Default 1000. */
  heartbeatInterval?: number;
  /** Intervals of silence after which a worker is expired. Default 3. */
  liveness?: number;
  /** Requests held at most while no worker is ready; past it a request is dropped (`queue-full`). Default 1000. */
  maxQueued?: number;
  /** Bytes (envelope and body, each frame counted 256 bytes above its payload) held at most while no worker is ready; past it a request is dropped (`queue-full`). Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Largest request taken, envelope and body bytes together; a larger one is dropped (`too-large`). Default 1 MiB. */
  maxRequestBytes?: number;
  /** Milliseconds after its arrival at which a held request is dropped (`expired`) instead of dispatched. Default 10000. */
  requestExpiry?: number;
  /** Workers one request may be handed to in all, the first included; a request given up by its `maxAttempts`-th worker is lost. Default 3. */
  maxAttempts?: number;
  /** Requests held at most for one client connection, so one client cannot fill the queue; past it a request is dropped (`client-full`). Default 100. */
  maxQueuedPerClient?: number;
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
  /** Requests whose worker expired or restarted (or that were held at close). */
  requestsLost: number;
  /** Requests a worker gave up (READY while holding them) put back at the front of the held requests. */
  retries: number;
  /** Messages dropped, all reasons. */
  dropped: number;
  /** Messages dropped, by reason. */
  drops: Record<QueueDropReason, number>;
}

/**
 * The pure 6/PPP queue: least-recently-used dispatch to ready workers,
 * heartbeats to every registered worker, expiry of silent ones. Feed it with
 * {@link QueueState.handle}; wake it at {@link QueueState.wakeAt}.
 */
export class QueueState implements Machine<QueueInput, QueueAction> {
  /** Heartbeat interval in ms. */
  readonly heartbeatInterval: number;
  /** Intervals of silence before a worker is expired. */
  readonly liveness: number;
  /** Largest request taken, in bytes. */
  readonly maxRequestBytes: number;
  /** Workers one request may be handed to in all. */
  readonly maxAttempts: number;
  private readonly registry: WorkerRegistry;
  /** Request read from the frontend → reply forwarded to its client, ms (bounded: the last 1024 within 60 s). */
  private readonly latencies = new LatencyWindow();
  private readonly pending: PendingRequests;
  private heartbeatAt: number;
  private accepting = true;
  private draining = false;
  private drained = false;
  private readonly counters: QueueStateCounters = {
    requests: 0,
    replies: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    registrations: 0,
    workersExpired: 0,
    requestsLost: 0,
    retries: 0,
    dropped: 0,
    drops: Object.fromEntries(QUEUE_DROP_REASONS.map((r) => [r, 0])) as Record<QueueDropReason, number>,
  };

  /**
   * @param options - heartbeat interval, liveness and the limits on held requests.
   * @param now - the current clock time (the heartbeat schedule starts here).
   * @throws `InvalidOptionError` (core) for a bad interval, liveness or limit.
   */
  constructor(options: QueueStateOptions = {}, now = 0) {
    this.heartbeatInterval = checkNumber("heartbeatInterval", options.heartbeatInterval ?? D.heartbeatInterval, 1);
    this.liveness = checkNumber("liveness", options.liveness ?? D.liveness, 1);
    this.maxRequestBytes = checkNumber("maxRequestBytes", options.maxRequestBytes ?? D.maxRequestBytes, 1);
    this.maxAttempts = Math.floor(checkNumber("maxAttempts", options.maxAttempts ?? D.maxAttempts, 1));
    this.pending = new PendingRequests(
      checkNumber("maxQueued", options.maxQueued ?? D.maxQueued, 0),
      checkNumber("maxQueuedBytes", options.maxQueuedBytes ?? D.maxQueuedBytes, 0),
      checkNumber("requestExpiry", options.requestExpiry ?? D.requestExpiry, 1),
      checkNumber("maxQueuedPerClient", options.maxQueuedPerClient ?? D.maxQueuedPerClient, 0),
    );
    this.registry = new WorkerRegistry(this.heartbeatInterval * this.liveness);
    this.heartbeatAt = now + this.heartbeatInterval;
  }

  /** Milliseconds of silence after which a worker is expired: `liveness × heartbeatInterval`. */
  get ttl(): number {
    return this.registry.ttl;
  }

  /** Registered workers, idle or busy. */
  get workerCount(): number {
    return this.registry.size;
  }

  /** Workers ready for a request. */
  get readyCount(): number {
    return this.registry.readyCount;
  }

  /** Workers holding a request. */
  get busyCount(): number {
    return this.registry.busyCount;
  }

  /** Requests held while no worker is ready. */
  get queuedCount(): number {
    return this.pending.length;
  }

  /** Bytes (envelope and body) of the requests held while no worker is ready. */
  get queuedBytes(): number {
    return this.pending.bytes;
  }

  /** Milliseconds after its arrival at which a held request is dropped. */
  get requestExpiry(): number {
    return this.pending.expiry;
  }

  /**
   * Whether client requests are taken: always, but while draining. The
   * machine asks the role to stop reading the frontend when this turns false.
   */
  get canAccept(): boolean {
    return !this.draining;
  }

  /** Ready workers' ids in the order requests go out: proven workers first, least recently used first within each group. */
  readyWorkers(): Buffer[] {
    return this.registry.readyIds();
  }

  /**
   * The request a worker holds, if it is registered and busy.
   *
   * @param worker - the worker's routing id.
   */
  requestOf(worker: Buffer): InFlightRequest | undefined {
    return this.registry.get(worker)?.job;
  }

  /** A copy of the counters. */
  stats(): QueueStateCounters {
    return { ...this.counters, drops: { ...this.counters.drops } };
  }

  /**
   * Request read from the frontend → reply forwarded to its client, ms, over
   * the last 1024 replies within 60 s (retries and re-queues included).
   *
   * @param now - the current clock time.
   */
  latency(now: number): LatencySummary {
    return this.latencies.summary(now);
  }

  /**
   * Feeds one input; returns the actions to perform, in order. A `pause` or
   * `resume` of the frontend comes last whenever {@link QueueState.canAccept} changed.
   *
   * @param input - a decoded message, the wake-up, or a command.
   * @param now - the current clock time.
   */
  handle(input: QueueInput, now: number): QueueAction[] {
    const actions = this.dispatch(input, now);
    if (!this.draining) this.dispatchHeld(actions, now);
    if (this.canAccept !== this.accepting) {
      this.accepting = this.canAccept;
      actions.push({ type: this.accepting ? "resume" : "pause", channel: "frontend" });
    }
    if (this.draining && !this.drained && this.registry.busyCount === 0) {
      this.drained = true;
      actions.push({ type: "drained" });
    }
    return actions;
  }

  /** The earliest worker expiry or held request expiry, or the next heartbeat while any worker is registered; `Infinity` when there is nothing to wait for. */
  wakeAt(): number {
    const expiry = earliest(this.registry.nextExpiry(), this.pending.nextExpiry());
    return this.registry.size > 0 ? earliest(expiry, this.heartbeatAt) : expiry;
  }

  private dispatch(input: QueueInput, now: number): QueueAction[] {
    switch (input.type) {
      case "message":
        return input.channel === "frontend" ? this.onClient(input.message, now) : this.onWorker(input.message, now);
      case "wake":
        return this.onWake(now);
      case "drain":
        this.draining = true;
        return this.pending.clear().map((request) => this.drop("no-worker", undefined, undefined, request.client));
      case "close":
        return [
          ...this.pending.clear().map((request) => this.drop("no-worker", undefined, undefined, request.client)),
          ...this.registry.clear().flatMap((record) => (record.job ? [this.lost(record.id, record.job, "closed")] : [])),
        ];
    }
  }

  private onClient(message: FrontendMessage, now: number): QueueAction[] {
    if (message.type === "invalid") return [this.drop("malformed-request", undefined, message.error)];
    const client = message.envelope;
    if (this.draining) return [this.drop("no-worker", undefined, undefined, client)];
    const bytes = requestBytes(client, message.body);
    if (bytes > this.maxRequestBytes) return [this.drop("too-large", undefined, undefined, client)];
    const request: InFlightRequest = { client, body: message.body, since: now, arrived: now, attempts: 0 };
    // Older requests go first: a new one is dispatched at once only when none is held.
    if (this.pending.length === 0 && this.registry.readyCount > 0) return [this.send(request, undefined, now)];
    const evicted: InFlightRequest[] = [];
    const held = this.pending.push(request, bytes, evicted);
    const drops = evicted.map((old) => this.drop("queue-full", undefined, undefined, old.client));
    return held === "held" ? drops : [...drops, this.drop(held === "full" ? "queue-full" : "client-full", undefined, undefined, client)];
  }

  /** Hands held requests to ready workers, re-queued ones first, then one per client line in turn; stale ones are dropped, never dispatched. */
  private dispatchHeld(actions: QueueAction[], now: number): void {
    for (const request of this.pending.popExpired(now)) actions.push(this.drop("expired", undefined, undefined, request.client));
    while (this.pending.length > 0 && this.registry.readyCount > 0) {
      const { request, avoid } = this.pending.shift()!;
      actions.push(this.send(request, avoid, now));
    }
  }

  /** Hands `request` to the next ready worker (passing over `avoid` if another is ready); there must be one. */
  private send(request: InFlightRequest, avoid: string | undefined, now: number): QueueAction {
    const worker = this.registry.assign({ ...request, since: now, attempts: request.attempts + 1 }, avoid)!;
    this.counters.requests++;
    return { type: "send", channel: "backend", frames: [worker.id, ...encodeRequest(request.client, request.body)] };
  }

  private onWorker(message: BackendMessage, now: number): QueueAction[] {
    const { worker } = message;
    if (message.type === "invalid") return [this.drop(message.reason, worker, message.error)];
    const record = this.registry.get(worker);
    if (message.type === "ready") return this.onReady(worker, record, now);
    if (!record) return [this.drop("unknown-worker", worker)];
    this.registry.heard(record, now);
    if (message.type === "heartbeat") {
      this.counters.heartbeatsReceived++;
      return [];
    }
    // A reply must answer the request this worker holds: one addressed to any
    // other client (a forged or stale envelope) is dropped, and the worker
    // keeps its request.
    if (!record.job || !sameEnvelope(message.envelope, record.job.client)) return [this.drop("unexpected-reply", worker)];
    this.latencies.record(now - record.job.arrived, now);
    this.registry.release(record, true);
    this.counters.replies++;
    // The reply is `[client id…, ∅, body…]`: forward it as it came.
    return [{ type: "send", channel: "frontend", frames: [...message.envelope, EMPTY, ...message.body] }];
  }

  private onReady(worker: Buffer, record: WorkerRecord | undefined, now: number): QueueAction[] {
    this.counters.registrations++;
    if (!record) return [this.ready(this.registry.register(worker, now))];
    // A worker we know says READY again: it started a new conversation
    // (restarted, or gave up a request its handler failed). An idle one just
    // stays where it is. A busy one gives its request back: the request goes
    // to the front of the held ones (the client still waits) unless it is
    // spent, and the worker to the back of its group.
    this.registry.heard(record, now);
    const job = record.job;
    if (!job) return [];
    this.registry.release(record, false);
    return [this.requeue(record, job, now), this.ready(record)];
  }

  /** Puts the request `record` gave up back at the front of the held ones (a `retry`), or reports it lost when it cannot be dispatched again. */
  private requeue(record: WorkerRecord, job: InFlightRequest, now: number): QueueAction {
    const spent = this.draining || job.attempts >= this.maxAttempts || job.arrived + this.pending.expiry <= now;
    if (spent || this.pending.requeue(job, requestBytes(job.client, job.body), record.key) === "full") return this.lost(record.id, job, "restarted");
    this.counters.retries++;
    return { type: "emit", event: "retry", args: [{ client: job.client, request: job.body, attempt: job.attempts + 1, previous: record.id, reason: "restarted" }] };
  }

  /** Expires silent workers (oldest first) and, when due, heartbeats every registered worker, idle and busy. */
  private onWake(now: number): QueueAction[] {
    const actions: QueueAction[] = [];
    for (const record of this.registry.popExpired(now)) {
      this.counters.workersExpired++;
      const busy = record.job !== undefined;
      actions.push({ type: "emit", event: "expire", args: [{ worker: record.id, busy, silentFor: now - record.lastHeard }] });
      if (record.job) actions.push(this.lost(record.id, record.job, "expired"));
    }
    if (now >= this.heartbeatAt) {
      for (const record of this.registry.all()) {
        actions.push({ type: "send", channel: "backend", frames: [record.id, ...encodeHeartbeat()] });
      }
      this.counters.heartbeatsSent += this.registry.size;
      this.heartbeatAt = now + this.heartbeatInterval;
    }
    return actions;
  }

  private ready(record: WorkerRecord): QueueAction {
    return { type: "emit", event: "ready", args: [{ worker: record.id }] };
  }

  private lost(worker: Buffer, job: InFlightRequest, cause: RequestLostCause): QueueAction {
    this.counters.requestsLost++;
    return { type: "emit", event: "request-lost", args: [{ worker, client: job.client, request: job.body, since: job.since, cause }] };
  }

  private drop(reason: QueueDropReason, worker?: Buffer, error?: ProtocolError, client?: Buffer[]): QueueAction {
    this.counters.dropped++;
    this.counters.drops[reason]++;
    return { type: "emit", event: "drop", args: [client ? { reason, worker, error, client } : { reason, worker, error }] };
  }
}
