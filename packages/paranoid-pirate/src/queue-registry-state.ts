/**
 * The queue's worker registry, without sockets or timers: who is registered,
 * who is ready (least recently used first), the request each busy worker
 * holds, and one expiry deadline per worker. `QueueState` decides when
 * to call what; the registry only keeps the books.
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
}

function keyOf(id: Buffer): string {
  return id.toString("hex");
}

/**
 * Registered workers: a least-recently-used list of the ready ones and an
 * expiry deadline (`ttl` after the last sign of life) for each. All
 * operations are O(1) but {@link WorkerRegistry.popExpired} (O(expired)).
 */
export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerRecord>();
  /** Ready workers; Map iteration order is insertion order, so the first entry is the least recently used. */
  private readonly ready = new Map<string, WorkerRecord>();
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
    return this.ready.size;
  }

  /** Workers holding a request. */
  get busyCount(): number {
    return this.workers.size - this.ready.size;
  }

  /** Ready workers' ids, least recently used first. */
  readyIds(): Buffer[] {
    return [...this.ready.values()].map((w) => w.id);
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
   * Registers a new worker, idle, at the back of the ready list.
   *
   * @param id - its routing id (copied).
   * @param now - the current clock time.
   */
  register(id: Buffer, now: number): WorkerRecord {
    const key = keyOf(id);
    const record: WorkerRecord = { id: Buffer.from(id), key, lastHeard: now, job: undefined };
    this.workers.set(key, record);
    this.ready.set(key, record);
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
   * Hands `job` to the least recently used ready worker, which becomes busy.
   *
   * @param job - the request.
   * @returns the worker, or `undefined` when none is ready.
   */
  assign(job: InFlightRequest): WorkerRecord | undefined {
    const record = this.ready.values().next().value as WorkerRecord | undefined;
    if (!record) return undefined;
    this.ready.delete(record.key);
    record.job = job;
    return record;
  }

  /**
   * Takes the request off a busy worker and puts it at the back of the ready list.
   *
   * @param record - the worker.
   * @returns the request it held.
   */
  release(record: WorkerRecord): InFlightRequest | undefined {
    const job = record.job;
    record.job = undefined;
    this.ready.set(record.key, record);
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
      this.ready.delete(key);
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
    this.ready.clear();
    return records;
  }
}
