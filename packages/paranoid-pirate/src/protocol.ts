/**
 * The 6/PPP wire, byte for byte as the reference `ppqueue`/`ppworker` put it
 * ([Paranoid Pirate protocol: frames](https://zmq-reliable.github.io/zmq-reliable/documents/Paranoid_Pirate_protocol.html#frames)):
 *
 * | message | frames (as sent, before any ROUTER id) | direction |
 * |---|---|---|
 * | READY | `[0x01]` | worker → queue |
 * | HEARTBEAT | `[0x02]` | both |
 * | REQUEST | `[<client id>…, ∅, body…]` | queue → worker |
 * | REPLY | `[<client id>…, ∅, body…]` (the request's envelope, echoed) | worker → queue |
 *
 * The worker is a DEALER, so nothing is added to these frames; the queue's
 * ROUTER adds the worker id on receive and strips it on send. There is **no**
 * empty frame between the worker id and the client id.
 *
 * @module
 */
import { EMPTY, type Frame, ProtocolError } from "@zmq-reliable/core";

/** The READY command byte (worker → queue). */
export const PPP_READY = 0x01;
/** The HEARTBEAT command byte (both directions). */
export const PPP_HEARTBEAT = 0x02;

/** The one-frame READY message, `[0x01]`. Never mutate it. */
export const READY_FRAME: Buffer = Buffer.from([PPP_READY]);
/** The one-frame HEARTBEAT message, `[0x02]`. Never mutate it. */
export const HEARTBEAT_FRAME: Buffer = Buffer.from([PPP_HEARTBEAT]);

/**
 * A request or reply as PPP carries it: the address stack (client ids, as many
 * as there were ROUTER hops) and the content frames after the empty delimiter.
 */
export interface Envelope {
  /** Routing frames before the empty delimiter; for a direct REQ client, its one ROUTER id. */
  envelope: Buffer[];
  /** Content frames after the delimiter: at least one, any of which may be empty. */
  body: Buffer[];
}

/** What a worker sends to the queue, as the queue sees it once the worker id is removed. */
export type WorkerMessage =
  | {
      /** READY: the worker starts a conversation and is ready for work. */
      type: "ready";
    }
  | {
      /** HEARTBEAT: the worker is alive. */
      type: "heartbeat";
    }
  | ({
      /** REPLY: the answer to the request the worker holds, with the request's envelope. */
      type: "reply";
    } & Envelope);

/** What the queue sends to a worker. */
export type QueueMessage =
  | {
      /** HEARTBEAT: the queue is alive. */
      type: "heartbeat";
    }
  | ({
      /** REQUEST: work for the worker; it must echo `envelope` in its reply. */
      type: "request";
    } & Envelope);

/** `[0x01]`: the READY message a worker sends first on every fresh connection. */
export function encodeReady(): Buffer[] {
  return [READY_FRAME];
}

/** `[0x02]`: the HEARTBEAT message, the same in both directions. */
export function encodeHeartbeat(): Buffer[] {
  return [HEARTBEAT_FRAME];
}

/**
 * `[envelope…, ∅, body…]`: a request (queue → worker) or a reply (worker →
 * queue); both have the same shape.
 */
function encodeEnvelope(envelope: readonly Frame[], body: readonly Frame[]): Frame[] {
  if (body.length === 0) throw new ProtocolError("A PPP request or reply needs at least one body frame");
  for (const frame of envelope) {
    if (frameLength(frame) === 0) throw new ProtocolError("An envelope frame must not be empty");
  }
  return [...envelope, EMPTY, ...body];
}

/**
 * A request, queue → worker: `[envelope…, ∅, body…]` (a reply has the same shape).
 *
 * @param envelope - the client address stack (at least one frame for a routable message).
 * @param body - the request's content frames; at least one.
 * @throws `ProtocolError` (core) when `body` is empty or an envelope frame is empty
 *   (an empty frame there would be read as the delimiter).
 */
export function encodeRequest(envelope: readonly Frame[], body: readonly Frame[]): Frame[] {
  return encodeEnvelope(envelope, body);
}

