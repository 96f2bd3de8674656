/**
 * `@zmq-reliable/binary-star`: the zguide's Binary Star pattern on zeromq v6.
 * Two servers, a primary and a backup, watch each other through state
 * messages; exactly one of them (the active) serves clients, and the other
 * takes over when the active has gone silent and clients start asking it.
 *
 * - {@link BinaryStar}: the pair node (state exchange and state machine); an
 *   `AdmissionHook` (from `@zmq-reliable/core`) any server can consult, e.g. a Majordomo broker.
 * - {@link BinaryStarServer}: a node plus a client-facing ROUTER and a request handler.
 * - {@link BinaryStarClient}: a client that follows the active server, with a
 *   failover quicker than the reference's.
 * - {@link BINARY_STAR_TABLE} / {@link transition}, {@link NodeState},
 *   {@link encodeState}, {@link decodeState}: the pure state table, the node's
 *   machine (core's `Machine` contract) and the wire codec.
 *
 * The `binary-star-server` command runs an echo server pair member.
 *
 * @packageDocumentation
 */
export {
  BINARY_STAR_DEFAULTS,
  type BinaryStarDefaults,
  type BinaryStarEndpoints,
  type BinaryStarRole,
  type ClientTimings,
  clientTimings,
} from "./defaults.js";
export {
  BINARY_STAR_STATES,
  type BinaryStarState,
  STATE_CODES,
  decodeState,
  encodeState,
} from "./protocol.js";
export {
  BINARY_STAR_EVENTS,
  BINARY_STAR_TABLE,
  type BinaryStarCallback,
  type BinaryStarCell,
  type BinaryStarEvent,
  type BinaryStarFatalReason,
  type BinaryStarRule,
  type BinaryStarVote,
  type BinaryStarConflict,
  type FsmResult,
  peerEvent,
  transition,
} from "./fsm.js";
export {
  type BinaryStarEvents,
  type BinaryStarStats,
  type FatalEvent,
  type PeerStateEvent,
  type StateChangeEvent,
  type StateDropEvent,
} from "./node-events.js";
export {
  type AdmitInput,
  type HaltAction,
  type NodeAction,
  type NodeInput,
  NodeState,
  type NodeStateOptions,
  type StartInput,
  type VerdictAction,
} from "./node-state.js";
export { type BinaryStarCurveOptions, type BinaryStarOptions } from "./options.js";
export { BinaryStar } from "./node.js";
export { BinaryStarServer } from "./server.js";
export { checkPairRole, type PairFlags, type PairFlagValues, pairCurve, pairFlags, pairHealth, pairOptions, type PairOptions, pairStartFields } from "./pair-flags.js";
export {
  type BinaryStarHandler,
  type BinaryStarServerEvents,
  type BinaryStarServerOptions,
  type BinaryStarServerStats,
  type RequestDropEvent,
  type RequestDropReason,
  echoHandler,
} from "./server-options.js";
export {
  BinaryStarClient,
  type BinaryStarClientEvents,
  type BinaryStarClientOptions,
  type BinaryStarClientStats,
  type RequestOptions,
} from "./client.js";
/** Re-exported from `@zmq-reliable/core`: the payloads of the client's events. */
export type { FailoverEvent, RetryEvent } from "@zmq-reliable/core";
