/**
 * Frames and messages: the types every package uses, conversion helpers and
 * ROUTER envelope handling.
 *
 * @module
 */
import { ProtocolError } from "./errors.js";
import { quoteForLog } from "./log-escape.js";

/** One frame as an application may send it. Strings are encoded as UTF-8. */
export type Frame = Buffer | string | Uint8Array;

/** A multipart message: one or more frames. */
export type Message = Frame[];

/** The zero-length delimiter frame used by REQ/REP envelopes. Never mutate it. */
export const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Bytes each held frame is counted for on top of its payload, wherever a limit
 * is in bytes (queued requests in the broker, the queue and the request
 * server). A received frame costs about 190 bytes of V8 heap besides its
 * payload (its `Buffer` object; measured on Node 20), so without this a
 * message of thousands of empty frames would be counted as nothing.
 */
export const FRAME_OVERHEAD_BYTES = 256;

/**
 * The bytes `frames` are counted for against byte limits: their payloads plus
 * {@link FRAME_OVERHEAD_BYTES} per frame.
 *
 * @param frames - the frames held.
 */
export function heldBytes(frames: readonly Buffer[]): number {
  let bytes = frames.length * FRAME_OVERHEAD_BYTES;
  for (let i = 0; i < frames.length; i++) bytes += frames[i]!.length;
  return bytes;
}

/**
 * Converts one frame to a `Buffer` without copying when it already is one
 * (a `Uint8Array` is wrapped, sharing its memory).
 *
 * @param frame - the frame to convert.
 */
export function toBuffer(frame: Frame): Buffer {
  if (Buffer.isBuffer(frame)) return frame;
  if (typeof frame === "string") return Buffer.from(frame, "utf8");
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}

/**
 * Converts a message, or a single frame, to an array of `Buffer`s.
 *
 * @param message - a frame or an array of frames.
 */
export function toBuffers(message: Frame | readonly Frame[]): Buffer[] {
  if (Array.isArray(message)) return message.map(toBuffer);
  return [toBuffer(message as Frame)];
}

/**
 * Decodes the frames of a message as UTF-8 strings (handy in tests and logs).
 *
 * @param message - the frames.
 */
export function framesToStrings(message: readonly Frame[]): string[] {
  return message.map((f) => toBuffer(f).toString("utf8"));
}

/**
 * The one rule for turning a handler's result into reply frames, used by
 * every server and worker: frames are sent as given (one frame is one
 * frame), and an empty result (`[]` or `undefined`) is a reply with one empty
 * frame. (A REQ client never delivers a reply with no body frame, so an empty
 * body would leave its caller waiting for a timeout.)
 *
 * @param result - what the handler returned.
 * @throws {@link ProtocolError} when `result` is neither a frame nor an array of frames.
 */
export function replyFrames(result: unknown): Frame[] {
  if (result === undefined) return [EMPTY];
  if (isFrame(result)) return [result];
  if (Array.isArray(result)) {
    if (result.length === 0) return [EMPTY];
    for (const f of result) if (!isFrame(f)) throw new ProtocolError("A reply frame must be a Buffer, Uint8Array or string");
    return result as Frame[];
  }
  throw new ProtocolError(`A handler must return a frame or an array of frames, got ${result === null ? "null" : typeof result}`);
}

/**
 * Whether `value` is a {@link Frame}.
 *
 * @param value - anything.
 */
export function isFrame(value: unknown): value is Frame {
  return typeof value === "string" || value instanceof Uint8Array;
}

/**
 * A message split at its first empty delimiter frame, as a REP socket does:
 * `envelope` holds the routing frames before the delimiter, `body` the frames after it.
 */
export interface Envelope {
  /** Routing frames before the empty delimiter (identities added by ROUTERs). */
  envelope: Buffer[];
  /** Content frames after the delimiter. */
  body: Buffer[];
}

/**
 * Splits `[id…, ∅, body…]` into envelope and body. Returns `undefined` when the
 * message has no empty delimiter frame.
 *
 * @param message - a message as received from a ROUTER.
 */
export function splitEnvelope(message: readonly Buffer[]): Envelope | undefined {
  for (let i = 0; i < message.length; i++) {
    if (message[i]!.length === 0) {
      return { envelope: message.slice(0, i), body: message.slice(i + 1) };
    }
  }
  return undefined;
}

/**
 * Joins an envelope and a body with an empty delimiter: `[id…, ∅, body…]`.
 *
 * @param envelope - routing frames.
 * @param body - content frames.
 */
export function joinEnvelope(envelope: readonly Frame[], body: readonly Frame[]): Frame[] {
  return [...envelope, EMPTY, ...body];
}

/**
 * Renders a frame for logs, safe to put in any log line: printable ASCII
 * as quoted, escaped text ({@link quoteForLog}), anything else (a newline,
 * an ANSI escape, binary) as hex, truncated to `max` bytes.
 *
 * @param frame - the frame.
 * @param max - how many bytes to show at most.
 */
export function describeFrame(frame: Frame, max = 32): string {
  const b = toBuffer(frame);
  const shown = b.subarray(0, max);
  const printable = shown.every((c) => c >= 0x20 && c < 0x7f);
  const text = printable ? quoteForLog(shown.toString("latin1"), max) : `0x${shown.toString("hex")}`;
  return b.length > max ? `${text}…(${b.length}B)` : text;
}
