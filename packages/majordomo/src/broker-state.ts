/**
 * The Majordomo broker's bookkeeping, without sockets or timers (sans-I/O):
 * services with their request queue and idle-worker list, the worker table,
 * heartbeats, expiry, re-dispatch and 8/MMI. The socket shell
 * ({@link MajordomoBroker}) feeds it every message and the time, performs the
 * sends it asks for, and wakes it at {@link BrokerState.wakeAt}.
 *
 * Cost per message is O(1): a map lookup for the worker or service, a list
 * push or pop, and at most one send; nothing scans all workers or services.
 * Worker expiry uses core's `ExpiryQueue` (all workers share one TTL, so
 * touching a worker moves it to the back and expired workers sit at the
 * front); unanswerable requests expire through a list ordered by deadline.
 * Heartbeats go to every worker once per interval (O(workers) per interval,
 * not per message).
 *
 * @module
 */
import type { AdmissionHook, Frame } from "@zmq-reliable/core";
import { ALWAYS_ADMIT, EMPTY, ExpiryQueue, checkNumber } from "@zmq-reliable/core";
import type { ListNode } from "@zmq-reliable/core";
import { LinkedList } from "@zmq-reliable/core";
import type { MalformedReason } from "./protocol.js";
import {
  DISCONNECT_FRAME,
  HEARTBEAT_FRAME,
  MDPC_FRAME,
  MDPW_FRAME,
  MMI_NOT_FOUND,
  MMI_NOT_IMPLEMENTED,
  MMI_OK,
  MMI_SERVICE,
  MdpProtocolError,
  REQUEST_FRAME,
  decode,
  isMmiService,
} from "./protocol.js";

/** Options of {@link BrokerState}. */
export interface BrokerStateOptions {
  /** Milliseconds between heartbeats to each worker. */
  heartbeatInterval: number;
  /** Silent intervals after which a worker is expired (TTL = `liveness × heartbeatInterval`). */
  liveness: number;
  /**
   * Milliseconds a request may wait while its service has no registered
   * worker; after that it is dropped (reason `"request-expired"`).
   */
  requestExpiry: number;
  /**
   * How many workers a request may be handed to in total. When a worker
   * expires or leaves before replying, its request goes to another worker of
   * the service until this bound; then it is dropped (reason `"max-attempts"`).
   */
  maxAttempts: number;
  /** Most requests queued at once across all services; more are dropped (`"queue-full"`). Default unbounded. */
  maxQueuedRequests?: number;
  /** Consulted before each client request is served; a refusal drops it silently. Default: admit all. */
  admission?: AdmissionHook;
}

/** Why the broker stopped dealing with a worker. */
export type WorkerGoneReason =
  /** The worker sent DISCONNECT. */
  | "disconnect"
  /** The worker sent READY a second time (RFC 7: MUST NOT). */
  | "second-ready"
  /** The worker tried to register an `mmi.*` service (RFC 8: MUST disconnect). */
  | "mmi-service"
  /** A HEARTBEAT or REPLY came from a worker the broker does not know. */
  | "unknown-worker"
  /** A valid but unexpected command: REQUEST from a worker, or REPLY with no request in hand or for another client. */
  | "unexpected-command"
  /** An invalid MDPW01 message: unknown command byte, too few frames, … */
  | "malformed"
  /** The broker is shutting down. */
  | "shutdown";

/** Why a message was dropped. */
export type DropReason =
  /** Not valid MDP/0.1 (see `detail` for the {@link MalformedReason}). */
  | "malformed"
  /** The admission hook refused the client request. */
  | "not-admitted"
  /** The request waited `requestExpiry` with no worker registered for its service. */
  | "request-expired"
  /** Workers kept vanishing with the request in hand, `maxAttempts` times. */
  | "max-attempts"
  /** `maxQueuedRequests` requests were already queued. */
  | "queue-full"
  /** A REPLY from a worker the broker does not know (for example one it expired), or an unexpected REPLY. */
  | "unexpected-reply"
  /** Queued requests thrown away because the broker closed. */
  | "shutdown"
  /** The socket could not send a message (reported by the broker shell). */
  | "send-failed"
  /** The broker failed on a message because of a bug (reported by the broker shell with an `error` event). */
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

