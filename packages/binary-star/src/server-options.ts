/**
 * Options, events and counters of {@link BinaryStarServer}.
 *
 * @module
 */
import type {
  HandlerErrorEvent,
  HandlerTimeoutEvent,
  RequestDropEvent as CoreDropEvent,
  RequestDropReason as CoreDropReason,
  RequestHandler,
  RequestServerLimits,
  RequestServerStats,
} from "@zmq-reliable/core";
import type { BinaryStarOptions, BinaryStarStats, FatalEvent, PeerStateEvent, StateChangeEvent } from "./node.js";
import type { BinaryStarState } from "./protocol.js";

/**
 * Handles one client request and returns the reply: one frame or several,
 * synchronously or as a promise; `[]` and `undefined` reply with one empty
 * frame. If it throws or rejects, the client gets no reply (it will retry,
 * possibly at the other server) and the server emits `drop` with reason
 * `"handler-error"`.
 */
export type BinaryStarHandler = RequestHandler;

/** The default handler: echo the request body, as the reference server does. */
export const echoHandler: BinaryStarHandler = (body) => body;

/** Options of {@link BinaryStarServer}: the node's (role, heartbeat, CURVE…), where to bind, the peer, and the handler. */
export interface BinaryStarServerOptions extends Pick<BinaryStarOptions, "role" | "heartbeatInterval" | "liveness" | "curve" | "logger" | "clock">, RequestServerLimits {
  /**
   * Where to bind: `frontend`, the client-facing ROUTER (e.g. `tcp://*:5001`), and
   * `state`, this node's state PUB (e.g. `tcp://*:5003`). `tcp://127.0.0.1:*` picks a port
   * (see {@link BinaryStarServer.endpoints}).
   */
  bind: {
    /** The client-facing ROUTER. */
    frontend: string;
    /** This node's state PUB. */
    state: string;
  };
  /** The other node's state endpoint, which this node's SUB connects to, e.g. `tcp://backup:5004`. */
  peer: string;
  /** The request handler. Default {@link echoHandler}. */
  handler?: BinaryStarHandler;
}

/** Why a client request got no reply: core's request-server reasons (`"rejected"`: the node may not serve now). */
export type RequestDropReason = CoreDropReason;

/** Payload of {@link BinaryStarServerEvents} `drop`. */
export interface RequestDropEvent extends CoreDropEvent {
  /** The node's state when it was dropped. */
  readonly state: BinaryStarState;
}

/** Events of {@link BinaryStarServer}: the node's state events, and the request server's. */
export type BinaryStarServerEvents = {
  /** The node's state changed; see the node's `state-change` event. */
  "state-change": [StateChangeEvent];
  /** The node became ACTIVE: this server now serves clients. */
  active: [StateChangeEvent];
  /** The node became PASSIVE: this server now drops client requests. */
  passive: [StateChangeEvent];
  /**
   * Kept for compatibility; no longer emitted: dual actives and dual passives
   * are resolved (see the node's `fatal` event). If it ever is, the server has
   * stopped serving for good: `close()` and exit or restart the process.
   */
  fatal: [FatalEvent];
  /** The peer announced a new state. */
  "peer-state": [PeerStateEvent];
  /** A client request got no reply. */
  drop: [RequestDropEvent];
  /** A handler threw, rejected or returned something that is not frames. */
  "handler-error": [HandlerErrorEvent];
  /** A handler ran past `handlerTimeout`. */
  "handler-timeout": [HandlerTimeoutEvent];
};

/** Counters of a {@link BinaryStarServer}: the request server's, plus the node's. */
export interface BinaryStarServerStats extends RequestServerStats {
  /** The node's state and counters. */
  node: BinaryStarStats;
}
