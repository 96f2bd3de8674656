/**
 * {@link BinaryStarServer}: a {@link BinaryStar} node plus core's
 * {@link RequestServer} for clients, with the node as its admission hook: the
 * zguide's `bstarsrv2`, generalised.
 *
 * @module
 */
import {
  type CloseOptions,
  endpointError,
  type HandlerErrorEvent,
  type HandlerTimeoutEvent,
  Lifecycle,
  NotStartedError,
  type RequestDropEvent as CoreDropEvent,
  type RequestDropReason as CoreDropReason,
  type RequestHandler,
  RequestServer,
  type RequestServerStats,
  InvalidOptionError,
  TypedEmitter,
} from "@zmq-reliable/core";
import { BINARY_STAR_DEFAULTS } from "./defaults.js";
import type { BinaryStarState } from "./protocol.js";
import { BinaryStar, type BinaryStarOptions, type BinaryStarStats, type FatalEvent, type PeerStateEvent, type StateChangeEvent } from "./node.js";

/**
 * Handles one client request and returns the reply: one frame or several,
 * synchronously or as a promise; `[]` and `undefined` reply with one empty
 * frame. If it throws or rejects, the client gets no reply (it will retry,
 * possibly at the other server) and the server emits `drop` with reason
 * `"handler-error"`.
 */
export type BinaryStarHandler = RequestHandler;

/** The default handler: echo the request body, as the reference server does. */
export const echoHandler: BinaryStarHandler = (body) => body;

/** Options of {@link BinaryStarServer}: the node's (role, heartbeat, CURVE…), where to bind, the peer, and the handler. */
export interface BinaryStarServerOptions extends Pick<BinaryStarOptions, "role" | "heartbeatInterval" | "curve" | "logger" | "clock"> {
  /**
   * Where to bind: `frontend`, the client-facing ROUTER (e.g. `tcp://*:5001`), and
   * `state`, this node's state PUB (e.g. `tcp://*:5003`). `tcp://127.0.0.1:*` picks a port
   * (see {@link BinaryStarServer.endpoints}).
   */
  bind: { frontend: string; state: string };
  /** The other node's state endpoint, which this node's SUB connects to, e.g. `tcp://backup:5004`. */
  peer: string;
  /** The request handler. Default {@link echoHandler}. */
  handler?: BinaryStarHandler;
  /** Requests handled at once. Default 16. */
  concurrency?: number;
  /** Requests waiting for a slot; more are dropped (reason `"overload"`). Default 1000. */
  maxQueued?: number;
  /** Milliseconds a handler may run before its request is dropped and its `signal` aborted; 0 for no limit. Default 10,000. */
  handlerTimeout?: number;
}

/** Why a client request got no reply: core's request-server reasons (`"rejected"`: the node may not serve now). */
export type RequestDropReason = CoreDropReason;

/** Payload of {@link BinaryStarServerEvents} `drop`. */
export interface RequestDropEvent extends CoreDropEvent {
  /** The node's state when it was dropped. */
  readonly state: BinaryStarState;
}

/** Events of {@link BinaryStarServer}: the node's state events, and the request server's. */
export type BinaryStarServerEvents = {
  /** The node's state changed; see the node's `state-change` event. */
  "state-change": [StateChangeEvent];
  /** The node became ACTIVE: this server now serves clients. */
  active: [StateChangeEvent];
  /** The node became PASSIVE: this server now drops client requests. */
  passive: [StateChangeEvent];
  /**
   * Dual actives or dual passives: the server has stopped serving for good.
   * Call `close()` and exit or restart the process (the CLI exits with status 1).
   */
  fatal: [FatalEvent];
  /** The peer announced a new state. */
  "peer-state": [PeerStateEvent];
  /** A client request got no reply. */
  drop: [RequestDropEvent];
  /** A handler threw, rejected or returned something that is not frames. */
  "handler-error": [HandlerErrorEvent];
  /** A handler ran past `handlerTimeout`. */
  "handler-timeout": [HandlerTimeoutEvent];
};

/** Counters of a {@link BinaryStarServer}: the request server's, plus the node's. */
export interface BinaryStarServerStats extends RequestServerStats {
  /** The node's state and counters. */
  node: BinaryStarStats;
}

/**
 * A Binary Star server: a {@link BinaryStar} node plus a ROUTER bound at
 * `bind.frontend` for clients. Each request (`[identity…, ∅, body…]`, as a REQ
 * client sends it) is first put to the node ({@link BinaryStar.admit}, the
 * client vote); if admitted, the handler runs and its reply goes back with
 * the same envelope; if not, the request is dropped unanswered, exactly as
 * the reference does, and the client finds the active server by timing out.
 * Requests are handled concurrently (up to `concurrency`).
 *
 * ```ts
 * const server = new BinaryStarServer({
 *   role: "primary", bind: { frontend: "tcp://*:5001", state: "tcp://*:5003" }, peer: "tcp://backup:5004",
 *   handler: async ([body]) => `echo:${body}`,
 * });
 * server.on("fatal", async () => { await server.close(); process.exit(1); });
 * await server.start();
 * ```
 */
