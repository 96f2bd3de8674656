/**
 * The scheduling rules of a request server, as a pure machine: at most
 * `concurrency` requests handled at once, at most `maxQueued` requests and
 * `maxQueuedBytes` bytes waiting for a slot (more are dropped), no request
 * over `maxRequestBytes`, a handler deadline per request, at most
 * `maxAbandoned` timed-out handlers that have not settled yet let go of their
 * slot (past that a timed-out handler keeps its slot until it settles, since
 * it still holds its request's bytes), and closing (stop taking new requests,
 * then drop what is left). The machine knows requests only by number and
 * size; the server (`RequestServer` in `core/src/io`) runs the handlers and
 * sends the replies.
 *
 * @module
 */
import { ExpiryQueue, Fifo } from "../pure/collections.js";
import { IdMap } from "../pure/id-map.js";
import type { Machine, WakeInput } from "../pure/machine.js";

/** Why {@link RequestSlots} dropped a request. */
export type SlotDropReason =
  /** `maxQueued` requests, or `maxQueuedBytes` bytes, were already waiting. */
  | "queue-full"
  /** The request was bigger than `maxRequestBytes`. */
  | "too-large"
  /** Its handler ran past the handler timeout. */
  | "handler-timeout"
  /** The server closed before it was answered. */
  | "closed";

/** A request arrived: run it, queue it or drop it; see {@link SlotInput}. */
export interface SlotArriveInput {
  /** Discriminant. */
  readonly type: "arrive";
  /** The request's number. */
  readonly request: number;
  /** Its size in bytes (every frame, envelope included); default 0. */
  readonly bytes?: number;
}

/** A request input of {@link RequestSlots}; see {@link SlotInput}. */
export interface SlotRequestInput {
  /**
   * `"result"`: its handler returned (the deadline stops, the slot stays
   * taken); `"finish"`: it was answered or dropped by the server (the slot is
   * free); `"settle"`: the handler of a request dropped for
   * `"handler-timeout"` settled at last, so its bytes are free.
   */
  readonly type: "result" | "finish" | "settle";
  /** The request's number. */
  readonly request: number;
}

/** A command of {@link RequestSlots}; see {@link SlotInput}. */
export interface SlotCommandInput {
  /** `"drain"`: stop taking new requests (those running or queued go on); `"close"`: drop every request left. */
  readonly type: "drain" | "close";
}

/** Inputs of {@link RequestSlots}. */
export type SlotInput = WakeInput | SlotArriveInput | SlotRequestInput | SlotCommandInput;

/** Run the request's handler now. */
export type SlotRunAction = {
  /** Discriminant. */
  readonly type: "run";
  /** The request's number. */
  readonly request: number;
};

/** Drop the request unanswered; its slot (if it had one) is already free. */
export type SlotDropAction = {
  /** Discriminant. */
  readonly type: "drop";
  /** The request's number. */
  readonly request: number;
  /** Why. */
  readonly reason: SlotDropReason;
};

/** Actions of {@link RequestSlots}. */
export type SlotAction = SlotRunAction | SlotDropAction;

/** Options of {@link RequestSlots}. */
export interface RequestSlotsOptions {
  /** Requests handled at once (at least 1). */
  concurrency: number;
  /** Requests that may wait for a slot (0 or more). */
  maxQueued: number;
  /** Milliseconds a handler may run; 0 for no limit. */
  handlerTimeout: number;
  /** Bytes of the requests waiting for a slot, at most; default unbounded. */
  maxQueuedBytes?: number;
  /** Largest request in bytes; bigger ones are dropped (`"too-large"`). Default unbounded. */
  maxRequestBytes?: number;
  /**
   * Timed-out handlers that have not settled yet which free their slot; past
   * this many, a timed-out handler keeps its slot until it settles. Default
   * unbounded (every timed-out handler frees its slot at once).
   */
  maxAbandoned?: number;
}

/**
 * Slots, queue, byte limits and handler deadlines of a request server (see
 * the module comment). Requests run in arrival order. Deadlines all have the
 * same length and start in run order, so they expire in that order.
 */
export class RequestSlots implements Machine<SlotInput, SlotAction> {
  /** Bytes of each request holding a slot, by request id (an `IdMap`: one set and one delete per request). */
  private readonly running = new IdMap<number>();
  private readonly waiting = new Fifo<{ readonly request: number; readonly bytes: number }>();
  private readonly abandonedNow = new IdMap<number>();
  private readonly deadlines: ExpiryQueue<number>;
  private readonly maxQueuedBytes: number;
  private readonly maxRequestBytes: number;
  private readonly maxAbandoned: number;
  private runningBytes = 0;
  private waitingBytes = 0;
  private abandonedBytesNow = 0;
  private accepting = true;

