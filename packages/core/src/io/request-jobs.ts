/**
 * The request server's job runner (internal to {@link RequestServer}): one
 * job per admitted request, from the handler's run through the reply hook to
 * the reply sent behind the request's envelope, or the drop with its reason.
 * The server keeps the role's lifecycle (bind, admission, drain, close); the
 * {@link RequestSlots} machine decides when a job runs or is dropped.
 *
 * @module
 */
import type * as zmq from "zeromq";
import type { SlotAction, SlotInput } from "../machines/request-slots.js";
import type { Clock, TimerHandle } from "../pure/clock.js";
import { BackpressureError, ClosedError, TimeoutError, UnreachableError } from "../pure/errors.js";
import { type Frame, joinEnvelope, replyFrames } from "../pure/frames.js";
import { LatencyWindow } from "../pure/latency.js";
import type { LogFields, Logger } from "../pure/logger.js";
import { escapeForLog } from "../pure/log-escape.js";
import type { Channel } from "./channel.js";
import type { DropLog } from "./drop-log.js";
import { type RequestDropReason, REQUEST_DROP_REASONS, type RequestHandler, type RequestHooks, type RequestServerEvents, type RequestServerStats } from "./request-server-types.js";

/** The counters of {@link RequestServerStats} that are not gauges. */
export type RequestServerCounters = Omit<RequestServerStats, RequestServerGauge | "latency">;

/** The gauges of {@link RequestServerStats}: what the server holds right now. */
export type RequestServerGauge = "inFlight" | "queued" | "inFlightBytes" | "queuedBytes" | "abandoned" | "abandonedBytes" | "heldBytes";

/** What {@link RequestJobs} needs from its server. */
export interface RequestJobsHost<R extends string> {
  /** The server's name, for messages. */
  readonly name: string;
  /** Runs each request. */
  readonly handler: RequestHandler;
  /** Milliseconds a handler may run before its request is dropped. */
  readonly handlerTimeout: number;
  /** The server's reply hook, if any. */
  readonly hooks: RequestHooks<R>;
  /** Clock for reply delays. */
  readonly clock: Clock;
  /** Where to log. */
  readonly log: Logger;
  /** Where drop lines a peer can repeat at will go (rate-limited). */
  readonly drops: DropLog;
  /**
   * Emits `drop`, `handler-error` or `handler-timeout`.
   *
   * @param event - the event.
   * @param args - its payload.
   */
  emit<K extends keyof RequestServerEvents<R> & string>(event: K, ...args: RequestServerEvents<R>[K]): void;
  /**
   * Whether `event` has a listener (a payload is only built for one).
   *
   * @param event - the event.
   */
  listens(event: keyof RequestServerEvents<R> & string): boolean;
  /** Feeds the slot machine (`result`, `finish`). */
  feed(input: SlotInput): void;
  /** The ROUTER replies go out on, while it is open. */
  channel(): Channel<zmq.Router> | undefined;
}

interface Job {
  readonly request: number;
  readonly envelope: Buffer[];
  readonly body: Buffer[];
  readonly controller: AbortController;
  state: "queued" | "handling" | "delaying" | "done";
  timer: TimerHandle | undefined;
  /** When it arrived (its latency runs from here to the reply). */
  readonly receivedAt: number;
}

/** The jobs of one {@link RequestServer}; see the module comment. */
export class RequestJobs<R extends string> {
  /** The server's counters, gauges left out. */
  readonly counters: RequestServerCounters = {
    requests: 0,
    replies: 0,
    dropped: 0,
    drops: Object.fromEntries(REQUEST_DROP_REASONS.map((r) => [r, 0])) as Record<RequestDropReason, number>,
    malformed: 0,
    rejected: 0,
    handlerErrors: 0,
    handlerTimeouts: 0,
    lateResults: 0,
    unreachable: 0,
  };
  /** Request received → reply handed to zeromq, ms (see `RequestServerStats.latency`). */
  readonly latency = new LatencyWindow();
  private readonly jobs = new Map<number, Job>();
  private idle: (() => void) | undefined;

  /** @param host - the server's handler, hooks, clock, log, event emitter, slot machine and socket. */
  constructor(private readonly host: RequestJobsHost<R>) {}

  /**
   * Queues an admitted request; the slot machine is told by the caller.
   *
   * @param request - its number.
   * @param envelope - the frames before the empty delimiter.
   * @param body - the frames after it.
   */
  add(request: number, envelope: Buffer[], body: Buffer[]): void {
    this.jobs.set(request, { request, envelope, body, controller: new AbortController(), state: "queued", timer: undefined, receivedAt: this.host.clock.now() });
  }

