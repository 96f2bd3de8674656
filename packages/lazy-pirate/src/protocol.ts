/**
 * The Lazy Pirate wire ([Lazy Pirate protocol: frames](https://zmq-reliable.github.io/zmq-reliable/documents/Lazy_Pirate_protocol.html#frames)): there is none beyond plain REQ/REP.
 * A request is whatever body frames the caller gives; a REQ socket puts an
 * empty delimiter in front (`[∅ | body…]`), a REP peer strips and restores it.
 * The reply is whatever body frames the server returns. There is no header,
 * no command byte and no version.
 *
 * The reference programs (`lpclient`, `lpserver`) send one frame holding a
 * decimal ASCII sequence number, and the server echoes it; the helpers here
 * encode and check those frames for interop tests and demos.
 *
 * @module
 */
import type { Frame } from "@zmq-reliable/core";
import { InvalidOptionError, ProtocolError, toBuffer } from "@zmq-reliable/core";

/**
 * Converts a request as a caller gives it (one frame or several) to the body
 * frames a REQ socket sends. The frames go on the wire exactly as given.
 *
 * @param message - one frame or a non-empty array of frames.
 * @throws `InvalidOptionError` when `message` has no frame at all: a
 *   REQ socket cannot carry an empty request.
 */
export function encodeRequest(message: Frame | readonly Frame[]): Buffer[] {
  const frames = Array.isArray(message) ? (message as readonly Frame[]).map(toBuffer) : [toBuffer(message as Frame)];
  if (frames.length === 0) throw new InvalidOptionError("A request needs at least one frame");
  return frames;
}

/**
 * Encodes a sequence number the way the reference programs do: decimal ASCII,
 * no padding, no terminator (`lpclient.c` counts from 1, `lpclient.py` from 0).
 *
 * @param sequence - a non-negative safe integer.
 * @throws `InvalidOptionError` for anything else.
 */
export function encodeSequence(sequence: number): Buffer {
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new InvalidOptionError(`A sequence number must be a non-negative safe integer, got ${String(sequence)}`);
  }
  return Buffer.from(String(sequence), "ascii");
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Decodes a decimal ASCII sequence-number frame.
 *
 * @param frame - the frame, e.g. the only frame of a reference reply.
 * @throws `ProtocolError` when the frame is not a canonical decimal
 *   number (digits only, no sign, no leading zero, no whitespace) or is too large.
 */
export function decodeSequence(frame: Frame): number {
  const text = toBuffer(frame).toString("latin1");
  if (!DECIMAL.test(text)) throw new ProtocolError(`Not a decimal sequence number: ${JSON.stringify(text.slice(0, 32))}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new ProtocolError(`Sequence number too large: ${text.slice(0, 32)}`);
  return value;
}

/**
 * The reference client's reply check (`lpclient.c`: `atoi(reply) == sequence`),
 * stricter: the reply must be exactly the request, frame for frame. Pass it as
 * the client's `validate` option to talk to echo servers such as `lpserver`.
 *
 * @param reply - the frames received.
 * @param request - the frames sent.
 */
export function isEcho(reply: readonly Buffer[], request: readonly Buffer[]): boolean {
  return reply.length === request.length && reply.every((frame, i) => frame.equals(request[i]!));
}
