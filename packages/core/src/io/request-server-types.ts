/**
 * Options, events and counters of {@link RequestServer}.
 *
 * @module
 */
import type { SlotDropReason } from "../machines/request-slots.js";
import type { AdmissionHook } from "../pure/admission.js";
import type { Clock } from "../pure/clock.js";
import type { ZmqReliableError } from "../pure/errors.js";
import type { Frame } from "../pure/frames.js";
import type { LatencySummary } from "../pure/latency.js";
import type { Logger } from "../pure/logger.js";
import type { CurveServerOptions } from "../security/curve.js";

/** What a {@link RequestHandler} learns about the request besides its body. */
export interface RequestContext {
  /** The request's number on this server, 1 for the first well-formed request, in arrival order. */
  readonly request: number;
  /**
   * Aborts when the reply is no longer wanted: the handler timeout expired
   * (reason a `TimeoutError`) or the server closed (a `ClosedError`). Long
   * handlers may stop early when it fires.
   */
  readonly signal: AbortSignal;
}

/** What a handler may return: one frame, several, or nothing (`[]`/`undefined`: a reply with one empty frame). */
export type HandlerResult = Frame | readonly Frame[] | undefined | void;

/**
 * Handles one request: gets the body frames (after the empty delimiter) and
 * returns the reply, directly or as a promise. The result goes through
 * {@link replyFrames}: `[]` and `undefined` reply with one empty frame.
 * Throwing, rejecting or returning something that is not a frame sends no
 * reply (the client times out and retries).
 */
export type RequestHandler = (body: Buffer[], context: RequestContext) => HandlerResult | Promise<HandlerResult>;

/** What {@link RequestHooks.reply} decides for a reply that is ready: drop it, delay it, or (`undefined`) send it now. */
export type ReplyDecision<R extends string> =
  | {
      /** Drop the reply with this reason. */
      readonly drop: R;
    }
  | {
      /** Send it this many ms later (the slot stays taken meanwhile). */
      readonly delay: number;
    }
  | undefined;

/**
 * Hooks a role adds around each request; Lazy Pirate's fault injection plugs
 * in here. Both are called synchronously with the request's number.
 */
export interface RequestHooks<R extends string> {
  /** A request was admitted; return a reason to drop it at once (no handler call), `undefined` to go on. */
  arrive?(request: number): R | undefined;
  /** The handler's reply is ready; see {@link ReplyDecision}. */
  reply?(request: number): ReplyDecision<R>;
}

/** Defaults of {@link RequestServerOptions}. */
export const REQUEST_SERVER_DEFAULTS = Object.freeze({
  /** Where to bind: an ephemeral TCP port on loopback (read it back from `endpoint`). */
  bind: "tcp://127.0.0.1:*",
  /** Requests handled at once. */
  concurrency: 16,
  /** Requests waiting for a slot before new ones are dropped. */
  maxQueued: 1000,
  /** Bytes of requests waiting for a slot before new ones are dropped: 32 MiB. */
  maxQueuedBytes: 32 * 1024 * 1024,
  /**
   * Largest request taken, in bytes (every frame, envelope included): 1 MiB,
   * as the Paranoid Pirate queue. Not the Majordomo broker's 16 MiB: a broker
   * only passes a request on, a server holds it for as long as its handler
   * runs (and, for a hung handler, after), so the worst case is
   * `(concurrency + maxAbandoned) × maxRequestBytes`, 32 MiB here, not 512.
   */
  maxRequestBytes: 1024 * 1024,
  /** Timed-out handlers not yet settled that free their slot; past this many a timed-out handler keeps its slot. */
  maxAbandoned: 16,
  /** Milliseconds a handler may run before its request is dropped unanswered. */
  handlerTimeout: 10_000,
  /** ZMQ_RCVHWM of the ROUTER: messages zeromq buffers per client connection before it stops reading it (as the Paranoid Pirate queue). */
  receiveHighWaterMark: 100,
  /**
   * ZMQ_SNDHWM of the ROUTER: replies zeromq buffers per client connection;
   * past it a reply is dropped (`"peer-full"`). A Lazy Pirate or Binary Star
   * client has one request out per connection, so 16 is ample; the mark counts
   * messages, not bytes, so a connection that never reads holds at most 16
   * replies (with an echo, 16 × `maxRequestBytes`).
   */
  sendHighWaterMark: 16,
});

