/**
 * The shell of the worker link: runs a {@link WorkerLinkState} over DEALER
 * {@link Channel}s with the {@link Driver}, runs the role's handler on each
 * request, and gives the role its `start()` / `close({ timeout })` through a
 * {@link Lifecycle}. A worker role (6/PPP, 7/MDP) is its wire, its options and
 * one of these.
 *
 * - `connect` actions open a fresh DEALER (a fresh identity), connect it with
 *   {@link connectEndpoint} and attach it to the driver, replacing the line's
 *   old socket; a connect failure rejects `start()` with a `SocketError`
 *   naming the endpoint (later, it is a `socket-error` and the line backs off).
 * - `hangup` closes the line's socket; on close (`final`), the last reply and
 *   the DISCONNECT are flushed first and the socket lingers `closeLinger` ms.
 * - `handle` runs the handler with an `AbortSignal` that aborts when closing
 *   gives up on it; its result goes through {@link replyFrames}.
 *
 * @module
 */
import { systemClock } from "./system-clock.js";
import { ClosedError, type ZmqReliableError } from "../pure/errors.js";
import type { Clock } from "../pure/clock.js";
import type { Logger } from "../pure/logger.js";
import { escapeForLog } from "../pure/log-escape.js";
import type { Machine } from "../pure/machine.js";
import { WorkerLinkState } from "../machines/worker-link.js";
import type { LinkEvents, LinkJob, LinkPhase, WorkerLinkAction, WorkerLinkInput, WorkerLinkOptions, WorkerLinkStats } from "../machines/worker-link-types.js";
import { Driver } from "./driver.js";
import { Lifecycle } from "./lifecycle.js";
import { LinkSockets, runHandler } from "./worker-link-sockets.js";
import type { WorkerRoleOptions } from "./worker-role.js";

/** Options of {@link WorkerLink}: the machine's, plus what the shell needs. */
export interface WorkerLinkShellOptions<R, D extends string> extends WorkerLinkOptions<R, D>, WorkerRoleOptions {
  /** The role's name, for error messages (`"ParanoidPirateWorker"`). */
  name: string;
  /** The socket's role, for `SocketError` messages (`"ppp worker"`). */
  what: string;
  /** Runs the handler on a job; returns its result (or a promise of it). */
  handle: (job: LinkJob<R>, signal: AbortSignal) => unknown;
  /** Emits one of the role's link events. */
  emit: (event: keyof LinkEvents<D> & string, ...args: unknown[]) => void;
  /** On close, how long (ms) the last messages may take to leave: flush wait and socket linger. */
  closeLinger: number;
  /** `sendTimeout` of each DEALER (`0`: a send to a gone peer fails at once); default zeromq's. */
  sendTimeout?: number;
}

/**
 * Runs one worker link; see the module comment. Roles hold one and forward
 * its events.
 */
export class WorkerLink<R, D extends string> {
  private readonly options: WorkerLinkShellOptions<R, D>;
  private readonly life: Lifecycle;
  private readonly clock: Clock;
  private readonly log: Logger;
  private machine: WorkerLinkState<R, D>;
  private driver: Driver<WorkerLinkInput, Indexed<WorkerLinkAction<R, D>>> | undefined;
  private readonly sockets: LinkSockets;
  private readonly running = new Map<number, AbortController>();
  private connectError: ZmqReliableError | undefined;
  private unconnected = false;
  private onClosed: (() => void) | undefined;
  private readonly closedP: Promise<void>;

