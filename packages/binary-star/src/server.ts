/**
 * {@link BinaryStarServer}: a {@link BinaryStar} node plus core's
 * {@link RequestServer} for clients, with the node as its admission hook: the
 * zguide's `bstarsrv2`, generalised.
 *
 * @module
 */
import { type CloseOptions, endpointError, InvalidOptionError, Lifecycle, NotStartedError, pickRequestServerLimits, RequestServer, TypedEmitter } from "@zmq-reliable/core";
import { BINARY_STAR_DEFAULTS } from "./defaults.js";
import { BinaryStar } from "./node.js";
import type { BinaryStarState } from "./protocol.js";
import { type BinaryStarServerEvents, type BinaryStarServerOptions, type BinaryStarServerStats, echoHandler } from "./server-options.js";

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
    const { role, heartbeatInterval, liveness, curve, logger, clock } = options;
    this.node = new BinaryStar({ role, bind: bind.state, peer: options.peer, heartbeatInterval, liveness, curve, logger, clock });
    this.server = this.makeServer();
    for (const event of ["state-change", "active", "passive"] as const) this.node.on(event, (e) => this.emit(event, e));
    this.node.on("fatal", (e) => this.emit("fatal", e));
    this.node.on("peer-state", (e) => this.emit("peer-state", e));
  }

  private makeServer(): RequestServer {
    const o = this.options;
    const server = new RequestServer({
      ...pickRequestServerLimits(o),
      bind: o.bind.frontend,
      handler: o.handler ?? echoHandler,
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
  get endpoints(): {
    /** The frontend, for clients. */
    frontend: string;
    /** The state PUB, for the peer. */
    state: string;
  } {
    const state = this.node.endpoint;
    if (!state || !this.life.running) throw new NotStartedError("BinaryStarServer.endpoints are known after start()");
    return { frontend: this.server.endpoint, state };
  }

  /**
   * Both endpoints as bound (`tcp://0.0.0.0:5001` for `tcp://*:5001`): what a CLI prints.
   *
   * @throws `NotStartedError` before {@link BinaryStarServer.start} resolved.
   */
  get boundEndpoints(): {
    /** The frontend, for clients. */
    frontend: string;
    /** The state PUB, for the peer. */
    state: string;
  } {
    if (!this.life.running) throw new NotStartedError("BinaryStarServer.boundEndpoints are known after start()");
    return { frontend: this.server.boundEndpoint, state: this.node.boundEndpoint };
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