/** Options of {@link RequestServer}. `R` is the drop reasons its {@link RequestHooks} add. */
export interface RequestServerOptions<R extends string = never> {
  /** Computes each reply. */
  handler: RequestHandler;
  /**
   * Endpoint to bind, e.g. `"tcp://*:5555"`; a `*` port picks a free one. A
   * bare `"tcp"`, `"ipc"` or `"inproc"` binds an ephemeral endpoint of that
   * transport. Default `"tcp://127.0.0.1:*"`.
   */
  bind?: string;
  /** Requests handled at once (a slow handler holds one slot). Default 16. */
  concurrency?: number;
  /** Requests that may wait for a slot; more are dropped (reason `"queue-full"`). Default 1000. */
  maxQueued?: number;
  /** Bytes of the requests that may wait for a slot, counted as for `maxRequestBytes`; more are dropped (reason `"queue-full"`). Default 32 MiB. */
  maxQueuedBytes?: number;
  /**
   * Largest request taken, in bytes, every frame counted (envelope, delimiter
   * and body), each 256 bytes above its payload (`FRAME_OVERHEAD_BYTES`);
   * bigger ones are dropped before anything else looks at them (reason
   * `"too-large"`). Default 1 MiB.
   */
  maxRequestBytes?: number;
  /**
   * A handler that runs past `handlerTimeout` is abandoned (its request is
   * dropped) but, until it settles, still holds the request's frames. Up to
   * this many abandoned handlers free their slot; past that a timed-out
   * handler keeps its slot until it settles, so hung handlers hold at most
   * `(concurrency + maxAbandoned) × maxRequestBytes` bytes, and a server
   * whose handlers all hang stops running new ones (requests then queue, up
   * to the queue limits, and are dropped). Default 16.
   */
  maxAbandoned?: number;
  /** ZMQ_RCVHWM of the ROUTER: messages zeromq buffers per client connection. Default 100. */
  receiveHighWaterMark?: number;
  /**
   * ZMQ_SNDHWM of the ROUTER: replies zeromq buffers per client connection.
   * The ROUTER is mandatory, so a reply to a client at this mark (one that
   * never reads) is dropped and counted (`"peer-full"`), never buffered; one
   * to a client that is gone is counted in `stats().unreachable`. The mark
   * counts messages, not bytes: a connection that never reads holds at most
   * this many replies. Default 16.
   */
  sendHighWaterMark?: number;
  /**
   * Milliseconds a handler may run before its request is dropped unanswered,
   * its slot freed and its `signal` aborted; 0 for no limit. Default 10,000.
   */
  handlerTimeout?: number;
  /** Asked once per well-formed request; `false` drops it unanswered (reason `"rejected"`). Default: admit all. */
  admission?: AdmissionHook;
  /** Hooks around each request; see {@link RequestHooks}. */
  hooks?: RequestHooks<R>;
  /** CURVE: this server's secret key. */
  curve?: CurveServerOptions;
  /** Names the socket in errors and logs, e.g. `"lazy-pirate server"`. Default `"request server"`. */
  name?: string;
  /** Where to log; nothing is logged by default. */
  logger?: Logger;
  /** Clock for handler timeouts and reply delays; default the system clock. */
  clock?: Clock;
}

/** Why a request got no reply. */
export type RequestDropReason =
  /** No empty delimiter, or no body after it: not a REQ request. */
  | "malformed"
  /** The admission hook said no. */
  | "rejected"
  /** The handler threw, rejected or returned something that is not a frame. */
  | "handler-error"
  /** The reply was ready but its client was at `sendHighWaterMark` (it does not read its replies). */
  | "peer-full"
  | SlotDropReason;

/** Every {@link RequestDropReason}, for counters by reason. */
export const REQUEST_DROP_REASONS: readonly RequestDropReason[] = Object.freeze([
  "malformed",
  "rejected",
  "handler-error",
  "peer-full",
  "queue-full",
  "too-large",
  "handler-timeout",
  "closed",
] as const);

/** Payload of the `drop` event: a request that got no reply. */
export interface RequestDropEvent<R extends string = never> {
  /** Why. */
  readonly reason: RequestDropReason | R;
  /** The request's number, when it got one (malformed requests do not). */
  readonly request: number | undefined;
  /** The handler's error, for `"handler-error"`. */
  readonly error?: unknown;
}

/** Payload of the `handler-error` event. */
export interface HandlerErrorEvent {
  /** The request's number. */
  readonly request: number;
  /** What the handler threw or rejected with (or a `ProtocolError` for a result that is not frames). */
  readonly error: unknown;
  /** The request's body frames. */
  readonly message: Buffer[];
}

/** Payload of the `handler-timeout` event. */
export interface HandlerTimeoutEvent {
  /** The request's number. */
  readonly request: number;
  /** The limit that expired, in ms. */
  readonly timeout: number;
  /** The request's body frames. */
  readonly message: Buffer[];
}

/** Events of {@link RequestServer}. */
export type RequestServerEvents<R extends string = never> = {
  /** A handler threw, rejected or returned something that is not frames; the request gets no reply. */
  "handler-error": [HandlerErrorEvent];
  /** A handler ran past the handler timeout; the request gets no reply. */
  "handler-timeout": [HandlerTimeoutEvent];
  /** A request got no reply (one event per such request, with the reason). */
  drop: [RequestDropEvent<R>];
  /** The socket failed and the server stopped receiving. */
  error: [ZmqReliableError];
};

/** Counters of {@link RequestServer}. */
export interface RequestServerStats {
  /** Messages received (well-formed or not). */
  requests: number;
  /** Replies sent (those to a client that had gone included: see `unreachable`; those dropped for `"peer-full"` not). */
  replies: number;
  /** Requests that got no reply, for any reason. */
  dropped: number;
  /** Requests that got no reply, by core's reasons (a role's own hook reasons count in `dropped` only). */
  drops: Record<RequestDropReason, number>;
  /** Requests without an empty delimiter or body. */
  malformed: number;
  /** Requests the admission hook rejected. */
  rejected: number;
  /** Handlers that threw, rejected or returned something that is not frames. */
  handlerErrors: number;
  /** Handlers that ran past the handler timeout. */
  handlerTimeouts: number;
  /** Handler results that arrived after their request was dropped (ignored). */
  lateResults: number;
  /** Requests holding a slot right now (handled, or their reply delayed). */
  inFlight: number;
  /** Requests waiting for a slot right now. */
  queued: number;
  /** Replies not sent because their client was gone (not a drop: nobody was waiting). */
  unreachable: number;
  /** Bytes of the requests holding a slot right now. */
  inFlightBytes: number;
  /** Bytes of the requests waiting for a slot right now. */
  queuedBytes: number;
  /** Requests dropped for `"handler-timeout"` whose handler has not settled yet (it still holds their frames). */
  abandoned: number;
  /** Bytes of the abandoned requests. */
  abandonedBytes: number;
  /** Every byte of request held right now: `inFlightBytes + queuedBytes + abandonedBytes`. */
  heldBytes: number;
  /** Request received → reply handed to zeromq, ms: percentiles of the last 1024 replies within 60 s. */
  latency: LatencySummary;
}