/** A request whose worker vanished goes back to the front of its service's queue. */
export interface RedispatchEvent {
  /** Discriminant. */
  type: "redispatch";
  /** The service. */
  service: string;
  /** The vanished worker, hex. */
  worker: string;
  /** Workers the request has been handed to so far. */
  attempts: number;
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

/** Everything {@link BrokerState} reports besides the messages it sends. */
export type BrokerStateEvent = ReadyEvent | DisconnectEvent | ExpireEvent | RedispatchEvent | DropEvent;

/** Where {@link BrokerState} puts its actions; the shell implements it. */
export interface BrokerOutput {
  /** Send a message on the ROUTER: the first frame is the routing id. */
  send(message: Frame[]): void;
  /** Report an event (rare: never on the request/reply hot path). */
  event(event: BrokerStateEvent): void;
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
  queuedRequests: number;
  /** Valid client requests received (MMI included, refused ones included). */
  requests: number;
  /** Requests handed to workers (re-dispatches included). */
  dispatched: number;
  /** Replies forwarded to clients (MMI excluded). */
  replies: number;
  /** MMI requests answered. */
  mmi: number;
  /** Requests sent again to another worker after theirs vanished. */
  redispatched: number;
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
}

class Service {
  readonly requests = new LinkedList<Request>();
  readonly idle = new LinkedList<Worker>();
  /** Registered workers, busy or idle. */
  workers = 0;
  constructor(
    readonly name: string,
    /** The name as it arrived on the wire, echoed in replies. */
    readonly frame: Buffer,
  ) {}
}

class Worker {
  /** Request in hand, if busy. */
  request: Request | undefined = undefined;
  /** Node in the service's idle list, if idle. */
  idleNode: ListNode<Worker> | undefined = undefined;
  constructor(
    readonly id: Buffer,
    readonly key: string,
    readonly service: Service,
  ) {}
}

class Request {
  /** Workers this request has been handed to. */
  attempts = 0;
  /** Node in the service queue, if queued. */
  queueNode: ListNode<Request> | undefined = undefined;
  /** Node in the orphan list, if waiting with no worker registered. */
  orphanNode: ListNode<Request> | undefined = undefined;
  /** When it expires while in the orphan list. */
  deadline = 0;
  constructor(
    readonly client: Buffer,
    readonly service: Service,
    readonly body: Buffer[],
  ) {}
}

const CODE_FRAMES = {
  [MMI_OK]: Buffer.from(MMI_OK),
  [MMI_NOT_FOUND]: Buffer.from(MMI_NOT_FOUND),
  [MMI_NOT_IMPLEMENTED]: Buffer.from(MMI_NOT_IMPLEMENTED),
} as const;

const hex = (id: Buffer): string => id.toString("hex");

function zeroDrops(): Record<DropReason, number> {
  return {
    malformed: 0,
    "not-admitted": 0,
    "request-expired": 0,
    "max-attempts": 0,
    "queue-full": 0,
    "unexpected-reply": 0,
    shutdown: 0,
    "send-failed": 0,
    "internal-error": 0,
  };
}

/**
 * The broker's decisions, as a pure object: feed it messages with
 * {@link BrokerState.handle} and the passing of time with
 * {@link BrokerState.tick}; it calls {@link BrokerOutput.send} for every
 * message to send and {@link BrokerOutput.event} for everything worth
 * reporting. It follows RFC 7 and RFC 8 where the reference broker does not
 * (protocols.md §5.6, §14): see the package README for the list.
 */
export class BrokerState {
  private readonly services = new Map<string, Service>();
  private readonly workers = new Map<string, Worker>();
  private readonly expiry: ExpiryQueue<Worker>;
  /** Queued requests whose service has no worker, in deadline order. */
  private readonly orphans = new LinkedList<Request>();
  private readonly interval: number;
  private readonly requestExpiry: number;
  private readonly maxAttempts: number;
  private readonly maxQueued: number;
  private readonly admission: AdmissionHook;
  private readonly out: BrokerOutput;
  private nextHeartbeatAt: number;
  private queued = 0;
  private idleCount = 0;
  private wake: number;
  private readonly counters = {
    requests: 0,
    dispatched: 0,
    replies: 0,
    mmi: 0,
    redispatched: 0,
    registered: 0,
    expired: 0,
    disconnectsSent: 0,
    heartbeatsSent: 0,
    malformed: 0,
    dropped: 0,
  };
  private readonly drops = zeroDrops();