  /** @param options - see {@link RequestSlotsOptions}. */
  constructor(private readonly options: RequestSlotsOptions) {
    this.deadlines = new ExpiryQueue(options.handlerTimeout, new IdMap());
    this.maxQueuedBytes = options.maxQueuedBytes ?? Number.POSITIVE_INFINITY;
    this.maxRequestBytes = options.maxRequestBytes ?? Number.POSITIVE_INFINITY;
    this.maxAbandoned = options.maxAbandoned ?? Number.POSITIVE_INFINITY;
  }

  /** Requests holding a slot. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Bytes of the requests holding a slot. */
  get inFlightBytes(): number {
    return this.runningBytes;
  }

  /** Bytes of the requests waiting for a slot. */
  get queuedBytes(): number {
    return this.waitingBytes;
  }

  /** Requests dropped for `"handler-timeout"` whose handler has not settled yet (it still holds their bytes). */
  get abandoned(): number {
    return this.abandonedNow.size;
  }

  /** Bytes of the {@link RequestSlots.abandoned} requests. */
  get abandonedBytes(): number {
    return this.abandonedBytesNow;
  }

  /** Every byte the server holds for requests: in flight, queued and abandoned. */
  get heldBytes(): number {
    return this.runningBytes + this.waitingBytes + this.abandonedBytesNow;
  }

  /** Whether nothing is running or waiting. */
  get idle(): boolean {
    return this.running.size === 0 && this.waiting.length === 0;
  }

  /**
   * Whether a request of `bytes` bytes may be taken at all: `"too-large"`
   * past `maxRequestBytes`, else `undefined`. The server asks before
   * anything else looks at the request (admission, hooks).
   *
   * @param bytes - the request's size (every frame, envelope included).
   */
  refuse(bytes: number): "too-large" | undefined {
    return bytes > this.maxRequestBytes ? "too-large" : undefined;
  }

  /**
   * Feeds one input.
   *
   * @param input - see {@link SlotInput}.
   * @param now - clock time in ms.
   */
  handle(input: SlotInput, now: number): SlotAction[] {
    const out: SlotAction[] = [];
    switch (input.type) {
      case "arrive":
        this.arrive(input.request, input.bytes ?? 0, now, out);
        break;
      case "result":
        this.deadlines.delete(input.request);
        break;
      case "finish": {
        const bytes = this.running.get(input.request);
        if (bytes !== undefined) {
          this.running.delete(input.request);
          this.runningBytes -= bytes;
          this.deadlines.delete(input.request);
          this.next(now, out);
        }
        break;
      }
      case "settle": {
        const bytes = this.abandonedNow.get(input.request);
        if (bytes !== undefined) {
          this.abandonedNow.delete(input.request);
          this.abandonedBytesNow -= bytes;
          this.next(now, out);
        }
        break;
      }
      case "wake":
        for (const request of this.deadlines.popExpired(now)) {
          const bytes = this.running.get(request) ?? 0;
          this.running.delete(request);
          this.runningBytes -= bytes;
          this.abandonedNow.set(request, bytes);
          this.abandonedBytesNow += bytes;
          out.push({ type: "drop", request, reason: "handler-timeout" });
        }
        this.next(now, out);
        break;
      case "drain":
        this.accepting = false;
        break;
      case "close":
        this.accepting = false;
        for (let w = this.waiting.shift(); w !== undefined; w = this.waiting.shift()) out.push({ type: "drop", request: w.request, reason: "closed" });
        for (const request of this.running.keys()) out.push({ type: "drop", request, reason: "closed" });
        this.running.clear();
        this.waitingBytes = 0;
        this.runningBytes = 0;
        this.deadlines.popExpired(Number.POSITIVE_INFINITY);
        break;
    }
    return out;
  }

  /** The earliest handler deadline, `Infinity` when none runs. */
  wakeAt(): number {
    return this.deadlines.nextDeadline();
  }

  private arrive(request: number, bytes: number, now: number, out: SlotAction[]): void {
    const refused = this.refuse(bytes);
    if (!this.accepting) out.push({ type: "drop", request, reason: "closed" });
    else if (refused) out.push({ type: "drop", request, reason: refused });
    else if (this.free() && this.waiting.length === 0) this.run(request, bytes, now, out);
    else if (this.waiting.length < this.options.maxQueued && this.waitingBytes + bytes <= this.maxQueuedBytes) {
      this.waiting.push({ request, bytes });
      this.waitingBytes += bytes;
    } else out.push({ type: "drop", request, reason: "queue-full" });
  }

  /** Whether a slot is free: abandoned handlers past `maxAbandoned` still count as taking one. */
  private free(): boolean {
    return this.running.size + Math.max(0, this.abandonedNow.size - this.maxAbandoned) < this.options.concurrency;
  }

  private run(request: number, bytes: number, now: number, out: SlotAction[]): void {
    this.running.set(request, bytes);
    this.runningBytes += bytes;
    if (this.options.handlerTimeout > 0) this.deadlines.touch(request, now);
    out.push({ type: "run", request });
  }

  private next(now: number, out: SlotAction[]): void {
    while (this.free() && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      this.waitingBytes -= w.bytes;
      this.run(w.request, w.bytes, now, out);
    }
  }
}
