/**
 * The broker's worker registry, as plain objects with pure methods (like
 * majortomo's `Worker` and its `expired_workers()`): registered workers by
 * routing id, and their expiry. All workers share one time-to-live
 * (`liveness × heartbeatInterval`), so core's `ExpiryQueue` keeps them in
 * deadline order: touching one is O(1), expired ones sit at the front.
 *
 * @module
 */
import { ExpiryQueue } from "@zmq-reliable/core";
import { ListNode } from "@zmq-reliable/core";
import type { Request, Service } from "./broker-queues-state.js";

const NONE: never[] = [];

/** A registered worker. */
export class Worker {
  /** The request in its hands, if busy. */
  request: Request | undefined = undefined;
  /** Membership in its service's idle list. */
  readonly idleLink: ListNode<Worker> = new ListNode<Worker>(this);

  /**
   * @param id - its routing id.
   * @param key - the routing id as a map key.
   * @param service - the service it serves.
   */
  constructor(
    readonly id: Buffer,
    readonly key: string,
    readonly service: Service,
  ) {}

  /** The routing id in hex, for events. */
  get hex(): string {
    return this.id.toString("hex");
  }
}

/** The registered workers and when each expires. */
export class WorkerRegistry {
  private readonly byKey = new Map<string, Worker>();
  private readonly expiry: ExpiryQueue<Worker>;

  /** @param ttl - ms of silence after which a worker expires. */
  constructor(ttl: number) {
    this.expiry = new ExpiryQueue(ttl);
  }

  /** Registered workers now. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * The registered worker with routing id `sender`, if any.
   *
   * @param sender - a routing id.
   */
  find(sender: Buffer): Worker | undefined {
    return this.byKey.get(sender.toString("latin1"));
  }

  /**
   * Registers a worker for `service` and starts its expiry clock. The caller
   * has checked that `sender` is not registered.
   *
   * @param sender - its routing id.
   * @param service - the service it serves.
   * @param now - the current time.
   */
  add(sender: Buffer, service: Service, now: number): Worker {
    const worker = new Worker(sender, sender.toString("latin1"), service);
    this.byKey.set(worker.key, worker);
    this.expiry.touch(worker, now);
    service.workers++;
    return worker;
  }

  /**
   * Unregisters `worker` (its request and idle membership are the caller's).
   *
   * @param worker - the worker.
   */
  remove(worker: Worker): void {
    this.byKey.delete(worker.key);
    this.expiry.delete(worker);
    worker.service.workers--;
  }

  /**
   * Restarts `worker`'s expiry clock: any command from it counts as a heartbeat.
   *
   * @param worker - the worker.
   * @param now - the current time.
   */
  touch(worker: Worker, now: number): void {
    this.expiry.touch(worker, now);
  }

  /**
   * Takes out every worker silent for the whole TTL at `now`, oldest first.
   * They are still registered: the caller forgets each.
   *
   * @param now - the current time.
   */
  expired(now: number): Worker[] {
    return this.expiry.nextDeadline() > now ? NONE : this.expiry.popExpired(now);
  }

  /** The earliest worker deadline, `Infinity` when none. */
  nextDeadline(): number {
    return this.expiry.nextDeadline();
  }

  /** Every registered worker, in registration order. */
  values(): IterableIterator<Worker> {
    return this.byKey.values();
  }
}