  /**
   * @param options - see {@link WorkerLinkShellOptions}.
   * @throws {@link InvalidOptionError} for bad heartbeat, liveness or back-off settings.
   */
  constructor(options: WorkerLinkShellOptions<R, D>) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? {};
    this.life = new Lifecycle(options.name, this.clock);
    this.sockets = new LinkSockets({ ...options, log: this.log, onSocketError: (line, connection, error) => this.driver?.feed({ type: "socket-error", line, connection, error }) });
    this.machine = new WorkerLinkState(options, this.clock.now());
    this.closedP = new Promise<void>((resolve) => (this.onClosed = resolve));
  }

  /** The machine (for its phase, counters and endpoints). */
  get state(): WorkerLinkState<R, D> {
    return this.machine;
  }

  /** Where the link is in its life (`closed` once `close()` has finished, even if it never started). */
  get phase(): LinkPhase {
    return this.life.state === "closed" ? "closed" : this.machine.phase;
  }

  /** A snapshot of the counters. */
  stats(): WorkerLinkStats<D> {
    return this.machine.stats();
  }

  /**
   * Opens every line's first connection and sends READY. Idempotent; after a
   * failure (an endpoint that cannot be connected) it can be retried.
   *
   * @throws `SocketError` naming the endpoint that could not be connected; `ClosedError` after close.
   */
  start(): Promise<void> {
    return this.life.start(
      async () => {
        this.connectError = undefined;
        const machine = this.machine as Machine<WorkerLinkInput, Indexed<WorkerLinkAction<R, D>>>;
        this.driver = new Driver(machine, {
          clock: this.clock,
          emit: (event, ...args) => this.onEvent(event, args),
          perform: (action) => this.perform(action),
          onError: (error) => this.log.debug?.(error.message),
        });
        this.driver.feed({ type: "start" });
        if (this.connectError) throw this.connectError;
      },
      async () => {
        this.driver?.close();
        this.driver = undefined;
        await this.sockets.closeAll();
        this.machine = new WorkerLinkState(this.options, this.clock.now()); // a retry starts afresh
      },
    );
  }

  /**
   * Stops taking requests, lets the one in hand finish and sends its reply,
   * says goodbye where the wire has one and closes every socket. Past
   * `timeout` ms the request in hand is abandoned (a `drop` with reason
   * `closing`; its signal aborts). Idempotent.
   *
   * @param timeout - ms to wait for the request in hand; `Infinity` waits as long as it takes.
   */
  close(timeout: number): Promise<void> {
    return this.life.close(
      {
        drain: async () => {
          this.driver?.feed({ type: "close" });
          await this.closedP;
          await this.sockets.settle();
        },
        teardown: async () => {
          this.driver?.feed({ type: "close" });
          this.driver?.feed({ type: "abandon" });
          for (const controller of this.running.values()) controller.abort(new ClosedError(`${this.options.name} closed before the handler finished`));
          this.running.clear();
          await this.sockets.settle();
          this.driver?.close();
          await this.sockets.closeAll();
        },
      },
      timeout,
    );
  }

  private onEvent(event: string, args: unknown[]): void {
    if (this.connectError && this.life.state === "starting") return; // start() is failing: nothing happened
    const e = args[0] as Record<string, unknown>;
    switch (event) {
      case "ready":
        if (this.unconnected) return;
        this.log.info?.({ endpoint: String(e.endpoint), attempt: e.attempt }, `connected to ${String(e.endpoint)} (attempt ${String(e.attempt)})`);
        break;
      case "expire":
        this.log.warn?.({ endpoint: String(e.endpoint), reason: "expire" }, `${String(e.endpoint)} silent for ${Math.round(e.silentFor as number)} ms`);
        break;
      case "disconnect":
        if (e.reason === "close") this.log.info?.({ endpoint: String(e.endpoint), reason: "close" }, `disconnected from ${String(e.endpoint)}`);
        else this.log.warn?.({ endpoint: String(e.endpoint), reason: String(e.reason) }, `connection to ${String(e.endpoint)} ended (${String(e.reason)}); reconnecting in ${Math.round(e.reconnectIn as number)} ms`);
        break;
      case "drop":
        this.log.debug?.({ endpoint: String(e.endpoint), reason: String(e.reason) }, `dropped (${String(e.reason)})${e.detail ? ` ${escapeForLog(String(e.detail))}` : ""} from ${String(e.endpoint)}`);
        break;
    }
    this.options.emit(event as keyof LinkEvents<D> & string, ...args);
  }

  private perform(action: WorkerLinkAction<R, D>): void {
    switch (action.type) {
      case "connect":
        return this.connect(action);
      case "hangup":
        return this.sockets.hangup(action.channel, action.final, this.driver);
      case "handle":
        return this.run(action.job);
      case "abort":
        this.running.get(action.job)?.abort(new ClosedError(`${this.options.name} closed before the handler finished`));
        this.running.delete(action.job);
        return;
      case "closed":
        this.onClosed?.();
        return;
    }
  }

  private connect(action: Extract<WorkerLinkAction<R, D>, { type: "connect" }>): void {
    const error = this.sockets.open(action, this.driver!);
    this.unconnected = error !== undefined; // the ready event that follows is not true
    if (!error) return;
    this.connectError ??= error;
    this.log.error?.({ endpoint: action.endpoint, reason: error.code }, error.message);
    this.driver?.feed({ type: "socket-error", line: action.line, connection: action.connection, error });
  }

  private run(job: LinkJob<R>): void {
    const controller = new AbortController();
    this.running.set(job.id, controller);
    runHandler(
      () => this.options.handle(job, controller.signal),
      (reply, error) => {
        if (this.running.get(job.id) !== controller) return; // abandoned
        this.running.delete(job.id);
        if (reply === undefined) this.log.warn?.({ reason: "handler-error" }, `handler failed: ${escapeForLog(error instanceof Error ? error.message : String(error))}`);
        this.driver?.feed(reply === undefined ? { type: "done", job: job.id, error } : { type: "done", job: job.id, reply });
      },
    );
  }
}

/** The driver's view of an action: a record (interfaces lack the index signature it asks for). */
type Indexed<A> = A & { readonly [key: string]: unknown };
