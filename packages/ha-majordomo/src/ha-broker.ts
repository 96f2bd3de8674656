/**
 * {@link HaMajordomoBroker}: a Majordomo broker made highly available by a
 * Binary Star node. Two of them, a primary and a backup, form a pair: only the
 * active one serves clients; the passive one keeps its workers registered and
 * takes over when the active dies and clients start asking it.
 *
 * The two patterns never import each other: the broker consults core's
 * `AdmissionHook` before serving a client request, and the Binary Star node
 * implements it.
 *
 * @module
 */
import { BinaryStar, type BinaryStarCurveOptions, type BinaryStarStats, type BinaryStarRole, type BinaryStarState, type FatalEvent, type StateChangeEvent } from "@zmq-reliable/binary-star";
import { type Logger, TypedEmitter } from "@zmq-reliable/core";
import { type BrokerStats, MajordomoBroker, type MajordomoBrokerOptions } from "@zmq-reliable/majordomo";

/** Options of {@link HaMajordomoBroker}. */
export interface HaMajordomoBrokerOptions {
  /** `"primary"` (normally active) or `"backup"`. */
  role: BinaryStarRole;
  /**
   * Where to bind: `frontend`, the Majordomo broker's ROUTER for clients and
   * workers (one or several endpoints), and `state`, this node's Binary Star
   * state PUB.
   */
  bind: {
    /** The Majordomo broker's ROUTER, for clients and workers: one endpoint or several. */
    frontend: string | readonly string[];
    /** This node's Binary Star state PUB. */
    state: string;
  };
  /** The peer's state PUB endpoint. */
  peer: string;
  /**
   * Binary Star heartbeat in ms (the peer is presumed dead after two). Clients'
   * timeouts should be about this long. Default 1000.
   */
  heartbeatInterval?: number;
  /** Further Majordomo broker options (heartbeats with workers, expiry, …). */
  broker?: Omit<MajordomoBrokerOptions, "bind" | "admission" | "curve">;
  /**
   * CURVE for both halves: the broker's endpoints are CURVE servers with
   * `secretKey` (clients and workers need `publicKey`), and the Binary Star
   * state link verifies the peer (`peerKey`). Default: none.
   */
  curve?: BinaryStarCurveOptions;
  /** Logger for both halves. */
  logger?: Logger;
}

/** Events of {@link HaMajordomoBroker}. */
export type HaMajordomoBrokerEvents = {
  /** This broker became active: it serves clients now. */
  active: [StateChangeEvent];
  /** This broker became passive: it drops client requests, keeps its workers. */
  passive: [StateChangeEvent];
  /** Any Binary Star state change. */
  "state-change": [StateChangeEvent];
  /** Kept for compatibility: never emitted, since Binary Star resolves dual actives and dual passives (a stale node steps down). */
  fatal: [FatalEvent];
};

/** What {@link HaMajordomoBroker.stats} gives: the broker's figures with the Binary Star node's. */
export interface HaMajordomoBrokerStats extends BrokerStats {
  /** The Binary Star node's counters and state. */
  node: BinaryStarStats;
}

/**
 * One half of a highly available Majordomo broker pair.
 *
 * ```ts
 * const primary = new HaMajordomoBroker({
 *   role: "primary", bind: { frontend: "tcp://*:5555", state: "tcp://*:5003" },
 *   peer: "tcp://backup-host:5004",
 * });
 * await primary.start();
 * // clients:  new MajordomoClient({ endpoint: [primaryEndpoint, backupEndpoint] })
 * // workers:  new MajordomoWorker({ endpoint: [primaryEndpoint, backupEndpoint], brokers: "all", … })
 * ```
 */
export class HaMajordomoBroker extends TypedEmitter<HaMajordomoBrokerEvents> {
  /** The Binary Star node that decides whether this broker may serve. */
  readonly node: BinaryStar;
  /** The Majordomo broker. */
  readonly broker: MajordomoBroker;

  /** @param options - see {@link HaMajordomoBrokerOptions}. */
  constructor(options: HaMajordomoBrokerOptions) {
    super();
    this.node = new BinaryStar({
      role: options.role,
      bind: options.bind.state,
      peer: options.peer,
      ...(options.heartbeatInterval !== undefined ? { heartbeatInterval: options.heartbeatInterval } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.curve ? { curve: options.curve } : {}),
    });
    this.broker = new MajordomoBroker({
      ...options.broker,
      bind: options.bind.frontend,
      admission: this.node,
      ...(options.curve ? { curve: { secretKey: options.curve.secretKey } } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.node.on("active", (e) => this.emit("active", e));
    this.node.on("passive", (e) => this.emit("passive", e));
    this.node.on("state-change", (e) => this.emit("state-change", e));
    this.node.on("fatal", (e) => this.emit("fatal", e));
  }

  /** The Binary Star state: `"PRIMARY"`, `"BACKUP"`, `"ACTIVE"` or `"PASSIVE"`. */
  get state(): BinaryStarState {
    return this.node.state;
  }

  /** The broker's bound endpoints (real ports once started). */
  get endpoints(): string[] {
    return this.broker.endpoints;
  }

  /** The broker's counters and gauges (per service too, see `MajordomoBroker.stats()`), with the Binary Star node's as `node`. */
  stats(): HaMajordomoBrokerStats {
    return { ...this.broker.stats(), node: this.node.stats() };
  }

  /** Binds the broker, then starts the Binary Star node. */
  async start(): Promise<void> {
    await this.broker.start();
    try {
      await this.node.start();
    } catch (err) {
      await this.broker.close();
      throw err;
    }
  }

  /** Stops the node, then the broker (which tells its workers DISCONNECT). Idempotent. */
  async close(): Promise<void> {
    await this.node.close();
    await this.broker.close();
  }
}
