/**
 * The Binary Star wire: the state message each node publishes to its peer
 * ([Binary Star protocol: frames](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html#frames)). It is one frame holding the ASCII decimal digit of the
 * sender's state, with no terminator: `"1"` PRIMARY, `"2"` BACKUP, `"3"`
 * ACTIVE, `"4"` PASSIVE. This is byte-exact with the zguide's `bstar.c`
 * (`zstr_sendf ("%d", state)`), so a node of ours pairs with the reference.
 *
 * @module
 */
import { ProtocolError, describeFrame } from "@zmq-reliable/core";

/**
 * The four states of a Binary Star node ([Binary Star protocol: state machine](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html#state-machine)). A node starts
 * in `PRIMARY` or `BACKUP` (its configured role) and moves to `ACTIVE`
 * (serving clients) or `PASSIVE` (standing by).
 */
export type BinaryStarState = "PRIMARY" | "BACKUP" | "ACTIVE" | "PASSIVE";

/** Every {@link BinaryStarState}, in wire order (`"1"` to `"4"`). */
export const BINARY_STAR_STATES: readonly BinaryStarState[] = ["PRIMARY", "BACKUP", "ACTIVE", "PASSIVE"];

/** The wire digit of each state: the reference's enum values 1 to 4. */
export const STATE_CODES: Readonly<Record<BinaryStarState, number>> = { PRIMARY: 1, BACKUP: 2, ACTIVE: 3, PASSIVE: 4 };

/**
 * ASCII `'0'` (0x30). State code N goes on the wire as the byte 0x30 + N:
 * `'1'` (0x31) PRIMARY, `'2'` (0x32) BACKUP, `'3'` (0x33) ACTIVE, `'4'` (0x34) PASSIVE.
 */
const DIGIT_ZERO = 0x30;

/**
 * Encodes a state message: one frame, the state's ASCII digit.
 *
 * @param state - the sender's current state.
 * @returns the frames to publish (exactly one, one byte long).
 */
export function encodeState(state: BinaryStarState): Buffer[] {
  const code = STATE_CODES[state];
  if (code === undefined) throw new ProtocolError(`Unknown Binary Star state ${String(state)}`);
  return [Buffer.from([DIGIT_ZERO + code])];
}

/**
 * Decodes a state message received from the peer.
 *
 * @param message - the frames as received by the SUB socket.
 * @returns the peer's state.
 * @throws `ProtocolError` unless the message is exactly one frame
 *   holding one of the bytes `"1"`, `"2"`, `"3"`, `"4"`.
 */
export function decodeState(message: readonly Buffer[]): BinaryStarState {
  if (message.length !== 1) throw new ProtocolError(`Binary Star state message must have 1 frame, got ${message.length}`);
  const frame = message[0]!;
  if (frame.length === 1) {
    const state = BINARY_STAR_STATES[frame[0]! - DIGIT_ZERO - 1];
    if (state !== undefined) return state;
  }
  throw new ProtocolError(`Invalid Binary Star state frame ${describeFrame(frame)}: expected "1", "2", "3" or "4"`);
}
