/**
 * The broker's service queues, as plain objects with pure methods (like
 * majortomo's `ServicesContainer` and `Service`): each service has its queue
 * of waiting requests and its list of idle workers; every queued request
 * expires `requestExpiry` after it was queued (whether or not its service has
 * workers) through one list ordered by deadline. The table also keeps the
 * figures its bounds are checked against: requests and bytes queued in all,
 * per service and per client. Nothing here sends or decides: `BrokerState` does.
 *
 * Every operation is O(1) and allocation-free (intrusive lists; finished
 * requests go back to a small pool), except creating a service.
 *
 * @module
 */
import { LinkedList, ListNode, heldBytes } from "@zmq-reliable/core";
import { ServiceFigures } from "./broker-service-stats-state.js";
import type { Worker } from "./broker-workers-state.js";

const NO_BODY: Buffer[] = [];
const NO_CLIENT = Buffer.alloc(0);
/** Finished requests kept for reuse, at most. */
const POOL_SIZE = 1024;

/** A client request the broker holds: queued, or in a worker's hands. */
export class Request {
  /** The client's routing id. */
  client: Buffer;
  /** The service it is for. */
  service: Service;
  /** The body frames, forwarded as they came. */
  body: Buffer[];
  /** Workers it has been handed to. */
  attempts = 0;
  /** When it expires while queued. */
  deadline = 0;
  /** When the broker received it (its latency runs from here to the reply). */
  receivedAt = 0;
  /** Bytes counted against the byte limits while queued: the body plus core's `FRAME_OVERHEAD_BYTES` per frame (`heldBytes`). */
  bytes = 0;
  /** The client's routing id as a map key (`latin1`), set when it is queued. */
  clientKey = "";
  /** Its client's line in the service's queue, while queued. */
  line: ClientLine | undefined = undefined;
  /** Membership in its client's line. */
  readonly queueLink: ListNode<Request> = new ListNode<Request>(this);
  /** Membership in the request-expiry list. */
  readonly expiryLink: ListNode<Request> = new ListNode<Request>(this);

  /**
   * @param client - the client's routing id.
   * @param service - the service.
   * @param body - the body frames.
   */
  constructor(client: Buffer, service: Service, body: Buffer[]) {
    this.client = client;
    this.service = service;
    this.body = body;
  }
}

/**
 * The requests one client has queued for one service, oldest first
 * (re-dispatched ones at the front).
 */
export class ClientLine {
  /** The requests, oldest first. */
  readonly requests = new LinkedList<Request>();
  /** Membership in the service's rotation. */
  readonly link: ListNode<ClientLine> = new ListNode<ClientLine>(this);

  /** @param key - the client's routing id as a map key. */
  constructor(readonly key: string) {}
}

/**
 * A service: its request queue and its idle workers. The queue is fair
 * between clients: each client with queued requests has a line, and workers
 * take from the lines in turn (round robin), so a client that floods waits
 * behind its own requests, not in front of everybody else's.
 */
export class Service {
  /** Requests waiting for a worker, all clients together. */
  queued = 0;
  /** Lines of the clients with queued requests, the next to be served first. */
  readonly rotation = new LinkedList<ClientLine>();
  /** The line of each client in {@link Service.rotation}, by client key. */
  readonly lines = new Map<string, ClientLine>();
  /** Idle workers, longest waiting first. */
  readonly idle = new LinkedList<Worker>();
  /** Registered workers, busy or idle. */
  workers = 0;
  /** Bytes of the queued requests (as the limits count them). */
  queuedBytes = 0;
  /** Its counters and latency since it was created (see `stats().byService`). */
  readonly figures = new ServiceFigures();

  /**
   * @param name - the service name.
   * @param frame - the name as it arrived on the wire, echoed in replies.
   */
  constructor(
    readonly name: string,
    readonly frame: Buffer,
  ) {}
}

