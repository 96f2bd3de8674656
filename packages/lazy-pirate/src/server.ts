/**
 * The Lazy Pirate server: core's {@link RequestServer} (a REP-equivalent
 * server over a ROUTER, so a slow or hung handler never blocks the requests
 * behind it) plus deliberate fault injection.
 *
 * @module
 */
import { type CloseOptions, type Logger, type ReplyDecision, RequestServer, TypedEmitter, taggedLogger } from "@zmq-reliable/core";
import { type FaultDecision, FaultPlan } from "./faults.js";
import type { LazyPirateServerEvents, LazyPirateServerOptions, LazyPirateServerStats } from "./server-options.js";

/**
 * A REP-equivalent server with an async handler, for Lazy Pirate clients and
 * plain REQ clients alike (core's {@link RequestServer}: byte for byte what a
 * REP socket sends, up to `concurrency` requests at once):
 *
 * - a handler that throws or rejects: no reply (event `handler-error`); the
 *   client sees a timeout and retries (and gives up if it keeps failing);
 * - a handler that hangs: after `handlerTimeout` ms the request is dropped
 *   (event `handler-timeout`, the handler's `signal` aborts) and its slot is
 *   freed; the client has retried on its own timeout meanwhile; a result
 *   that comes later is ignored;
 * - a handler that returns `[]` or `undefined`: a reply with one empty frame.
 *
 * ```ts
 * const server = new LazyPirateServer({ bind: "tcp://*:5555", handler: (frames) => frames });
 * await server.start();
 * ```
 */
export class LazyPirateServer extends TypedEmitter<LazyPirateServerEvents> {
  private readonly server: RequestServer<"fault" | "crash">;
  private readonly faults: FaultPlan;
  private readonly log: Logger;
  private readonly pending = new Map<number, FaultDecision>();
  private hasCrashed = false;
  private injectedFaults = 0;

  /**
   * @param options - see {@link LazyPirateServerOptions}.
   * @throws `InvalidOptionError` for an option out of range or a bad CURVE key.
   */
  constructor(options: LazyPirateServerOptions) {
    super();
    this.faults = new FaultPlan(options.faults);
    this.log = taggedLogger(options.logger, "lazy-pirate server");
    const { faults: _faults, ...rest } = options;
    const hooks = this.faults.active ? { arrive: (r: number) => this.arrive(r), reply: (r: number) => this.replyFault(r) } : undefined;
    this.server = new RequestServer({ ...rest, name: "lazy-pirate server", hooks });
    this.server.on("handler-error", (e) => this.emit("handler-error", e));
    this.server.on("handler-timeout", (e) => this.emit("handler-timeout", e));
    this.server.on("error", (e) => this.emit("error", e));
    this.server.on("drop", (e) => {
      if (e.request !== undefined) this.pending.delete(e.request);
      this.emit("drop", this.hasCrashed && e.reason === "closed" ? { ...e, reason: "crash" } : e);
    });
  }

  /**
   * The endpoint clients connect to (wildcards resolved).
   *
   * @throws `NotStartedError` before {@link LazyPirateServer.start} resolved.
   */
  get endpoint(): string {
    return this.server.endpoint;
  }

  /** Whether {@link LazyPirateServer.close} was called (or a crash was injected). */
  get closed(): boolean {
    return this.server.closed;
  }

  /** Whether an injected crash closed the server. */
  get crashed(): boolean {
    return this.hasCrashed;
  }

  /** The seed of the fault generator, for replaying a run. */
  get faultSeed(): number {
    return this.faults.seed;
  }

  /** A snapshot of the counters. */
  stats(): LazyPirateServerStats {
    return { ...this.server.stats(), faults: this.injectedFaults };
  }

  /**
   * Binds the endpoint and starts serving. Resolves once bound; the real
   * endpoint is then in {@link LazyPirateServer.endpoint}. Idempotent, and
   * can be called again after a failure.
   *
   * @throws `SocketError` naming the endpoint when it cannot be bound (e.g. `EADDRINUSE`);
   *   `ClosedError` after close.
   */
  start(): Promise<void> {
    return this.server.start();
  }

  /**
   * Stops serving: lets requests in progress be answered for at most
   * `timeout` ms (default 0), then drops what is left (their handlers' signals
   * abort; results that come later are ignored); replies already computed
   * are handed to zeromq first; then the socket closes and every timer is
   * cancelled. Resolves once the port is free again, so a new server can bind
   * the same endpoint at once. Idempotent.
   *
   * @param options - `timeout`: the longest drain in ms.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.server.close(options);
  }

  private arrive(request: number): "crash" | undefined {
    const decision = this.faults.decide(request);
    if (decision.crash) {
      this.injectedFaults++;
      this.hasCrashed = true;
      this.log.warn?.({ reason: "crash", request }, `request ${request}: injected crash`);
      this.emit("fault", { kind: "crash", request });
      void this.server.close();
      return "crash";
    }
    if (decision.dropReply || decision.delay > 0) this.pending.set(request, decision);
    return undefined;
  }

  private replyFault(request: number): ReplyDecision<"fault"> {
    const decision = this.pending.get(request);
    if (!decision) return undefined;
    this.pending.delete(request);
    if (decision.dropReply) {
      this.injected(request, "drop-reply");
      return { drop: "fault" };
    }
    this.injected(request, "delay", decision.delay);
    return { delay: decision.delay };
  }

  private injected(request: number, kind: "drop-reply" | "delay", delay?: number): void {
    this.injectedFaults++;
    this.log.debug?.({ reason: kind, request }, `request ${request}: injected ${kind}`);
    if (this.hasListeners("fault")) this.emit("fault", kind === "delay" ? { kind, request, delay } : { kind, request });
  }
}