export class BinaryStarServer extends TypedEmitter<BinaryStarServerEvents> {
  /** The pair node; subscribe to it for state-message details. */
  readonly node: BinaryStar;
  private readonly options: BinaryStarServerOptions;
  private readonly life = new Lifecycle("BinaryStarServer");
  private server: RequestServer;

  /** @param options - see {@link BinaryStarServerOptions}. */
  constructor(options: BinaryStarServerOptions) {
    super();
    const { bind } = options;
    if (typeof bind?.frontend !== "string" || typeof bind.state !== "string") throw new InvalidOptionError("bind must be { frontend, state }: two endpoints");
    this.options = options;
    const { role, heartbeatInterval, curve, logger, clock } = options;
    // TODO(integrator): the node's options are being renamed local → bind, remote → peer.
    this.node = new BinaryStar({ role, local: bind.state, remote: options.peer, heartbeatInterval, curve, logger, clock });
    this.server = this.makeServer();
    for (const event of ["state-change", "active", "passive"] as const) this.node.on(event, (e) => this.emit(event, e));
    this.node.on("fatal", (e) => this.emit("fatal", e));
    this.node.on("peer-state", (e) => this.emit("peer-state", e));
  }

  private makeServer(): RequestServer {
    const o = this.options;
    const server = new RequestServer({
      bind: o.bind?.frontend,
      handler: o.handler ?? echoHandler,
      concurrency: o.concurrency,
      maxQueued: o.maxQueued,
      handlerTimeout: o.handlerTimeout,
      admission: this.node,
      curve: o.curve && { secretKey: o.curve.secretKey },
      name: `bstar-server ${o.role} frontend`,
      logger: o.logger,
      clock: o.clock,
    });
    server.on("drop", (e) => this.emit("drop", { ...e, state: this.node.state }));
    server.on("handler-error", (e) => this.emit("handler-error", e));
    server.on("handler-timeout", (e) => this.emit("handler-timeout", e));
    return server;
  }

  /**
   * The frontend's endpoint, for clients (wildcards resolved).
   *
   * @throws `NotStartedError` before {@link BinaryStarServer.start} resolved.
   */
  get endpoint(): string {
    return this.server.endpoint;
  }

  /**
   * Both bound endpoints: `frontend` for clients, `state` for the peer.
   *
   * @throws `NotStartedError` before {@link BinaryStarServer.start} resolved.
   */
  get endpoints(): { frontend: string; state: string } {
    const state = this.node.endpoint;
    if (!state || !this.life.running) throw new NotStartedError("BinaryStarServer.endpoints are known after start()");
    return { frontend: this.server.endpoint, state };
  }

  /** The node's current state. */
  get state(): BinaryStarState {
    return this.node.state;
  }

  /**
   * Binds the frontend, then starts the node. Idempotent.
   *
   * @throws `SocketError` naming the endpoint when a bind or connect fails; `ClosedError` after {@link BinaryStarServer.close}.
   */
  start(): Promise<void> {
    return this.life.start(
      async () => {
        await this.server.start();
        try {
          await this.node.start();
        } catch (err) {
          const address = (err as { address?: unknown }).address;
          const connect = address === this.options.peer;
          throw endpointError(err, connect ? "connect" : "bind", "bstar state", typeof address === "string" ? address : this.options.bind.state);
        }
      },
      async () => {
        await this.server.close();
        this.server = this.makeServer(); // a fresh frontend for the next start()
      },
    );
  }

  /** A snapshot of the counters, with the node's. */
  stats(): BinaryStarServerStats {
    return { ...this.server.stats(), node: this.node.stats() };
  }

  /**
   * Stops taking requests and stops the node (so the peer can take over),
   * lets requests in progress be answered for at most `timeout` ms (default
   * 1000), then drops what is left and closes the frontend, freeing its port.
   * Requests arriving meanwhile are dropped (reason `"closed"`). Idempotent.
   *
   * @param options - `timeout`: the longest drain in ms.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const timeout = options.timeout ?? BINARY_STAR_DEFAULTS.drainTimeout;
    return this.life.close(
      {
        teardown: async () => {
          const frontend = this.server.close({ timeout });
          await this.node.close();
          await frontend;
        },
      },
      0,
    );
  }
}