  /**
   * @param options - timings and bounds; see {@link BrokerStateOptions}.
   * @param output - receives the actions.
   * @param now - the current time.
   */
  constructor(options: BrokerStateOptions, output: BrokerOutput, now: number) {
    this.interval = checkNumber("heartbeatInterval", options.heartbeatInterval, 1);
    const liveness = checkNumber("liveness", options.liveness, 1);
    this.requestExpiry = checkNumber("requestExpiry", options.requestExpiry, 0);
    this.maxAttempts = Math.floor(checkNumber("maxAttempts", options.maxAttempts, 1));
    this.maxQueued = options.maxQueuedRequests === undefined ? Number.POSITIVE_INFINITY : checkNumber("maxQueuedRequests", options.maxQueuedRequests, 0);
    this.admission = options.admission ?? ALWAYS_ADMIT;
    this.expiry = new ExpiryQueue(this.interval * liveness);
    this.out = output;
    this.nextHeartbeatAt = now + this.interval;
    this.wake = this.nextHeartbeatAt;
  }

  /**
   * When the state next needs {@link BrokerState.tick}: the next heartbeat,
   * worker expiry or request expiry. It only moves earlier during
   * {@link BrokerState.handle} when a request starts waiting for a service
   * with no worker; the shell compares it with its armed timer after each
   * message.
   */
  get wakeAt(): number {
    return this.wake;
  }

  /** Registered workers now. */
  get workerCount(): number {
    return this.workers.size;
  }

  /**
   * Whether at least one worker is registered for `service` (what
   * `mmi.service` answers).
   *
   * @param service - the service name.
   */
  hasWorkers(service: string): boolean {
    const s = this.services.get(service);
    return s !== undefined && s.workers > 0;
  }

  /** A snapshot of counters and gauges. */
  stats(): BrokerStats {
    return {
      workers: this.workers.size,
      idleWorkers: this.idleCount,
      services: this.services.size,
      queuedRequests: this.queued,
      ...this.counters,
      drops: { ...this.drops },
    };
  }

  /**
   * Handles one message as received on the ROUTER: `[routingId, ∅, header, …]`.
   * Never throws for bad input: malformed messages are dropped and counted
   * (and a worker that sent one is disconnected).
   *
   * @param message - the frames, routing id first.
   * @param now - the current time.
   */
  handle(message: Buffer[], now: number): void {
    const sender = message[0];
    if (sender === undefined) return;
    let msg;
    try {
      msg = decode(message, 1);
    } catch (err) {
      this.malformed(sender, err, now);
      return;
    }
    switch (msg.type) {
      case "client":
        this.clientRequest(sender, message[3]!, msg.service, msg.body, now);
        return;
      case "ready":
        this.ready(sender, message[4]!, msg.service, now);
        return;
      case "reply":
        this.reply(sender, msg.client, msg.body, now);
        return;
      case "heartbeat": {
        const worker = this.workers.get(sender.toString("latin1"));
        if (worker) this.expiry.touch(worker, now);
        else this.refuse(sender, undefined, "unknown-worker");
        return;
      }
      case "disconnect": {
        const worker = this.workers.get(sender.toString("latin1"));
        if (worker) this.forget(worker, "disconnect", false, now);
        return;
      }
      case "request": {
        // valid MDP, but only a broker may send REQUEST
        const worker = this.workers.get(sender.toString("latin1"));
        if (worker) this.forget(worker, "unexpected-command", true, now);
        else this.refuse(sender, undefined, "unexpected-command");
        return;
      }
    }
  }

