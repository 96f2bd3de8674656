/**
 * Requests the queue holds while no worker is ready, without sockets or
 * timers: one line per client connection, served in turn (round robin), all
 * bounded together in count and in bytes, the oldest entries expiring, with
 * requests a worker gave up (re-queued) ahead of every line. `QueueState`
 * decides when to call what; this only keeps the books.
 *
 * @module
 */
import { LinkedList, type ListNode, heldBytes } from "@zmq-reliable/core";
import type { InFlightRequest } from "./queue-registry-state.js";

/**
 * The size a request is counted for: every byte of its envelope and body
 * frames plus 256 bytes per frame for the frame objects (core's `heldBytes`),
 * so a request of thousands of empty frames is not free.
 *
 * @param client - the client's address stack.
 * @param body - the request's content frames.
 */
export function requestBytes(client: readonly Buffer[], body: readonly Buffer[]): number {
  return heldBytes(client) + heldBytes(body);
}

/** A held request, the bytes it is counted for, its client's key, and the worker that gave it up (re-queued ones). */
interface Held {
  readonly request: InFlightRequest;
  readonly bytes: number;
  readonly client: string;
  readonly avoid?: string;
  /** Its place in arrival order (new requests only). */
  byArrival?: ListNode<Held>;
  /** Its place in its client's line (new requests only). */
  inLine?: ListNode<Held>;
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
 * Requests waiting for a ready worker. Re-queued ones (requests a worker gave
 * up) go first, oldest arrival first. New ones wait in one line per client
 * connection, and the lines are served in turn, one request each (round
 * robin), so a client that floods the queue delays only itself: a request
 * from a client with nothing held waits at most one turn of the lines, not
 * behind everything the flood put in. When the queue is full, a request from
 * a client holding fewer requests than the longest line (by more than one)
 * takes the place of that line's newest request, which is dropped instead
 * (`evicted`): one client cannot keep the others out. Every request also sits
 * in one arrival-ordered list, so expiry costs O(expired). All count against
 * the same limits.
 */
export class PendingRequests {
  /** New requests in arrival order, for expiry. */
  private readonly byArrival = new LinkedList<Held>();
  /** Each client's new requests in arrival order; the Map's order is the turn order (the next client to serve first). */
  private readonly lines = new Map<string, LinkedList<Held>>();
  /** Re-queued requests, sorted by arrival; dispatched before every line. */
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
    return this.byArrival.length + this.front.length;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.heldBytes;
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

  /**
   * Holds `request` if every limit allows it, at the back of its client's line.
   *
   * @param request - the request, `arrived` its arrival time.
   * @param bytes - its size ({@link requestBytes}).
   * @param evicted - receives the requests of longer lines dropped to make room for it.
   * @returns `"held"`, or why nothing was held: `"full"` (it would pass `maxCount` or
   *   `maxBytes`, and no line is longer than its client's by more than one) or
   *   `"client-full"` (its client already has `maxPerClient` held).
   */
  push(request: InFlightRequest, bytes: number, evicted: InFlightRequest[] = []): "held" | "full" | "client-full" {
    const client = clientKey(request);
    const mine = this.perClient.get(client) ?? 0;
    if (!this.fits(bytes) && (mine >= this.maxPerClient || !this.makeRoom(mine, bytes, evicted))) return "full";
    if (mine >= this.maxPerClient) return "client-full";
    this.count(client, 1);
    const held: Held = { request, bytes, client };
    let line = this.lines.get(client);
    if (!line) this.lines.set(client, (line = new LinkedList<Held>()));
    held.inLine = line.push(held);
    held.byArrival = this.byArrival.push(held);
    this.heldBytes += bytes;
    return "held";
  }

  /** Drops the newest requests of the longest line while that line is longer than `mine + 1` and `bytes` do not fit. */
  private makeRoom(mine: number, bytes: number, evicted: InFlightRequest[]): boolean {
    if (bytes > this.maxBytes) return false;
    while (!this.fits(bytes)) {
      let longest: LinkedList<Held> | undefined;
      for (const line of this.lines.values()) if (!longest || line.length > longest.length) longest = line;
      if (!longest || longest.length <= mine + 1) return false;
      const victim = longest.tail!.value;
      this.unlink(victim);
      evicted.push(this.take(victim).request);
    }
    return true;
  }

  /** Takes a new request out of its line and the arrival list. */
  private unlink(held: Held): void {
    const line = this.lines.get(held.client)!;
    line.remove(held.inLine!);
    if (line.length === 0) this.lines.delete(held.client);
    this.byArrival.remove(held.byArrival!);
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

  /** The held request that arrived first (a re-queued one on a tie), `undefined` when none is held. */
  private oldest(): Held | undefined {
    const requeued = this.front[0];
    const fresh = this.byArrival.head?.value;
    return requeued && (!fresh || requeued.request.arrived <= fresh.request.arrived) ? requeued : fresh;
  }

  private take(held: Held): NextRequest {
    this.heldBytes -= held.bytes;
    this.count(held.client, -1);
    return held.avoid === undefined ? { request: held.request } : { request: held.request, avoid: held.avoid };
  }

  /** Removes and returns the next request to dispatch: a re-queued one, else the head of the next client's line; `undefined` when none is held. */
  shift(): NextRequest | undefined {
    const requeued = this.front.shift();
    if (requeued) return this.take(requeued);
    const next = this.lines.entries().next();
    if (next.done) return undefined;
    const [client, line] = next.value;
    const held = line.head!.value;
    this.unlink(held);
    if (line.length > 0) {
      this.lines.delete(client); // its turn is over: to the back
      this.lines.set(client, line);
    }
    return this.take(held);
  }

  /**
   * Removes and returns every request that arrived `expiry` ms or more before `now`, oldest first.
   *
   * @param now - the current clock time.
   */
  popExpired(now: number): InFlightRequest[] {
    const out: InFlightRequest[] = [];
    for (let held = this.oldest(); held && held.request.arrived + this.expiry <= now; held = this.oldest()) {
      if (held === this.front[0]) this.front.shift();
      else this.unlink(held);
      out.push(this.take(held).request);
    }
    return out;
  }

  /** When the oldest held request goes stale, `Infinity` when none is held. */
  nextExpiry(): number {
    const head = this.oldest();
    return head ? head.request.arrived + this.expiry : Infinity;
  }

  /** Removes and returns every held request, re-queued ones first, then in arrival order. */
  clear(): InFlightRequest[] {
    const all = [...this.front.splice(0), ...this.byArrival];
    this.heldBytes = 0;
    this.perClient.clear();
    this.lines.clear();
    while (this.byArrival.shift() !== undefined);
    return all.map((held) => held.request);
  }
}
