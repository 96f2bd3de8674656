/**
 * Options, defaults, events and counters of {@link LazyPirateServer}.
 *
 * @module
 */
import {
  type Clock,
  type CurveServerOptions,
  type HandlerErrorEvent,
  type HandlerTimeoutEvent,
  type Logger,
  REQUEST_SERVER_DEFAULTS,
  type RequestContext,
  type RequestDropEvent,
  type RequestDropReason,
  type RequestHandler,
  type RequestServerLimits,
  type RequestServerStats,
  type ZmqReliableError,
} from "@zmq-reliable/core";
import type { FaultOptions } from "./faults.js";

/** What a {@link LazyPirateHandler} learns about the request besides its frames: its number and an abort `signal`. */
export type HandlerContext = RequestContext;

/**
 * Handles one request: receives the request's body frames and returns the
 * reply, one frame or several, directly or as a promise. `[]` and `undefined`
 * reply with one empty frame. Throwing (or rejecting), or returning something
 * that is not a frame, sends no reply: the client times out and retries.
 */
export type LazyPirateHandler = RequestHandler;

/** Defaults of {@link LazyPirateServerOptions} (core's request-server defaults). */
export const LAZY_PIRATE_SERVER_DEFAULTS = Object.freeze({
  /** Where to bind: an ephemeral TCP port on loopback (read it back from `server.endpoint`). The reference server binds `tcp://*:5555`. */
  bind: REQUEST_SERVER_DEFAULTS.bind,
  /** Requests handled at once. */
  concurrency: REQUEST_SERVER_DEFAULTS.concurrency,
  /** Requests waiting for a free handler slot before new ones are dropped. */
  maxQueued: REQUEST_SERVER_DEFAULTS.maxQueued,
  /** Bytes of the requests waiting for a slot before new ones are dropped: 32 MiB. */
  maxQueuedBytes: REQUEST_SERVER_DEFAULTS.maxQueuedBytes,
  /** Largest request taken (every frame counted): 1 MiB. */
  maxRequestBytes: REQUEST_SERVER_DEFAULTS.maxRequestBytes,
  /** Timed-out handlers, not yet settled, that free their slot. */
  maxAbandoned: REQUEST_SERVER_DEFAULTS.maxAbandoned,
  /** Messages zeromq buffers per client connection on receive. */
  receiveHighWaterMark: REQUEST_SERVER_DEFAULTS.receiveHighWaterMark,
  /** Replies zeromq buffers per client connection; past it a reply is dropped (`"peer-full"`). */
  sendHighWaterMark: REQUEST_SERVER_DEFAULTS.sendHighWaterMark,
  /**
   * Milliseconds a handler may take before its request is dropped unanswered:
   * longer than a default client waits in all (3 × 2500 ms).
   */
  handlerTimeout: REQUEST_SERVER_DEFAULTS.handlerTimeout,
});

/**
 * Options of {@link LazyPirateServer}. The limits (`concurrency`, `maxQueued`,
 * `maxQueuedBytes`, `maxRequestBytes`, `maxAbandoned`, `handlerTimeout`, the
 * high-water marks) are core's request-server limits, documented there; see
 * the README's "Limits".
 */
export interface LazyPirateServerOptions extends RequestServerLimits {
  /** Computes each reply. */
  handler: LazyPirateHandler;
  /**
   * Endpoint to bind, e.g. `"tcp://*:5555"`; a `*` port picks a free one. A
   * bare `"tcp"`, `"ipc"` or `"inproc"` binds an ephemeral endpoint of that
   * transport. Default `"tcp://127.0.0.1:*"`.
   */
  bind?: string;
  /** Deliberate faults for demos and tests; none by default. */
  faults?: FaultOptions;
  /** CURVE: this server's secret key. */
  curve?: CurveServerOptions;
  /** Where to log; nothing is logged by default. */
  logger?: Logger;
  /** Clock for handler timeouts and reply delays; default the system clock. */
  clock?: Clock;
}

/** Why the server sent no reply to a request: core's reasons, plus `"fault"` (an injected drop) and `"crash"` (an injected crash). */
export type ServerDropReason = RequestDropReason | "fault" | "crash";

/** Payload of the server's `drop` event: a request that got no reply. */
export type ServerDropEvent = RequestDropEvent<"fault" | "crash">;

export type { HandlerErrorEvent, HandlerTimeoutEvent };

/** Payload of the server's `fault` event: a deliberate fault was injected. */
export interface FaultEvent {
  /** `"drop-reply"`: reply not sent; `"delay"`: reply held back; `"crash"`: the server is about to close. */
  readonly kind: "drop-reply" | "delay" | "crash";
  /** The request it hit. */
  readonly request: number;
  /** The delay in ms, for `"delay"`. */
  readonly delay?: number;
}

/** Events of {@link LazyPirateServer}. */
export type LazyPirateServerEvents = {
  /** A handler threw, rejected or returned something that is not frames; the request gets no reply. */
  "handler-error": [HandlerErrorEvent];
  /** A handler ran past `handlerTimeout`; the request gets no reply. */
  "handler-timeout": [HandlerTimeoutEvent];
  /** A request got no reply (one event per such request, with the reason). */
  drop: [ServerDropEvent];
  /** A deliberate fault was injected. */
  fault: [FaultEvent];
  /** The socket failed and the server stopped receiving. */
  error: [ZmqReliableError];
};

/** Counters of {@link LazyPirateServer}: core's request-server counters plus injected faults. */
export interface LazyPirateServerStats extends RequestServerStats {
  /** Injected faults, all kinds. */
  faults: number;
}