/** The bounds of a {@link ServiceTable} (see `BrokerStateOptions` for each). */
export interface QueueLimits {
  /** Ms a request may stay queued. */
  requestExpiry: number;
  /** Most requests queued, all services together. */
  maxQueued: number;
  /** Most body bytes queued, all services together. */
  maxQueuedBytes: number;
  /** Most requests queued for one service. */
  maxQueuedPerService: number;
  /** Most body bytes queued for one service. */
  maxQueuedBytesPerService: number;
  /** Most requests queued from one client. */
  maxQueuedPerClient: number;
  /** Most services known at once. */
  maxServices: number;
}

/** Why a {@link ServiceTable} refuses to queue a request (a drop reason). */
export type QueueRefusal = "queue-full" | "service-queue-full" | "client-queue-full";

/** Every service the broker knows, and the requests they hold. */
export class ServiceTable {
  private readonly byName = new Map<string, Service>();
  /** Every queued request, in deadline order. */
  private readonly expiring = new LinkedList<Request>();
  private readonly pool: Request[] = [];
  /** Queued requests per client key (entries at 0 are deleted). */
  private readonly perClient = new Map<string, number>();
  /** Requests waiting in all service queues. */
  queued = 0;
  /** Body bytes waiting in all service queues. */
  queuedBytes = 0;

  /** @param limits - the bounds; see {@link QueueLimits}. */
  constructor(private readonly limits: QueueLimits) {}

  /** Services known now. */
  get size(): number {
    return this.byName.size;
  }

  /** Clients with at least one queued request. */
  get clients(): number {
    return this.perClient.size;
  }

  /**
   * Whether the total bounds leave no room for `bytes` more (what a re-dispatch checks).
   *
   * @param bytes - the body bytes of the request to queue.
   */
  full(bytes: number): boolean {
    return this.queued >= this.limits.maxQueued || this.queuedBytes + bytes > this.limits.maxQueuedBytes;
  }

  /**
   * Why a new request of `bytes` from `clientKey` may not be queued for
   * `service`, or `undefined` when it may.
   *
   * @param service - the service.
   * @param clientKey - the client's routing id as a map key.
   * @param bytes - the request's body bytes.
   */
  refusal(service: Service, clientKey: string, bytes: number): QueueRefusal | undefined {
    const l = this.limits;
    if (this.full(bytes)) return "queue-full";
    if (service.queued >= l.maxQueuedPerService || service.queuedBytes + bytes > l.maxQueuedBytesPerService) return "service-queue-full";
    if ((this.perClient.get(clientKey) ?? 0) >= l.maxQueuedPerClient) return "client-queue-full";
    return undefined;
  }

  /**
   * The service called `name`, created if unknown; `undefined` when it is
   * unknown and `maxServices` services exist already.
   *
   * @param name - the service name.
   * @param frame - its wire frame, kept when the service is created.
   */
  open(name: string, frame: Buffer): Service | undefined {
    let service = this.byName.get(name);
    if (service === undefined) {
      if (this.byName.size >= this.limits.maxServices) return undefined;
      service = new Service(name, frame);
      this.byName.set(name, service);
    }
    return service;
  }

  /**
   * Whether at least one worker is registered for `name`.
   *
   * @param name - the service name.
   */
  hasWorkers(name: string): boolean {
    const service = this.byName.get(name);
    return service !== undefined && service.workers > 0;
  }

  /**
   * The service called `name`, if known.
   *
   * @param name - the service name.
   */
  get(name: string): Service | undefined {
    return this.byName.get(name);
  }

  /** Every service. */
  values(): IterableIterator<Service> {
    return this.byName.values();
  }

  /**
   * Forgets `service` if it has neither workers nor queued requests (the reference keeps them forever).
   *
   * @param service - the service.
   */
  collect(service: Service): void {
    if (service.workers === 0 && service.queued === 0 && this.byName.get(service.name) === service) {
      this.byName.delete(service.name);
    }
  }