  /** Resolves once no job is left. */
  whenIdle(): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.idle = resolve));
  }

  /**
   * Performs an action of the slot machine: run a job, or drop it.
   *
   * @param action - the action.
   */
  perform(action: SlotAction): void {
    const job = this.jobs.get(action.request);
    if (!job) return;
    if (action.type === "run") return this.run(job);
    // The machine freed the slot already.
    const { drops, handlerTimeout } = this.host;
    if (action.reason === "handler-timeout") {
      this.counters.handlerTimeouts++;
      drops.warn("handler-timeout", () => `request ${job.request}: handler still running after ${handlerTimeout} ms, dropped`, jobFields(job, "handler-timeout"));
      job.controller.abort(new TimeoutError(`Handler took longer than ${handlerTimeout} ms`));
      if (this.host.listens("handler-timeout")) this.host.emit("handler-timeout", { request: job.request, timeout: handlerTimeout, message: job.body });
    } else if (action.reason === "closed") {
      job.controller.abort(new ClosedError(`${this.host.name} is closed`));
    } else if (action.reason === "queue-full") {
      drops.warn("queue-full", () => `request ${job.request}: too many requests or bytes waiting, dropped`, jobFields(job, "queue-full"));
    } else {
      drops.warn("too-large", () => `request ${job.request}: larger than the largest request taken, dropped`, jobFields(job, "too-large"));
    }
    this.end(job);
    this.dropped(action.reason, job.request);
  }

  /**
   * Counts a request that gets no reply and emits its `drop` event.
   *
   * @param reason - why.
   * @param request - its number, if it got one.
   * @param error - what the handler threw, for `"handler-error"`.
   */
  dropped(reason: RequestDropReason | R, request: number | undefined, error?: unknown): void {
    this.counters.dropped++;
    if (reason in this.counters.drops) this.counters.drops[reason as RequestDropReason]++;
    if (!this.host.listens("drop")) return;
    this.host.emit("drop", error === undefined ? { reason, request } : { reason, request, error });
  }

  private run(job: Job): void {
    job.state = "handling";
    const context = { request: job.request, signal: job.controller.signal };
    Promise.resolve()
      .then(() => this.host.handler(job.body, context))
      .then(
        (result) => this.onResult(job, result),
        (error: unknown) => this.onHandlerError(job, error),
      );
  }

  private onResult(job: Job, result: unknown): void {
    if (job.state !== "handling") return this.late(job);
    let frames: Frame[];
    try {
      frames = replyFrames(result);
    } catch (error) {
      return this.onHandlerError(job, error);
    }
    this.host.feed({ type: "result", request: job.request });
    const decision = this.host.hooks.reply?.(job.request);
    if (decision && "drop" in decision) return this.finish(job, decision.drop);
    if (decision && decision.delay > 0) {
      job.state = "delaying";
      job.timer = this.host.clock.setTimeout(() => this.reply(job, frames), decision.delay);
      return;
    }
    this.reply(job, frames);
  }

  private reply(job: Job, frames: Frame[]): void {
    if (job.state === "done") return;
    const channel = this.host.channel();
    if (!channel || channel.closed) return this.finish(job, "closed");
    // The ROUTER is mandatory with a send timeout of 0: a send settles at once, failing for a peer at its
    // sendHighWaterMark (a drop, "peer-full") or gone (counted in `unreachable`: nobody is waiting).
    const now = this.host.clock.now();
    this.latency.record(now - job.receivedAt, now);
    channel.send(joinEnvelope(job.envelope, frames)).then(
      () => this.counters.replies++,
      (error: Error) => this.notSent(job, error),
    );
    this.finish(job);
  }

  private notSent(job: Job, error: Error): void {
    const request = job.request;
    if (error instanceof UnreachableError) {
      this.counters.replies++; // sent, as far as the server can tell (a ROUTER that is not mandatory drops it silently)
      this.counters.unreachable++;
      this.host.log.debug?.(jobFields(job, "unreachable"), `request ${request}: client gone, reply not sent`);
    } else if (error instanceof BackpressureError) {
      this.host.drops.warn("peer-full", () => `request ${request}: client at its send high-water mark, reply dropped`, jobFields(job, "peer-full"));
      this.dropped("peer-full", request);
    } else {
      this.host.log.warn?.(jobFields(job, "closed"), `request ${request}: reply not sent: ${escapeForLog(error.message)}`);
      this.dropped("closed", request);
    }
  }

  /** A handler settled after its request was dropped: its result is ignored, its bytes are free. */
  private late(job: Job): void {
    this.counters.lateResults++;
    this.host.feed({ type: "settle", request: job.request });
  }

  private onHandlerError(job: Job, error: unknown): void {
    if (job.state !== "handling") return this.late(job);
    this.counters.handlerErrors++;
    this.host.log.warn?.(jobFields(job, "handler-error"), `request ${job.request}: handler failed: ${escapeForLog((error as Error)?.message ?? String(error))}`);
    this.host.emit("handler-error", { request: job.request, error, message: job.body });
    this.finish(job, "handler-error", error);
  }

  /** Ends a job the server decided about (answered, or dropped for `reason`) and frees its slot. */
  private finish(job: Job, reason?: RequestDropReason | R, error?: unknown): void {
    this.end(job);
    if (reason !== undefined) this.dropped(reason, job.request, error);
    this.host.feed({ type: "finish", request: job.request });
  }

  private end(job: Job): void {
    job.state = "done";
    if (job.timer !== undefined) this.host.clock.clearTimeout(job.timer);
    job.timer = undefined;
    this.jobs.delete(job.request);
    if (this.jobs.size === 0) this.idle?.();
  }
}

/** A job's log fields: the client's routing id (hex) as `peer`, the request number and `reason` (why the line is written). */
function jobFields(job: Job, reason: string): LogFields {
  return { peer: job.envelope[0]?.toString("hex"), request: job.request, reason };
}
