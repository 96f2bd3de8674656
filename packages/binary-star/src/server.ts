/**
 * {@link BinaryStarServer}: a {@link BinaryStar} node plus a client-facing
 * ROUTER and a request handler: the zguide's `bstarsrv2`, generalised.
 *
 * @module
 */
import {
  Channel,
  ClosedError,
  EMPTY,
  NotStartedError,
  type Frame,
  type Logger,
  TypedEmitter,
  bindEphemeral,
  checkNumber,
  createSocket,
  splitEnvelope,
  taggedLogger,
  toBuffers,
} from "@zmq-reliable/core";
import { BINARY_STAR_DEFAULTS } from "./defaults.js";
import type { BinaryStarState } from "./protocol.js";
import {
  BinaryStar,
  type BinaryStarOptions,
  type BinaryStarStats,
  type FatalEvent,
  type PeerStateEvent,
  type StateChangeEvent,
} from "./node.js";

/**
 * Handles one client request and returns the reply: one frame or several,
 * synchronously or as a promise. If it throws or rejects, the client gets no
 * reply (it will retry, possibly at the other server) and the server emits
 * `drop` with reason `"handler-error"`.
 */
export type BinaryStarHandler = (request: Buffer[]) => Frame | readonly Frame[] | Promise<Frame | readonly Frame[]>;

/** The default handler: echo the request body, as the reference server does. */
export const echoHandler: BinaryStarHandler = (request) => request;

/** Options of {@link BinaryStarServer}: those of {@link BinaryStar} plus the frontend and the handler. */
export interface BinaryStarServerOptions extends BinaryStarOptions {
  /** Where to bind the client-facing ROUTER, e.g. `tcp://*:5001`. `tcp://127.0.0.1:*` picks a port (see {@link BinaryStarServer.endpoint}). */
  frontend: string;
  /** The request handler. Default {@link echoHandler}. */
  handler?: BinaryStarHandler;
  /** How long {@link BinaryStarServer.close} waits for requests being handled to be answered. Default 1000 ms. */
  drainTimeout?: number;
}

/** Why a client request got no reply; see {@link BinaryStarServerEvents} `drop`. */
export type RequestDropReason =
  /** The node may not serve now (not active, peer still alive, lone backup, fatal error): dropped as the reference does. */
  | "rejected"
  /** No empty delimiter frame, so there is no envelope to reply to. */
  | "malformed"
  /** The handler threw or rejected. */
  | "handler-error"
  /** The server is closing. */
  | "closing";

/** Payload of {@link BinaryStarServerEvents} `drop`. */
export interface RequestDropEvent {
  /** Why the request got no reply. */
  reason: RequestDropReason;
  /** The node's state when it was dropped. */
  state: BinaryStarState;
  /** The handler's error, for `"handler-error"`. */
  error?: unknown;
}

/** Events of {@link BinaryStarServer}: the node's state events, and dropped requests. */
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
};

/** Counters of a {@link BinaryStarServer}. */
export interface BinaryStarServerStats {
  /** Client requests received. */
  requests: number;
  /** Replies sent. */
  replies: number;
  /** Requests dropped because the node may not serve (see `node.rejected`). */
  rejected: number;
  /** Requests dropped as malformed. */
  malformed: number;
  /** Requests whose handler failed. */
  handlerErrors: number;
  /** Requests being handled right now. */
  inFlight: number;
  /** The node's state and counters. */
  node: BinaryStarStats;
}

