/**
 * The scheduling rules of a request server, as a pure machine: at most
 * `concurrency` requests handled at once, at most `maxQueued` waiting for a
 * slot (more are dropped), a handler deadline per request, and closing (stop
 * taking new requests, then drop what is left). The machine knows requests
 * only by number; the server (`RequestServer` in `core/src/io`) runs the
 * handlers and sends the replies.
 *
 * @module
 */
import { ExpiryQueue, Fifo } from "../pure/collections.js";
import type { Machine, WakeInput } from "../pure/machine.js";

/** Why {@link RequestSlots} dropped a request. */
export type SlotDropReason =
  /** `maxQueued` requests were already waiting. */
  | "overload"
  /** Its handler ran past the handler timeout. */
  | "handler-timeout"
  /** The server closed before it was answered. */
  | "closed";

/** A request input of {@link RequestSlots}; see {@link SlotInput}. */
export interface SlotRequestInput {
  /** `"arrive"`: run it, queue it or drop it; `"result"`: its handler returned (the deadline stops, the slot stays taken); `"finish"`: it was answered or dropped by the server (the slot is free). */
  readonly type: "arrive" | "result" | "finish";
  /** The request's number. */
  readonly request: number;
}

/** A command of {@link RequestSlots}; see {@link SlotInput}. */
export interface SlotCommandInput {
  /** `"drain"`: stop taking new requests (those running or queued go on); `"close"`: drop every request left. */
  readonly type: "drain" | "close";
}

/** Inputs of {@link RequestSlots}. */
export type SlotInput = WakeInput | SlotRequestInput | SlotCommandInput;

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
}

/**
 * Slots, queue and handler deadlines of a request server (see the module
 * comment). Requests run in arrival order. Deadlines all have the same length
 * and start in run order, so they expire in that order.
 */
export class RequestSlots implements Machine<SlotInput, SlotAction> {
  private readonly running = new Set<number>();
  private readonly waiting = new Fifo<number>();
  private readonly deadlines: ExpiryQueue<number>;
  private accepting = true;

  /** @param options - see {@link RequestSlotsOptions}. */
  constructor(private readonly options: RequestSlotsOptions) {
    this.deadlines = new ExpiryQueue(options.handlerTimeout);
  }

  /** Requests holding a slot. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Whether nothing is running or waiting. */
  get idle(): boolean {
    return this.running.size === 0 && this.waiting.length === 0;
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
        if (!this.accepting) out.push({ type: "drop", request: input.request, reason: "closed" });
        else if (this.running.size < this.options.concurrency) this.run(input.request, now, out);
        else if (this.waiting.length < this.options.maxQueued) this.waiting.push(input.request);
        else out.push({ type: "drop", request: input.request, reason: "overload" });
        break;
      case "result":
        this.deadlines.delete(input.request);
        break;
      case "finish":
        if (this.running.delete(input.request)) {
          this.deadlines.delete(input.request);
          this.next(now, out);
        }
        break;
      case "wake":
        for (const request of this.deadlines.popExpired(now)) {
          this.running.delete(request);
          out.push({ type: "drop", request, reason: "handler-timeout" });
        }
        this.next(now, out);
        break;
      case "drain":
        this.accepting = false;
        break;
      case "close":
        this.accepting = false;
        for (let r = this.waiting.shift(); r !== undefined; r = this.waiting.shift()) out.push({ type: "drop", request: r, reason: "closed" });
        for (const request of this.running) out.push({ type: "drop", request, reason: "closed" });
        this.running.clear();
        this.deadlines.popExpired(Number.POSITIVE_INFINITY);
        break;
    }
    return out;
  }

  /** The earliest handler deadline, `Infinity` when none runs. */
  wakeAt(): number {
    return this.deadlines.nextDeadline();
  }

  private run(request: number, now: number, out: SlotAction[]): void {
    this.running.add(request);
    if (this.options.handlerTimeout > 0) this.deadlines.touch(request, now);
    out.push({ type: "run", request });
  }

  private next(now: number, out: SlotAction[]): void {
    while (this.running.size < this.options.concurrency && this.waiting.length > 0) this.run(this.waiting.shift()!, now, out);
  }
}
