/**
 * The queue's worker registry, without sockets or timers: who is registered,
 * who is ready (proven workers first, least recently used first within each
 * group), the request each busy worker holds, and one expiry deadline per
 * worker. `QueueState` decides when to call what; the registry only keeps
 * the books.
 *
 * @module
 */
import { ExpiryQueue } from "@zmq-reliable/core";

/** A request handed to a worker and not yet answered. */
export interface InFlightRequest {
  /** The client's address stack (ROUTER ids), e.g. one id for a direct REQ client. */
  client: Buffer[];
  /** The request's content frames. */
  body: Buffer[];
  /** When it was handed to the worker (clock time, ms). */
  since: number;
  /** When it arrived at the queue (clock time, ms): `requestExpiry` counts from here, across re-dispatches. */
  arrived: number;
  /** Workers it has been handed to, this one included (1 on the first dispatch); bounded by `maxAttempts`. */
  attempts: number;
}

/** One registered worker, as the {@link WorkerRegistry} keeps it. */
export interface WorkerRecord {
  /** The worker's routing id (a copy the registry owns). */
  readonly id: Buffer;
  /** `id` as a map key. */
  readonly key: string;
  /** When it was last heard from (clock time, ms). */
  lastHeard: number;
  /** The request it holds, `undefined` while idle. */
  job: InFlightRequest | undefined;
  /** Whether it has answered a request since it registered: proven workers are dispatched to first. */
  proven: boolean;
}

function keyOf(id: Buffer): string {
  return id.toString("hex");
}

/**
 * Registered workers: two least-recently-used lists of the ready ones
 * (proven workers, which have answered a request, and fresh ones, which
 * never have since they registered) and an expiry deadline (`ttl` after the last sign
 * of life) for each. All operations are O(1) but
 * {@link WorkerRegistry.popExpired} (O(expired)).
 */
export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerRecord>();
  /** Ready proven workers; Map iteration order is insertion order, so the first entry is the least recently used. */
  private readonly proven = new Map<string, WorkerRecord>();
  /** Ready workers that have never answered a request, least recently used first. */
  private readonly fresh = new Map<string, WorkerRecord>();
  private readonly expiry: ExpiryQueue<string>;

  /** @param ttl - milliseconds of silence after which a worker expires. */
  constructor(ttl: number) {
    this.expiry = new ExpiryQueue(ttl);
  }

  /** Milliseconds of silence after which a worker expires. */
  get ttl(): number {
    return this.expiry.ttl;
  }

  /** Registered workers, idle or busy. */
  get size(): number {
    return this.workers.size;
  }

  /** Workers ready for a request. */
  get readyCount(): number {
    return this.proven.size + this.fresh.size;
  }

  /** Workers holding a request. */
  get busyCount(): number {
    return this.workers.size - this.readyCount;
  }

  /** Ready workers' ids in dispatch order: proven ones first, least recently used first within each group. */
  readyIds(): Buffer[] {
    return [...this.proven.values(), ...this.fresh.values()].map((w) => w.id);
  }

  /** Every registered worker, idle and busy, in registration order. */
  all(): IterableIterator<WorkerRecord> {
    return this.workers.values();
  }

  /**
   * The record of a registered worker.
   *
   * @param id - the worker's routing id.
   */
  get(id: Buffer): WorkerRecord | undefined {
    return this.workers.get(keyOf(id));
  }

  /**
   * Registers a new worker, idle and not proven, at the back of the fresh ready list.
   *
   * @param id - its routing id (copied).
   * @param now - the current clock time.
   */
  register(id: Buffer, now: number): WorkerRecord {
    const key = keyOf(id);
    const record: WorkerRecord = { id: Buffer.from(id), key, lastHeard: now, job: undefined, proven: false };
    this.workers.set(key, record);
    this.fresh.set(key, record);
    this.expiry.touch(key, now);
    return record;
  }

  /**
   * A sign of life: restarts the worker's expiry countdown.
   *
   * @param record - the worker.
   * @param now - the current clock time.
   */
  heard(record: WorkerRecord, now: number): void {
    record.lastHeard = now;
    this.expiry.touch(record.key, now);
  }

  /**
   * Hands `job` to the next ready worker, which becomes busy: the least
   * recently used proven one, else the least recently used fresh one. A
   * worker whose key is `avoid` (the one that just gave `job` up) is taken
   * only when no other worker is ready.
   *
   * @param job - the request.
   * @param avoid - the key of a worker to pass over if another is ready.
   * @returns the worker, or `undefined` when none is ready.
   */
  assign(job: InFlightRequest, avoid?: string): WorkerRecord | undefined {
    const record = this.pick(avoid);
    if (!record) return undefined;
    (record.proven ? this.proven : this.fresh).delete(record.key);
    record.job = job;
    return record;
  }

  /** The worker {@link WorkerRegistry.assign} takes; looks at most at two entries per group. */
  private pick(avoid: string | undefined): WorkerRecord | undefined {
    let giver: WorkerRecord | undefined;
    for (const group of [this.proven, this.fresh]) {
      for (const record of group.values()) {
        if (record.key !== avoid) return record;
        giver = record; // only when no other worker is ready
      }
    }
    return giver;
  }

  /**
   * Takes the request off a busy worker and puts it at the back of its ready
   * list: the proven one once it has `answered` a request (this one or an
   * earlier one), else the fresh one (it gave the request up by saying READY).
   *
   * @param record - the worker.
   * @param answered - whether it answered the request (rather than gave it up).
   * @returns the request it held.
   */
  release(record: WorkerRecord, answered: boolean): InFlightRequest | undefined {
    const job = record.job;
    record.job = undefined;
    if (answered) record.proven = true;
    (record.proven ? this.proven : this.fresh).set(record.key, record);
    return job;
  }

  /**
   * Removes and returns every worker whose deadline is at or before `now`, oldest first.
   *
   * @param now - the current clock time.
   */
  popExpired(now: number): WorkerRecord[] {
    return this.expiry.popExpired(now).map((key) => {
      const record = this.workers.get(key)!;
      this.workers.delete(key);
      this.proven.delete(key);
      this.fresh.delete(key);
      return record;
    });
  }

  /** The earliest expiry deadline, `Infinity` with no workers. */
  nextExpiry(): number {
    return this.expiry.nextDeadline();
  }

  /** Forgets every worker; returns them. */
  clear(): WorkerRecord[] {
    const records = [...this.workers.values()];
    for (const record of records) this.expiry.delete(record.key);
    this.workers.clear();
    this.proven.clear();
    this.fresh.clear();
    return records;
  }
}