/**
 * A Binary Star server: a {@link BinaryStar} node plus a ROUTER bound at
 * `frontend` for clients. Each request (`[identity…, ∅, body…]`, as a REQ
 * client sends it) is first put to the node ({@link BinaryStar.admit}, the
 * client vote); if admitted, the handler runs and its reply goes back with
 * the same envelope; if not, the request is dropped unanswered, exactly as
 * the reference does, and the client finds the active server by timing out.
 * Requests are handled concurrently.
 *
 * ```ts
 * const server = new BinaryStarServer({
 *   role: "primary", frontend: "tcp://*:5001", local: "tcp://*:5003", remote: "tcp://backup:5004",
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
  private readonly handler: BinaryStarHandler;
  private readonly drainTimeout: number;
  private readonly log: Logger;
  private frontend: Channel | undefined;
  private address: string | undefined;
  private bound: string | undefined;
  private started = false;
  private closing: Promise<void> | undefined;
  private readonly pending = new Set<Promise<void>>();
  private counters = { requests: 0, replies: 0, rejected: 0, malformed: 0, handlerErrors: 0 };

  /** @param options - see {@link BinaryStarServerOptions}. */
  constructor(options: BinaryStarServerOptions) {
    super();
    this.options = options;
    this.node = new BinaryStar(options);
    this.handler = options.handler ?? echoHandler;
    this.drainTimeout = checkNumber("drainTimeout", options.drainTimeout ?? BINARY_STAR_DEFAULTS.drainTimeout);
    this.log = taggedLogger(options.logger, `bstar-server ${options.role}`);
    this.node.on("state-change", (e) => this.emit("state-change", e));
    this.node.on("active", (e) => this.emit("active", e));
    this.node.on("passive", (e) => this.emit("passive", e));
    this.node.on("fatal", (e) => this.emit("fatal", e));
    this.node.on("peer-state", (e) => this.emit("peer-state", e));
  }

  /** The frontend's bound endpoint (with the real port), once started. */
  get endpoint(): string | undefined {
    return this.address;
  }

  /**
   * The frontend's endpoint as bound (its `lastEndpoint`: `tcp://0.0.0.0:5001`
   * for `tcp://*:5001`), for logs and start lines.
   *
   * @throws `NotStartedError` before {@link BinaryStarServer.start} bound it.
   */
  get boundEndpoint(): string {
    if (this.bound === undefined) throw new NotStartedError("BinaryStarServer.boundEndpoint is known after start()");
    return this.bound;
  }

  /** The node's current state. */
  get state(): BinaryStarStats["state"] {
    return this.node.state;
  }

  /**
   * Starts the node, then binds the frontend.
   *
   * @throws `ClosedError` after {@link BinaryStarServer.close}; zeromq errors when binding fails.
   */
  async start(): Promise<void> {
    if (this.closing) throw new ClosedError("BinaryStarServer is closed");
    if (this.started) return;
    this.started = true;
    await this.node.start();
    const frontend = new Channel(createSocket("router", { curve: this.options.curve && { secretKey: this.options.curve.secretKey } }), {
      name: "bstar frontend",
      onError: (error) => this.log.warn?.(error.message),
    });
    this.frontend = frontend;
    try {
      this.address = await bindEphemeral(frontend.socket, this.options.frontend);
      this.bound = frontend.socket.lastEndpoint ?? this.address;
    } catch (err) {
      const closedMeanwhile = this.closing !== undefined;
      await this.close();
      if (closedMeanwhile) return;
      throw err;
    }
    if (this.closing) return;
    frontend.listen((message) => this.onRequest(message));
    this.log.info?.(`serving clients on ${this.address}`);
  }

  /** A snapshot of the counters, with the node's. */
  stats(): BinaryStarServerStats {
    return { ...this.counters, inFlight: this.pending.size, node: this.node.stats() };
  }

  /**
   * Stops the node (so the peer can take over), waits up to `drainTimeout`
   * for requests being handled to be answered, then closes the frontend.
   * Requests arriving meanwhile are dropped. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.node.close();
    if (this.pending.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.drainTimeout))),
      ]);
      clearTimeout(timer);
    }
    await this.frontend?.close();
  }

  private drop(reason: RequestDropReason, error?: unknown): void {
    if (this.hasListeners("drop")) this.emit("drop", { reason, state: this.node.state, error });
  }

  private onRequest(message: Buffer[]): void {
    this.counters.requests++;
    const split = splitEnvelope(message);
    if (!split || split.envelope.length === 0) {
      this.counters.malformed++;
      this.log.debug?.("dropped a request without envelope delimiter");
      this.drop("malformed");
      return;
    }
    if (this.closing) {
      this.drop("closing");
      return;
    }
    if (!this.node.admit({})) {
      this.counters.rejected++;
      this.log.debug?.(`dropped a request in state ${this.node.state}`);
      this.drop("rejected");
      return;
    }
    const task = this.handle(split.envelope, split.body);
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  private async handle(envelope: Buffer[], body: Buffer[]): Promise<void> {
    let reply: Frame | readonly Frame[];
    try {
      reply = await this.handler(body);
    } catch (error) {
      this.counters.handlerErrors++;
      this.log.warn?.(`handler failed: ${(error as Error)?.message ?? String(error)}`);
      this.drop("handler-error", error);
      return;
    }
    const frontend = this.frontend;
    if (!frontend || frontend.closed) return;
    frontend.post([...envelope, EMPTY, ...toBuffers(reply as Frame | Frame[])]);
    this.counters.replies++;
  }
}
