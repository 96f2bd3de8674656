/**
 * The options of a {@link BinaryStar} node.
 *
 * @module
 */
import type { Clock, CurveServerOptions, Logger } from "@zmq-reliable/core";
import type { BinaryStarRole } from "./defaults.js";

/**
 * CURVE for the state link. Each node has its own key pair: its PUB is a
 * CURVE server with `secretKey`; its SUB is a CURVE client of the peer's PUB,
 * using this key pair and the peer's public key. {@link BinaryStarServer}
 * also uses `secretKey` for its client-facing frontend, so clients need the
 * matching `publicKey`.
 */
export interface BinaryStarCurveOptions extends CurveServerOptions {
  /** This node's public key (Z85), the match of `secretKey`. */
  publicKey: string;
  /** The peer node's public key (Z85). */
  peerKey: string;
}

/** Options of {@link BinaryStar}. */
export interface BinaryStarOptions {
  /** `"primary"` (normally active) or `"backup"` (normally passive): the start state. */
  role: BinaryStarRole;
  /** Where to bind this node's state publisher, e.g. `tcp://*:5003`. `tcp://127.0.0.1:*` picks a port (see {@link BinaryStar.endpoint}). */
  bind: string;
  /** The other node's state endpoint, which this node's SUB connects to, e.g. `tcp://localhost:5004`. */
  peer: string;
  /**
   * Milliseconds between state messages. Both nodes must use the same value.
   * Default 1000 (`BSTAR_HEARTBEAT`).
   */
  heartbeatInterval?: number;
  /**
   * Heartbeats of silence after which the peer is presumed dead (the
   * "failover timeout" is `liveness × heartbeatInterval`); both nodes must
   * use the same value. Default 2, as in `bstar.c`.
   */
  liveness?: number;
  /** CURVE for the state link; see {@link BinaryStarCurveOptions}. */
  curve?: BinaryStarCurveOptions;
  /** Where to log state changes and dropped state messages. */
  logger?: Logger;
  /** The clock; inject a fake one in tests. Default: the system clock. */
  clock?: Clock;
}