  /**
   * Lets time pass: expires silent workers (re-dispatching their requests),
   * sends heartbeats when due, expires requests that waited too long for a
   * worker, and recomputes {@link BrokerState.wakeAt}.
   *
   * @param now - the current time.
   */
  tick(now: number): void {
    for (const worker of this.expiry.popExpired(now)) {
      this.counters.expired++;
      this.out.event({ type: "expire", worker: hex(worker.id), service: worker.service.name, busy: worker.request !== undefined });
      this.forget(worker, undefined, true, now);
    }
    if (now >= this.nextHeartbeatAt) {
      for (const worker of this.workers.values()) this.out.send([worker.id, EMPTY, MDPW_FRAME, HEARTBEAT_FRAME]);
      this.counters.heartbeatsSent += this.workers.size;
      this.nextHeartbeatAt = now + this.interval;
    }
    let node;
    while ((node = this.orphans.head) !== undefined && node.value.deadline <= now) {
      const request = node.value;
      this.orphans.remove(node);
      request.orphanNode = undefined;
      // A worker registered meanwhile: the request waits for it (no expiry while the service has workers).
      if (request.service.workers > 0) continue;
      this.unqueue(request);
      this.drop("request-expired", request.service.name, hex(request.client));
      this.collect(request.service);
    }
    this.wake = Math.min(this.nextHeartbeatAt, this.expiry.nextDeadline(), this.orphans.head?.value.deadline ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Tells every worker DISCONNECT, forgets them all and drops every queued
   * request (reason `"shutdown"`). Call when the broker closes.
   *
   * @param now - the current time.
   */
  shutdown(now: number): void {
    for (const worker of [...this.workers.values()]) {
      const request = worker.request;
      worker.request = undefined; // not re-dispatched: nobody is left to serve it
      if (request) this.drop("shutdown", worker.service.name, hex(request.client), "in a worker's hands");
      this.forget(worker, "shutdown", true, now);
    }
    for (const service of [...this.services.values()]) {
      let request;
      while ((request = service.requests.head?.value) !== undefined) {
        this.unqueue(request);
        if (request.orphanNode) this.orphans.remove(request.orphanNode);
        request.orphanNode = undefined;
        this.drop("shutdown", service.name, hex(request.client));
      }
      this.collect(service);
    }
  }

  // --- clients -------------------------------------------------------------

  private clientRequest(client: Buffer, serviceFrame: Buffer, name: string, body: Buffer[], now: number): void {
    this.counters.requests++;
    if (this.admission !== ALWAYS_ADMIT && !this.admission.admit({ service: name })) {
      this.drop("not-admitted", name, hex(client));
      return;
    }
    if (isMmiService(name)) {
      this.mmi(client, serviceFrame, name, body);
      return;
    }
    let service = this.services.get(name);
    if (service === undefined) {
      service = new Service(name, serviceFrame);
      this.services.set(name, service);
    }
    // Fast path: a worker is waiting and nobody is ahead in the queue.
    const idle = service.idle.head;
    if (idle !== undefined && service.requests.length === 0) {
      this.assign(idle.value, new Request(client, service, body));
      return;
    }
    if (this.queued >= this.maxQueued) {
      this.drop("queue-full", name, hex(client));
      this.collect(service);
      return;
    }
    this.enqueue(new Request(client, service, body), false, now);
    this.dispatch(service);
  }

  private mmi(client: Buffer, serviceFrame: Buffer, name: string, body: Buffer[]): void {
    this.counters.mmi++;
    let code: keyof typeof CODE_FRAMES = MMI_NOT_IMPLEMENTED;
    if (name === MMI_SERVICE) {
      // Like mdbroker.c: the service to look up is the last body frame.
      code = this.hasWorkers(body[body.length - 1]!.toString("utf8")) ? MMI_OK : MMI_NOT_FOUND;
    }
    this.out.send([client, EMPTY, MDPC_FRAME, serviceFrame, CODE_FRAMES[code]]);
  }

  // --- workers -------------------------------------------------------------

  private ready(sender: Buffer, serviceFrame: Buffer, name: string, now: number): void {
    const key = sender.toString("latin1");
    const known = this.workers.get(key);
    if (known) {
      this.forget(known, "second-ready", true, now);
      return;
    }
    if (isMmiService(name)) {
      this.refuse(sender, name, "mmi-service");
      return;
    }
    let service = this.services.get(name);
    if (service === undefined) {
      service = new Service(name, serviceFrame);
      this.services.set(name, service);
    }
    const worker = new Worker(sender, key, service);
    this.workers.set(key, worker);
    this.expiry.touch(worker, now);
    service.workers++;
    this.counters.registered++;
    this.out.event({ type: "ready", worker: hex(sender), service: name });
    this.makeIdle(worker);
    this.dispatch(service);
  }

  private reply(sender: Buffer, client: Buffer, body: Buffer[], now: number): void {
    const worker = this.workers.get(sender.toString("latin1"));
    if (worker === undefined) {
      this.drop("unexpected-reply", undefined, hex(sender), "from an unknown worker");
      this.refuse(sender, undefined, "unknown-worker");
      return;
    }
    this.expiry.touch(worker, now);
    const request = worker.request;
    if (request === undefined || !request.client.equals(client)) {
      this.drop("unexpected-reply", worker.service.name, hex(sender), request ? "for another client" : "with no request in hand");
      this.forget(worker, "unexpected-command", true, now);
      return;
    }
    const service = worker.service;
    const reply: Frame[] = [client, EMPTY, MDPC_FRAME, service.frame];
    for (let i = 0; i < body.length; i++) reply.push(body[i]!);
    this.out.send(reply);
    this.counters.replies++;
    worker.request = undefined;
    // Hand the next queued request straight over, or wait idle.
    const next = service.requests.shift();
    if (next !== undefined) {
      next.queueNode = undefined;
      this.queued--;
      if (next.orphanNode) this.orphans.remove(next.orphanNode);
      next.orphanNode = undefined;
      this.assign(worker, next);
    } else {
      this.makeIdle(worker);
    }
  }

  private malformed(sender: Buffer, err: unknown, now: number): void {
    this.counters.malformed++;
    const reason: MalformedReason | "unknown" = err instanceof MdpProtocolError ? err.reason : "unknown";
    const isWorker = err instanceof MdpProtocolError && err.subprotocol === "worker";
    const worker = this.workers.get(sender.toString("latin1"));
    this.drop("malformed", worker?.service.name, hex(sender), reason);
    if (!isWorker) return; // a client (or nobody we can tell): drop and carry on
    // RFC 7: an invalid message means an invalid peer: DISCONNECT it and forget it.
    if (worker) this.forget(worker, "malformed", true, now);
    else this.refuse(sender, undefined, "malformed");
  }

  /** Sends DISCONNECT to a peer that is not (or no longer) a registered worker. */
  private refuse(sender: Buffer, service: string | undefined, reason: WorkerGoneReason): void {
    this.sendDisconnect(sender);
    this.out.event({ type: "disconnect", worker: hex(sender), service, reason, disconnectSent: true });
  }

  private sendDisconnect(id: Buffer): void {
    this.counters.disconnectsSent++;
    this.out.send([id, EMPTY, MDPW_FRAME, DISCONNECT_FRAME]);
  }

  /**
   * Removes a worker. Its request in hand, if any, goes back to the front of
   * the queue (or is dropped after `maxAttempts`). `reason` undefined means
   * expiry (reported as an `expire` event by the caller).
   */
  private forget(worker: Worker, reason: WorkerGoneReason | undefined, tell: boolean, now: number): void {
    this.workers.delete(worker.key);
    this.expiry.delete(worker);
    const service = worker.service;
    if (worker.idleNode) {
      service.idle.remove(worker.idleNode);
      worker.idleNode = undefined;
      this.idleCount--;
    }
    service.workers--;
    if (tell) this.sendDisconnect(worker.id);
    if (reason !== undefined) {
      this.out.event({ type: "disconnect", worker: hex(worker.id), service: service.name, reason, disconnectSent: tell });
    }
    if (service.workers === 0) {
      // Requests already waiting now wait for a worker that may never come: start their expiry.
      for (const request of service.requests) this.orphan(request, now);
    }
    const request = worker.request;
    worker.request = undefined;
    if (request !== undefined) {
      if (request.attempts >= this.maxAttempts) {
        this.drop("max-attempts", service.name, hex(request.client), `${request.attempts} attempts`);
      } else if (this.queued >= this.maxQueued) {
        this.drop("queue-full", service.name, hex(request.client));
      } else {
        this.counters.redispatched++;
        this.out.event({ type: "redispatch", service: service.name, worker: hex(worker.id), attempts: request.attempts });
        this.enqueue(request, true, now);
        this.dispatch(service);
      }
    }
    this.collect(service);
  }

  // --- queues --------------------------------------------------------------

  private makeIdle(worker: Worker): void {
    worker.idleNode = worker.service.idle.push(worker);
    this.idleCount++;
  }

  private assign(worker: Worker, request: Request): void {
    if (worker.idleNode) {
      worker.service.idle.remove(worker.idleNode);
      worker.idleNode = undefined;
      this.idleCount--;
    }
    worker.request = request;
    request.attempts++;
    this.counters.dispatched++;
    const message: Frame[] = [worker.id, EMPTY, MDPW_FRAME, REQUEST_FRAME, request.client, EMPTY];
    const body = request.body;
    for (let i = 0; i < body.length; i++) message.push(body[i]!);
    this.out.send(message);
  }

  private enqueue(request: Request, front: boolean, now: number): void {
    const queue = request.service.requests;
    request.queueNode = front ? queue.unshift(request) : queue.push(request);
    this.queued++;
    if (request.service.workers === 0) this.orphan(request, now);
  }

  private unqueue(request: Request): void {
    if (request.queueNode) {
      request.service.requests.remove(request.queueNode);
      request.queueNode = undefined;
      this.queued--;
    }
  }

  /** Starts `request`'s expiry clock (deadline order holds: `now + requestExpiry` is the latest deadline so far). */
  private orphan(request: Request, now: number): void {
    if (request.orphanNode) return;
    request.deadline = now + this.requestExpiry;
    request.orphanNode = this.orphans.push(request);
    if (request.deadline < this.wake) this.wake = request.deadline;
  }

  private dispatch(service: Service): void {
    let idle;
    while (service.requests.length > 0 && (idle = service.idle.head) !== undefined) {
      const request = service.requests.shift()!;
      request.queueNode = undefined;
      this.queued--;
      if (request.orphanNode) this.orphans.remove(request.orphanNode);
      request.orphanNode = undefined;
      this.assign(idle.value, request);
    }
  }

  /** Forgets a service that has neither workers nor queued requests (the reference keeps them forever). */
  private collect(service: Service): void {
    if (service.workers === 0 && service.requests.length === 0 && this.services.get(service.name) === service) {
      this.services.delete(service.name);
    }
  }

  private drop(reason: DropReason, service: string | undefined, peer: string | undefined, detail?: string): void {
    this.counters.dropped++;
    this.drops[reason]++;
    const event: DropEvent = { type: "drop", reason };
    if (service !== undefined) event.service = service;
    if (peer !== undefined) event.peer = peer;
    if (detail !== undefined) event.detail = detail;
    this.out.event(event);
  }

  /**
   * Records a drop the shell noticed (a failed send), so that
   * {@link BrokerState.stats} counts every drop in one place.
   *
   * @param reason - why.
   * @param detail - more detail.
   */
  recordDrop(reason: DropReason, detail?: string): void {
    this.drop(reason, undefined, undefined, detail);
  }
}
