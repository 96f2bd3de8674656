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

/** A held request and the bytes it is counted for. */
interface Held {
  readonly request: InFlightRequest;
  readonly bytes: number;
}

/**
 * Requests waiting for a ready worker, oldest first. Every request's `since`
 * is its arrival time, so the oldest is always at the head and expiry costs
 * O(expired).
 */
export class PendingRequests {
  private readonly fifo = new Fifo<Held>();
  private heldBytes = 0;

  /**
   * @param maxCount - requests held at most.
   * @param maxBytes - bytes held at most (see {@link requestBytes}).
   * @param expiry - milliseconds after arrival at which a held request is stale.
   */
  constructor(
    readonly maxCount: number,
    readonly maxBytes: number,
    readonly expiry: number,
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
   * Holds `request` if both limits allow it.
   *
   * @param request - the request, `since` its arrival time.
   * @param bytes - its size ({@link requestBytes}).
   * @returns `false` (and holds nothing) when it would pass `maxCount` or `maxBytes`.
   */
  push(request: InFlightRequest, bytes: number): boolean {
    if (this.fifo.length >= this.maxCount || this.heldBytes + bytes > this.maxBytes) return false;
    this.fifo.push({ request, bytes });
    this.heldBytes += bytes;
    return true;
  }

  /** Removes and returns the oldest request, `undefined` when none is held. */
  shift(): InFlightRequest | undefined {
    const held = this.fifo.shift();
    if (!held) return undefined;
    this.heldBytes -= held.bytes;
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
    return this.fifo.drain().map((held) => held.request);
  }
}