  /**
   * A new request (from the pool when one is free).
   *
   * @param client - the client's routing id.
   * @param service - the service.
   * @param body - the body frames.
   */
  request(client: Buffer, service: Service, body: Buffer[]): Request {
    let request = this.pool.pop();
    if (request === undefined) request = new Request(client, service, body);
    else {
      request.client = client;
      request.service = service;
      request.body = body;
    }
    request.bytes = heldBytes(body);
    return request;
  }

  /**
   * Gives back a request that is finished (answered or dropped) and in no list.
   *
   * @param request - the request.
   */
  release(request: Request): void {
    this.unqueue(request);
    request.client = NO_CLIENT;
    request.body = NO_BODY;
    request.attempts = 0;
    request.clientKey = "";
    if (this.pool.length < POOL_SIZE) this.pool.push(request);
  }

  /**
   * Queues `request` at the back of its client's line (or, for a re-dispatch,
   * at the front, with its client's line served next) and starts its expiry
   * clock: it is dropped `requestExpiry` from now unless a worker takes it
   * first. The caller has checked the bounds.
   *
   * @param request - the request.
   * @param clientKey - its client's routing id as a map key.
   * @param front - put it first.
   * @param now - the current time.
   */
  enqueue(request: Request, clientKey: string, front: boolean, now: number): void {
    const service = request.service;
    let line = service.lines.get(clientKey);
    if (line === undefined) {
      line = new ClientLine(clientKey);
      service.lines.set(clientKey, line);
      service.rotation.pushNode(line.link);
    }
    request.line = line;
    if (front) {
      line.requests.unshiftNode(request.queueLink);
      service.rotation.remove(line.link);
      service.rotation.unshiftNode(line.link);
    } else line.requests.pushNode(request.queueLink);
    service.queued++;
    this.queued++;
    this.queuedBytes += request.bytes;
    service.queuedBytes += request.bytes;
    request.clientKey = clientKey;
    this.perClient.set(clientKey, (this.perClient.get(clientKey) ?? 0) + 1);
    // deadline order holds: `now + requestExpiry` is the latest deadline so far
    request.deadline = now + this.limits.requestExpiry;
    this.expiring.pushNode(request.expiryLink);
  }

  /**
   * Takes the next request of `service`'s queue: the oldest of the client
   * whose turn it is; that client's line then goes to the back of the rotation.
   *
   * @param service - the service.
   */
  take(service: Service): Request | undefined {
    const line = service.rotation.head?.value;
    const request = line?.requests.head?.value;
    if (line === undefined || request === undefined) return undefined;
    this.unqueue(request);
    if (line.requests.length > 0) {
      service.rotation.remove(line.link);
      service.rotation.pushNode(line.link);
    }
    return request;
  }

  /**
   * Removes `request` from its queue and from the expiry list, if it is there.
   *
   * @param request - the request.
   */
  unqueue(request: Request): void {
    const service = request.service;
    const line = request.line;
    if (line !== undefined && line.requests.remove(request.queueLink)) {
      request.line = undefined;
      if (line.requests.length === 0) {
        service.rotation.remove(line.link);
        service.lines.delete(line.key);
      }
      service.queued--;
      this.queued--;
      this.queuedBytes -= request.bytes;
      service.queuedBytes -= request.bytes;
      const n = this.perClient.get(request.clientKey)! - 1;
      if (n === 0) this.perClient.delete(request.clientKey);
      else this.perClient.set(request.clientKey, n);
    }
    this.expiring.remove(request.expiryLink);
  }

  /** The earliest request deadline, `Infinity` when none. */
  nextExpiry(): number {
    return this.expiring.head?.value.deadline ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Takes out the next request that expired at `now`, unqueued (then the
   * caller drops and releases it), whether or not its service has workers:
   * workers that heartbeat but never take work must not hold requests forever.
   *
   * @param now - the current time.
   */
  nextExpired(now: number): Request | undefined {
    const link = this.expiring.head;
    if (link === undefined || link.value.deadline > now) return undefined;
    this.unqueue(link.value);
    return link.value;
  }
}
