/**
 * The types of the worker link ({@link WorkerLinkState}): the wire a pattern
 * supplies ({@link WorkerWire}), what a wire makes of a message
 * ({@link LinkIncoming}), the link's inputs, actions, events, options and
 * counters.
 *
 * @module
 */
import type { ReconnectOptions } from "../pure/backoff.js";
import type { ZmqReliableError } from "../pure/errors.js";
import type { Frame } from "../pure/frames.js";
import type { EmitAction, SendAction, WakeInput } from "../pure/machine.js";

/** How a wire classifies one message from the peer. `D` is the pattern's own drop reasons. */
export type LinkIncoming<R, D extends string = string> =
  | {
      /** HEARTBEAT: the peer is alive. */
      readonly type: "heartbeat";
    }
  | {
      /** Work for the worker. */
      readonly type: "request";
      /** The request as the pattern decoded it (its reply is encoded from it). */
      readonly request: R;
    }
  | {
      /** DISCONNECT: the peer ends the conversation; the link reconnects. */
      readonly type: "disconnect";
    }
  | {
      /** A well-formed message the worker has no use for: it counts as a sign of life, and is dropped. */
      readonly type: "other";
      /** The drop reason. */
      readonly reason: D;
      /** More detail, for the drop event. */
      readonly detail?: string;
    }
  | {
      /** Not the pattern's wire: dropped, and not a sign of life. */
      readonly type: "malformed";
      /** The drop reason. */
      readonly reason: D;
      /** More detail, for the drop event. */
      readonly detail?: string;
      /** The decoding error. */
      readonly error?: unknown;
    };

/** A pattern's worker wire, as the {@link WorkerLinkState} needs it. */
export interface WorkerWire<R, D extends string = string> {
  /** The READY message, sent first on every fresh connection. */
  ready(): Frame[];
  /** The HEARTBEAT message. */
  heartbeat(): Frame[];
  /** The DISCONNECT message, said before hanging up on close or after a failed handler; absent when the wire has none. */
  disconnect?(): Frame[];
  /**
   * The reply to `request` with the handler's frames.
   *
   * @throws a `ProtocolError` when the frames cannot be a reply (counted as a handler error).
   */
  reply(request: R, body: Frame[]): Frame[];
  /** Classifies a message from the peer; never throws. */
  classify(frames: Buffer[]): LinkIncoming<R, D>;
  /**
   * What a failed handler leads to: `"ready"` sends READY again on the same
   * connection (6/PPP: the queue learns the worker is free); `"reconnect"`
   * says DISCONNECT and registers again at once on a fresh connection (7/MDP:
   * the broker hands the request to another worker).
   */
  readonly onHandlerError: "ready" | "reconnect";
}

/** Why a link's connection ended. */
export type LinkDisconnectReason =
  /** The peer said DISCONNECT. */
  | "peer-disconnect"
  /** The peer was silent for `liveness × heartbeatInterval` while the line was idle. */
  | "expire"
  /** The handler failed and the wire reconnects after a failure. */
  | "handler-error"
  /** The socket failed (or could not connect). */
  | "socket-error"
  /** The worker closed. */
  | "close";

/** Why a link dropped something; `D` adds the wire's own reasons. */
export type LinkDropReason<D extends string = never> =
  | D
  /** The handler threw, rejected or returned something that is not a reply: no reply is sent. */
  | "handler-error"
  /** A request arrived or waited while the worker was closing, or closing gave up waiting for the handler. */
  | "closing"
  /** A reply whose connection is gone (the link reconnected meanwhile): the peer forgot the request. */
  | "stale-reply"
  /** A queued request whose connection was replaced before it started. */
  | "stale-request";

/** Payload of the `ready` event. */
export interface LinkReadyEvent {
  /** The endpoint connected to (READY sent). */
  endpoint: string;
  /** 1 for the line's first connection, then 2, 3, … after each reconnect. */
  attempt: number;
}

/** Payload of the `expire` event. */
export interface LinkExpireEvent {
  /** The endpoint of the silent peer. */
  endpoint: string;
  /** Milliseconds since the peer was last heard from (or the connection was made). */
  silentFor: number;
}

/** Payload of the `disconnect` event. */
export interface LinkDisconnectEvent {
  /** The endpoint of the connection that ended. */
  endpoint: string;
  /** Why. */
  reason: LinkDisconnectReason;
  /** Milliseconds until the next connection (`undefined` when closing). */
  reconnectIn: number | undefined;
}

/** Payload of the `drop` event. */
export interface LinkDropEvent<D extends string = never> {
  /** Why. */
  reason: LinkDropReason<D>;
  /** The endpoint involved. */
  endpoint: string;
  /** More detail (the malformed reason, the unexpected command). */
  detail?: string;
  /** The decoding or handler error, when there was one. */
  error?: unknown;
}

/** Events of a worker link. */
export type LinkEvents<D extends string = never> = {
  /** A fresh connection was opened and READY sent on it. */
  ready: [LinkReadyEvent];
  /** The peer was silent for `liveness` intervals while the line was idle; a `disconnect` follows. */
  expire: [LinkExpireEvent];
  /** A connection ended; a fresh one follows after `reconnectIn` ms unless closing. */
  disconnect: [LinkDisconnectEvent];
  /** A message, request or reply was dropped. */
  drop: [LinkDropEvent<D>];
};

