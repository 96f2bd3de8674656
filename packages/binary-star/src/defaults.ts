/**
 * Default values, the reference's constants ([Binary Star protocol](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html)), and how the
 * client's timings follow from the pair's heartbeat.
 *
 * @module
 */

/** A node's configured role: which state it starts in. */
export type BinaryStarRole = "primary" | "backup";

/** The endpoints of one reference server (`bstarsrv2 -p` / `-b`, [Binary Star protocol: sockets](https://zmq-reliable.github.io/zmq-reliable/documents/Binary_Star_protocol.html#sockets-and-message-flow)). */
export interface BinaryStarEndpoints {
  /** The client-facing ROUTER, bound. */
  frontend: string;
  /** This node's state PUB, bound. */
  local: string;
  /** The peer's state PUB, which this node's SUB connects to. */
  remote: string;
}

/** The defaults of every Binary Star role: the reference values of `bstar.c` and `bstarcli.c`. */
export interface BinaryStarDefaults {
  /** `BSTAR_HEARTBEAT`: ms between state messages; the peer is presumed dead after two. */
  readonly heartbeatInterval: number;
  /** How many heartbeats of silence make the peer presumed dead (2 in the reference): the failover timeout is `liveness × heartbeatInterval`. */
  readonly liveness: number;
  /** Client: ms to wait for a reply before failing over (`REQUEST_TIMEOUT`, = one heartbeat). */
  readonly timeout: number;
  /** Client: the failover timeout the client must wait out (`SETTLE_DELAY`, = two heartbeats). */
  readonly settleDelay: number;
  /** Client: ms between votes (fresh resends) while waiting for a passive server to take over (a quarter heartbeat). */
  readonly voteInterval: number;
  /** Server: ms `close()` waits for requests being handled before closing the frontend. */
  readonly drainTimeout: number;
  /** The reference endpoints of each role (`bstarsrv2.c`). */
  readonly endpoints: Readonly<Record<BinaryStarRole, Readonly<BinaryStarEndpoints>>>;
}

/**
 * The defaults: `heartbeatInterval` 1000 ms (peer dead after 2000 ms), client
 * `timeout` 1000 ms and `settleDelay` 2000 ms as in `bstarcli.c`, a vote every
 * 250 ms, and the reference ports 5001/5003 (primary) and 5002/5004 (backup).
 */
export const BINARY_STAR_DEFAULTS: BinaryStarDefaults = Object.freeze({
  heartbeatInterval: 1000,
  liveness: 2,
  timeout: 1000,
  settleDelay: 2000,
  voteInterval: 250,
  drainTimeout: 1000,
  endpoints: Object.freeze({
    primary: Object.freeze({ frontend: "tcp://*:5001", local: "tcp://*:5003", remote: "tcp://localhost:5004" }),
    backup: Object.freeze({ frontend: "tcp://*:5002", local: "tcp://*:5004", remote: "tcp://localhost:5003" }),
  }),
});

/** The client timings that follow from a heartbeat interval; see {@link clientTimings}. */
export interface ClientTimings {
  /** Reply timeout at the server believed active: one heartbeat. */
  timeout: number;
  /** How long to keep voting at one server: the failover timeout, two heartbeats. */
  settleDelay: number;
  /** Interval between votes: a quarter heartbeat (at least 1 ms). */
  voteInterval: number;
}

/**
 * Derives the client's timings from the servers' heartbeat, the way the
 * reference constants relate (`REQUEST_TIMEOUT` = `BSTAR_HEARTBEAT`,
 * `SETTLE_DELAY` = 2 × `BSTAR_HEARTBEAT`): with the default 1000 ms this gives
 * exactly {@link BINARY_STAR_DEFAULTS}; with 100 ms it gives 100/200/25.
 *
 * @param heartbeatInterval - the servers' heartbeat in ms.
 */
export function clientTimings(heartbeatInterval: number): ClientTimings {
  return {
    timeout: heartbeatInterval,
    settleDelay: BINARY_STAR_DEFAULTS.liveness * heartbeatInterval,
    voteInterval: Math.max(1, heartbeatInterval / 4),
  };
}