/**
 * A reply, worker → queue: `[envelope…, ∅, body…]`, the same shape as {@link encodeRequest}.
 *
 * @param envelope - the envelope of the request being answered, unchanged.
 * @param body - the reply's content frames; at least one.
 * @throws `ProtocolError` (core) when `body` is empty or an envelope frame is empty.
 */
export function encodeReply(envelope: readonly Frame[], body: readonly Frame[]): Frame[] {
  return encodeEnvelope(envelope, body);
}

function frameLength(frame: Frame): number {
  return typeof frame === "string" ? Buffer.byteLength(frame) : frame.byteLength;
}

/**
 * Splits `[envelope…, ∅, body…]` at its first empty frame.
 *
 * @param frames - the message.
 * @param what - used in error messages.
 * @throws `ProtocolError` (core) when there is no delimiter, no envelope or no body.
 */
export function decodeEnvelope(frames: readonly Buffer[], what = "message"): Envelope {
  const at = frames.findIndex((f) => f.length === 0);
  if (at < 0) throw new ProtocolError(`${what} has no empty delimiter frame`);
  if (at === 0) throw new ProtocolError(`${what} has no address before its delimiter`);
  if (at === frames.length - 1) throw new ProtocolError(`${what} has no body after its delimiter`);
  return { envelope: frames.slice(0, at), body: frames.slice(at + 1) };
}

/**
 * Whether a message is one frame of one byte: the shape of a PPP command.
 * A message of that shape that is neither READY nor HEARTBEAT carries an
 * unknown command.
 *
 * @param frames - the message.
 */
export function isCommandShaped(frames: readonly Buffer[]): boolean {
  return frames.length === 1 && frames[0]!.length === 1;
}

/**
 * Decodes what a worker sent (the frames after the queue's ROUTER has taken
 * the worker id off). One frame is a command: exactly `[0x01]` or `[0x02]`;
 * anything else is a reply `[client id…, ∅, body…]`.
 *
 * @param frames - the message without the worker id.
 * @throws `ProtocolError` (core) for an empty message, an unknown command or a malformed reply.
 */
export function decodeWorkerMessage(frames: readonly Buffer[]): WorkerMessage {
  if (frames.length === 0 || (frames.length === 1 && frames[0]!.length === 0)) {
    throw new ProtocolError("Empty message from worker");
  }
  if (frames.length === 1) {
    const frame = frames[0]!;
    if (frame.length === 1 && frame[0] === PPP_READY) return { type: "ready" };
    if (frame.length === 1 && frame[0] === PPP_HEARTBEAT) return { type: "heartbeat" };
    throw new ProtocolError(`Unknown command from worker: 0x${frame.subarray(0, 8).toString("hex")}`);
  }
  return { type: "reply", ...decodeEnvelope(frames, "Reply from worker") };
}

/**
 * Decodes what the queue sent to a worker (as the worker's DEALER receives
 * it). One frame must be exactly `[0x02]`; anything else is a request
 * `[client id…, ∅, body…]`. Multi-frame bodies are accepted, unlike the C
 * reference worker's 3-frame check.
 *
 * @param frames - the message.
 * @throws `ProtocolError` (core) for an empty message, an unknown command or a malformed request.
 */
export function decodeQueueMessage(frames: readonly Buffer[]): QueueMessage {
  if (frames.length === 0 || (frames.length === 1 && frames[0]!.length === 0)) {
    throw new ProtocolError("Empty message from queue");
  }
  if (frames.length === 1) {
    const frame = frames[0]!;
    if (frame.length === 1 && frame[0] === PPP_HEARTBEAT) return { type: "heartbeat" };
    throw new ProtocolError(`Unknown command from queue: 0x${frame.subarray(0, 8).toString("hex")}`);
  }
  return { type: "request", ...decodeEnvelope(frames, "Request from queue") };
}

/**
 * Decodes a client request as the queue's frontend ROUTER receives it,
 * `[client id…, ∅, body…]` (a REQ client adds the delimiter).
 *
 * @param frames - the message including the ROUTER's client id.
 * @throws `ProtocolError` (core) when the message has no delimiter or no body.
 */
export function decodeClientRequest(frames: readonly Buffer[]): Envelope {
  return decodeEnvelope(frames, "Client request");
}