/** A request as the link holds it. */
export interface LinkJob<R> {
  /** The job's id, given back in the `done` input. */
  readonly id: number;
  /** The line it came in on. */
  readonly line: number;
  /** The connection it came in on. */
  readonly connection: number;
  /** The endpoint it came through. */
  readonly endpoint: string;
  /** The decoded request. */
  readonly request: R;
}

/** A message received on a line's current (or an older) connection, as the shell tags it. */
export interface LinkMessage {
  /** The connection it arrived on (from the `connect` action). */
  readonly connection: number;
  /** The frames as the DEALER received them. */
  readonly frames: Buffer[];
}

/** Inputs of {@link WorkerLinkState}. */
export type WorkerLinkInput =
  | WakeInput
  | {
      /** Opens every line's first connection. */
      readonly type: "start";
    }
  | {
      /** A message from a peer. */
      readonly type: "message";
      /** The line's channel name. */
      readonly channel: string;
      /** The tagged frames. */
      readonly message: LinkMessage;
    }
  | {
      /** The handler finished a job: `reply` holds its frames, or `error` what it threw. */
      readonly type: "done";
      /** The job's id. */
      readonly job: number;
      /** The reply frames (already through `replyFrames`). */
      readonly reply?: Frame[];
      /** The handler's error. */
      readonly error?: unknown;
    }
  | {
      /** A connection failed (could not connect, or its socket broke). */
      readonly type: "socket-error";
      /** The line. */
      readonly line: number;
      /** The connection that failed. */
      readonly connection: number;
      /** What failed. */
      readonly error: ZmqReliableError;
    }
  | {
      /** Starts closing: queued requests are dropped, the one in hand is finished. */
      readonly type: "close";
    }
  | {
      /** Gives up on the request in hand (closing took too long) and closes now. */
      readonly type: "abandon";
    };

/** Actions of {@link WorkerLinkState}. */
export type WorkerLinkAction<R, D extends string = never> =
  | SendAction
  | EmitAction<LinkEvents<D>>
  | {
      /** Open a fresh DEALER to `endpoint` and attach it as `channel`; sends that follow go on it. */
      readonly type: "connect";
      /** The line. */
      readonly line: number;
      /** The channel name to attach it under. */
      readonly channel: string;
      /** The connection's id: tag its messages with it. */
      readonly connection: number;
      /** Where to connect. */
      readonly endpoint: string;
      /** 1 for the line's first connection, then 2, 3, … */
      readonly attempt: number;
    }
  | {
      /** Close the line's current socket. */
      readonly type: "hangup";
      /** The line. */
      readonly line: number;
      /** The channel name it was attached under. */
      readonly channel: string;
      /** `true` when the worker closes for good: let the last messages (reply, DISCONNECT) go out first. */
      readonly final: boolean;
    }
  | {
      /** Run the handler on a job, then feed a `done` input. */
      readonly type: "handle";
      /** The job. */
      readonly job: LinkJob<R>;
    }
  | {
      /** The handler's work on a job is no longer wanted (closing gave up on it): abort its signal. */
      readonly type: "abort";
      /** The job's id. */
      readonly job: number;
    }
  | {
      /** Closing is complete: every line hung up, nothing in hand. */
      readonly type: "closed";
    };

/** Where a link (or one of its lines) is in its life. */
export type LinkPhase =
  /** Not started. */
  | "idle"
  /** Connected (or connecting) and READY sent. */
  | "connected"
  /** The connection ended; the back-off wait runs. */
  | "waiting"
  /** Closing: the request in hand is being finished. */
  | "closing"
  /** Closed for good. */
  | "closed";

/** Options of {@link WorkerLinkState}. */
export interface WorkerLinkOptions<R, D extends string = string> {
  /** The pattern's wire. */
  wire: WorkerWire<R, D>;
  /**
   * The lines: each a list of endpoints in rotation order. One line for a
   * worker that talks to one peer at a time; one per peer for a worker that
   * registers with several at once.
   */
  lines: readonly (readonly string[])[];
  /** Milliseconds between heartbeats. */
  heartbeatInterval: number;
  /** Intervals of peer silence (while idle) after which a line reconnects. */
  liveness: number;
  /** Back-off between reconnects of a line, reset when its peer is heard from. */
  reconnect: Required<Pick<ReconnectOptions, "initial" | "max">> & ReconnectOptions;
  /** Randomness for back-off jitter (tests). Default `Math.random`. */
  random?: () => number;
}

/** Counters of a worker link. */
export interface WorkerLinkStats<D extends string = string> {
  /** Requests received. */
  requests: number;
  /** Replies sent. */
  replies: number;
  /** Handler failures (threw, rejected, or returned no valid reply). */
  failures: number;
  /** Things dropped, all reasons. */
  dropped: number;
  /** Things dropped, by reason. */
  drops: Partial<Record<LinkDropReason<D>, number>>;
  /** Requests being handled right now (0 or 1 per session; at most `concurrency` for a role). */
  inFlight: number;
  /** Requests received while busy, waiting their turn. */
  queued: number;
  /** Connections opened (READY sent), the first included. */
  connects: number;
  /** Times a peer fell silent for `liveness` intervals. */
  expired: number;
  /** HEARTBEAT messages sent. */
  heartbeatsSent: number;
  /** HEARTBEAT messages received. */
  heartbeatsReceived: number;
  /** DISCONNECT messages received. */
  disconnectsReceived: number;
}
