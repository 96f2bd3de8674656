/**
 * Requests the queue holds while no worker is ready, without sockets or
 * timers: a first-in first-out list bounded in count and in bytes, whose
 * oldest entries expire. `QueueState` decides when to call what; this only
 * keeps the books.
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

/** A held request, the bytes it is counted for, and its client's key. */
interface Held {
  readonly request: InFlightRequest;
  readonly bytes: number;
  readonly client: string;
}

/** Whose quota a request counts against: the frontend connection it came through (its first envelope frame), which a peer cannot forge. */
function clientKey(request: InFlightRequest): string {
  return (request.client[0] ?? Buffer.alloc(0)).toString("hex");
}

/**
 * Requests waiting for a ready worker, oldest first. Every request's `since`
 * is its arrival time, so the oldest is always at the head and expiry costs
 * O(expired).
 */
export class PendingRequests {
  private readonly fifo = new Fifo<Held>();
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
    return this.fifo.length;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Holds `request` if every limit allows it.
   *
   * @param request - the request, `since` its arrival time.
   * @param bytes - its size ({@link requestBytes}).
   * @returns `"held"`, or why nothing was held: `"full"` (it would pass `maxCount` or
   *   `maxBytes`) or `"client-full"` (its client already has `maxPerClient` held).
   */
  push(request: InFlightRequest, bytes: number): "held" | "full" | "client-full" {
    if (this.fifo.length >= this.maxCount || this.heldBytes + bytes > this.maxBytes) return "full";
    const client = clientKey(request);
    const count = this.perClient.get(client) ?? 0;
    if (count >= this.maxPerClient) return "client-full";
    this.perClient.set(client, count + 1);
    this.fifo.push({ request, bytes, client });
    this.heldBytes += bytes;
    return "held";
  }


  /** Removes and returns the oldest request, `undefined` when none is held. */
  shift(): InFlightRequest | undefined {
    const held = this.fifo.shift();
    if (!held) return undefined;
    this.heldBytes -= held.bytes;
    const count = this.perClient.get(held.client)! - 1;
    if (count === 0) this.perClient.delete(held.client);
    else this.perClient.set(held.client, count);
    return held.request;
  }

  /**
   * Removes and returns every request that arrived `expiry` ms or more before `now`, oldest first.
   *
   * @param now - the current clock time.
   */
  popExpired(now: number): InFlightRequest[] {
    const out: InFlightRequest[] = [];
    for (let held = this.fifo.peek(); held && held.request.since + this.expiry <= now; held = this.fifo.peek()) {
      out.push(this.shift()!);
    }
    return out;
  }

  /** When the oldest held request goes stale, `Infinity` when none is held. */
  nextExpiry(): number {
    const head = this.fifo.peek();
    return head ? head.request.since + this.expiry : Infinity;
  }

  /** Removes and returns every held request, oldest first. */
  clear(): InFlightRequest[] {
    this.heldBytes = 0;
    this.perClient.clear();
    return this.fifo.drain().map((held) => held.request);
  }
}
