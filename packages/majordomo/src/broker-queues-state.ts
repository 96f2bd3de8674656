/**
 * The broker's service queues, as plain objects with pure methods (like
 * majortomo's `ServicesContainer` and `Service`): each service has its queue
 * of waiting requests and its list of idle workers; requests waiting for a
 * service that has no worker at all expire after `requestExpiry` through one
 * list ordered by deadline. Nothing here sends or decides: `BrokerState` does.
 *
 * Every operation is O(1) and allocation-free (intrusive lists; finished
 * requests go back to a small pool), except creating a service.
 *
 * @module
 */
import { LinkedList, ListNode } from "@zmq-reliable/core";
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
  /** When it expires while waiting for a service with no worker. */
  deadline = 0;
  /** Membership in its service's queue. */
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

/** A service: its request queue and its idle workers. */
export class Service {
  /** Requests waiting for a worker, oldest first (re-dispatched ones at the front). */
  readonly requests = new LinkedList<Request>();
  /** Idle workers, longest waiting first. */
  readonly idle = new LinkedList<Worker>();
  /** Registered workers, busy or idle. */
  workers = 0;

  /**
   * @param name - the service name.
   * @param frame - the name as it arrived on the wire, echoed in replies.
   */
  constructor(
    readonly name: string,
    readonly frame: Buffer,
  ) {}
}

/** Every service the broker knows, and the requests they hold. */
export class ServiceTable {
  private readonly byName = new Map<string, Service>();
  /** Queued requests whose service has no worker, in deadline order. */
  private readonly expiring = new LinkedList<Request>();
  private readonly pool: Request[] = [];
  /** Requests waiting in all service queues. */
  queued = 0;

  /**
   * @param requestExpiry - ms a request may wait while its service has no worker.
   * @param maxQueued - most requests queued at once, all services together.
   */
  constructor(
    private readonly requestExpiry: number,
    private readonly maxQueued: number,
  ) {}

  /** Services known now. */
  get size(): number {
    return this.byName.size;
  }

  /** Whether `maxQueued` requests are queued already. */
  get full(): boolean {
    return this.queued >= this.maxQueued;
  }

  /**
   * The service called `name`, created if unknown.
   *
   * @param name - the service name.
   * @param frame - its wire frame, kept when the service is created.
   */
  open(name: string, frame: Buffer): Service {
    let service = this.byName.get(name);
    if (service === undefined) {
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
    if (service.workers === 0 && service.requests.length === 0 && this.byName.get(service.name) === service) {
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
    const request = this.pool.pop();
    if (request === undefined) return new Request(client, service, body);
    request.client = client;
    request.service = service;
    request.body = body;
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
    if (this.pool.length < POOL_SIZE) this.pool.push(request);
  }

  /**
   * Queues `request` at the back (or the front, for a re-dispatch). When its
   * service has no worker, its expiry clock starts.
   *
   * @param request - the request.
   * @param front - put it first.
   * @param now - the current time.
   */
  enqueue(request: Request, front: boolean, now: number): void {
    const queue = request.service.requests;
    if (front) queue.unshiftNode(request.queueLink);
    else queue.pushNode(request.queueLink);
    this.queued++;
    if (request.service.workers === 0) this.startExpiry(request, now);
  }

  /**
   * Takes the first request of `service`'s queue.
   *
   * @param service - the service.
   */
  take(service: Service): Request | undefined {
    const link = service.requests.head;
    if (link === undefined) return undefined;
    this.unqueue(link.value);
    return link.value;
  }

  /**
   * Removes `request` from its queue and from the expiry list, if it is there.
   *
   * @param request - the request.
   */
  unqueue(request: Request): void {
    if (request.service.requests.remove(request.queueLink)) this.queued--;
    this.expiring.remove(request.expiryLink);
  }

  /**
   * Starts the expiry clock of every request queued for `service` (its last worker left).
   *
   * @param service - the service.
   * @param now - the current time.
   */
  startExpiryOfQueue(service: Service, now: number): void {
    for (const request of service.requests) this.startExpiry(request, now);
  }

  /** The earliest request deadline, `Infinity` when none. */
  nextExpiry(): number {
    return this.expiring.head?.value.deadline ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Takes out the next request that expired at `now`, unqueued (then the
   * caller drops and releases it). A request whose service got a worker
   * meanwhile stops expiring and stays queued.
   *
   * @param now - the current time.
   */
  nextExpired(now: number): Request | undefined {
    let link;
    while ((link = this.expiring.head) !== undefined && link.value.deadline <= now) {
      const request = link.value;
      this.expiring.remove(link);
      if (request.service.workers > 0) continue; // a worker registered: it waits for it
      this.unqueue(request);
      return request;
    }
    return undefined;
  }

  /** Starts `request`'s expiry clock (deadline order holds: `now + requestExpiry` is the latest deadline so far). */
  private startExpiry(request: Request, now: number): void {
    if (request.expiryLink.list !== undefined) return;
    request.deadline = now + this.requestExpiry;
    this.expiring.pushNode(request.expiryLink);
  }
}
