/**
 * What the queue's machine (`QueueState`) is fed and what it returns:
 * the decoded messages of its two sockets (with decoders that never throw, so
 * a bad message becomes a drop, not an exception), its commands, and its
 * actions. Pure: no sockets, no timers.
 *
 * @module
 */
import { EMPTY, type EmitAction, type MessageInput, type ProtocolError, type SendAction, type WakeInput } from "@zmq-reliable/core";
import { decodeClientRequest, decodeWorkerMessage, type Envelope, isCommandShaped, type WorkerMessage } from "./protocol.js";
import type { QueueStateEvents } from "./queue-events.js";

/** The queue's two sockets, as channels of its inputs and actions. */
export type QueueChannel = "frontend" | "backend";

/** A client message as the frontend ROUTER received it, decoded by {@link decodeFrontendMessage}. */
export type FrontendMessage =
  | ({
      /** A well-formed request: `envelope` (the client's address stack) and `body`. */
      readonly type: "request";
    } & Envelope)
  | {
      /** Not `[id…, ∅, body…]`. */
      readonly type: "invalid";
      /** Why. */
      readonly error: ProtocolError;
    };

/** A worker message as the backend ROUTER received it, decoded by {@link decodeBackendMessage}. */
export type BackendMessage = {
  /** The worker's routing id, as the ROUTER put it first. */
  readonly worker: Buffer;
} & (
  | WorkerMessage
  | {
      /** Not a PPP message. */
      readonly type: "invalid";
      /** A one-byte command other than READY/HEARTBEAT, or anything else malformed. */
      readonly reason: "unknown-command" | "malformed-message";
      /** Why. */
      readonly error: ProtocolError;
    }
);

/** What the machine is fed: decoded messages from either socket, its wake-up, and the role's commands. */
export type QueueInput =
  | WakeInput
  | MessageInput<FrontendMessage, "frontend">
  | MessageInput<BackendMessage, "backend">
  | {
      /** Stop dispatching (the role is closing with a timeout): a `drained` action follows once no worker holds a request. */
      readonly type: "drain";
    }
  | {
      /** Forget every worker (the role is closing): `request-lost` with cause `closed` for each request still held. */
      readonly type: "close";
    };

/** What the role must do, in order. `send` on `"backend"` has the worker id first; `emit` carries a {@link QueueStateEvents} event. */
export type QueueAction =
  | SendAction<QueueChannel>
  | EmitAction<QueueStateEvents>
  | {
      /** Stop reading the frontend (no worker is ready) or read it again. */
      readonly type: "pause" | "resume";
      /** Always the frontend. */
      readonly channel: "frontend";
    }
  | {
      /** After `drain`: no worker holds a request any more. */
      readonly type: "drained";
    };

/**
 * Decodes what the frontend ROUTER received, `[client id…, ∅, body…]`. Never throws.
 *
 * @param frames - the message, the ROUTER's client id first.
 */
export function decodeFrontendMessage(frames: readonly Buffer[]): FrontendMessage {
  try {
    return { type: "request", ...decodeClientRequest(frames) };
  } catch (err) {
    return { type: "invalid", error: err as ProtocolError };
  }
}

/**
 * Decodes what the backend ROUTER received, `[worker id, …]`. Never throws.
 *
 * @param frames - the message, the ROUTER's worker id first.
 */
export function decodeBackendMessage(frames: readonly Buffer[]): BackendMessage {
  const [worker = EMPTY, ...rest] = frames;
  try {
    return { worker, ...decodeWorkerMessage(rest) };
  } catch (err) {
    return { worker, type: "invalid", reason: isCommandShaped(rest) ? "unknown-command" : "malformed-message", error: err as ProtocolError };
  }
}
