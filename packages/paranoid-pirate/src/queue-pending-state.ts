/**
 * Requests the queue holds while no worker is ready, without sockets or
 * timers: a first-in first-out list bounded in count and in bytes, whose
 * oldest entries expire, with requests a worker gave up (re-queued) ahead of
 * it. `QueueState` decides when to call what; this only keeps the books.
 *
 * @module
 */
import { Fifo } from "@zmq-reliable/core";
import type { InFlightRequest } from "./queue-registry-state.js";

/**
 * The size a request is counted for: every byte of its envelope and body
 * frames (what the queue holds in memory for it, give or take the frame
 * objects).
 *
 * @param client - the client's address stack.
 * @param body - the request's content frames.
 */
export function requestBytes(client: readonly Buffer[], body: readonly Buffer[]): number {
  let bytes = 0;
  for (const frame of client) bytes += frame.length;
  for (const frame of body) bytes += frame.length;
  return bytes;
}

/** A held request, the bytes it is counted for, its client's key, and the worker that gave it up (re-queued ones). */
interface Held {
  readonly request: InFlightRequest;
  readonly bytes: number;
  readonly client: string;
  readonly avoid?: string;
}

/** A request taken off the {@link PendingRequests}, with the worker to pass over if another is ready. */
export interface NextRequest {
  /** The request. */
  readonly request: InFlightRequest;
  /** The key of the worker that gave it up (a re-queued request), to be passed over if another worker is ready. */
  readonly avoid?: string;
}

/** Whose quota a request counts against: the frontend connection it came through (its first envelope frame), which a peer cannot forge. */
function clientKey(request: InFlightRequest): string {
  return (request.client[0] ?? Buffer.alloc(0)).toString("hex");
}

/**
 * Requests waiting for a ready worker: re-queued ones first (requests a
 * worker gave up, oldest arrival first), then new ones in arrival order.
 * Each part is sorted by arrival (`arrived`), so expiry looks at two heads
 * and costs O(expired). Both count against the same limits.
 */
export class PendingRequests {
  private readonly fifo = new Fifo<Held>();
  /** Re-queued requests, sorted by arrival; dispatched before {@link PendingRequests.fifo}. */
  private readonly front: Held[] = [];
  private heldBytes = 0;
  private readonly perClient = new Map<string, number>();

  /**
   * @param maxCount - requests held at most.
   * @param maxBytes - bytes held at most (see {@link requestBytes}).
   * @param expiry - milliseconds after arrival at which a held request is stale.
   * @param maxPerClient - requests held at most for one client connection.
   */
  constructor(
    readonly maxCount: number,
    readonly maxBytes: number,
    readonly expiry: number,
    readonly maxPerClient: number = Infinity,
  ) {}

  /** Requests held. */
  get length(): number {
    return this.fifo.length + this.front.length;
  }

  /** Whether `bytes` more fit within `maxCount` and `maxBytes`. */
  private fits(bytes: number): boolean {
    return this.length < this.maxCount && this.heldBytes + bytes <= this.maxBytes;
  }

  private count(client: string, delta: number): void {
    const count = (this.perClient.get(client) ?? 0) + delta;
    if (count === 0) this.perClient.delete(client);
    else this.perClient.set(client, count);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Holds `request` if every limit allows it.
   *
   * @param request - the request, `arrived` its arrival time.
   * @param bytes - its size ({@link requestBytes}).
   * @returns `"held"`, or why nothing was held: `"full"` (it would pass `maxCount` or
   *   `maxBytes`) or `"client-full"` (its client already has `maxPerClient` held).
   */
  push(request: InFlightRequest, bytes: number): "held" | "full" | "client-full" {
    if (!this.fits(bytes)) return "full";
    const client = clientKey(request);
    if ((this.perClient.get(client) ?? 0) >= this.maxPerClient) return "client-full";
    this.count(client, 1);
    this.fifo.push({ request, bytes, client });
    this.heldBytes += bytes;
    return "held";
  }

  /**
   * Holds a request a worker gave up ahead of every new one (among re-queued
   * ones, by arrival), if `maxCount` and `maxBytes` allow it. It counts
   * against its client's share but is not refused for it: it was taken once.
   *
   * @param request - the request, `arrived` its arrival time.
   * @param bytes - its size ({@link requestBytes}).
   * @param avoid - the key of the worker that gave it up.
   * @returns `"held"`, or `"full"` when nothing was held.
   */
  requeue(request: InFlightRequest, bytes: number, avoid: string): "held" | "full" {
    if (!this.fits(bytes)) return "full";
    const client = clientKey(request);
    this.count(client, 1);
    let i = this.front.length;
    while (i > 0 && this.front[i - 1]!.request.arrived > request.arrived) i--;
    this.front.splice(i, 0, { request, bytes, client, avoid });
    this.heldBytes += bytes;
    return "held";
  }

  /** The part whose head arrived first (re-queued ones on a tie), `undefined` when none is held. */
  private oldest(): Held | undefined {
    const requeued = this.front[0];
    const fresh = this.fifo.peek();
    return requeued && (!fresh || requeued.request.arrived <= fresh.request.arrived) ? requeued : fresh;
  }

  private take(held: Held): NextRequest {
    this.heldBytes -= held.bytes;
    this.count(held.client, -1);
    return held.avoid === undefined ? { request: held.request } : { request: held.request, avoid: held.avoid };
  }

  /** Removes and returns the next request to dispatch (a re-queued one first), `undefined` when none is held. */
  shift(): NextRequest | undefined {
    const held = this.front.length > 0 ? this.front.shift() : this.fifo.shift();
    return held ? this.take(held) : undefined;
  }

  /**
   * Removes and returns every request that arrived `expiry` ms or more before `now`, oldest first.
   *
   * @param now - the current clock time.
   */
  popExpired(now: number): InFlightRequest[] {
    const out: InFlightRequest[] = [];
    for (let held = this.oldest(); held && held.request.arrived + this.expiry <= now; held = this.oldest()) {
      out.push(this.take(held === this.front[0] ? this.front.shift()! : this.fifo.shift()!).request);
    }
    return out;
  }

  /** When the oldest held request goes stale, `Infinity` when none is held. */
  nextExpiry(): number {
    const head = this.oldest();
    return head ? head.request.arrived + this.expiry : Infinity;
  }

  /** Removes and returns every held request, re-queued ones first. */
  clear(): InFlightRequest[] {
    this.heldBytes = 0;
    this.perClient.clear();
    return [...this.front.splice(0), ...this.fifo.drain()].map((held) => held.request);
  }
}
