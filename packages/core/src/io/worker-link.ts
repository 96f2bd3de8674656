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
import type * as zmq from "zeromq";
import type { Clock } from "../pure/clock.js";
import { systemClock } from "./system-clock.js";
import { ClosedError, type ZmqReliableError } from "../pure/errors.js";
import { describeFrame, type Frame, replyFrames } from "../pure/frames.js";
import type { Logger } from "../pure/logger.js";
import type { Machine } from "../pure/machine.js";
import { WorkerLinkState } from "../machines/worker-link.js";
import type {
  LinkEvents,
  LinkJob,
  LinkMessage,
  LinkPhase,
  WorkerLinkAction,
  WorkerLinkInput,
  WorkerLinkOptions,
  WorkerLinkStats,
} from "../machines/worker-link-types.js";
import type { CurveClientOptions } from "../security/curve.js";
import { Channel } from "./channel.js";
import { Driver } from "./driver.js";
import { connectEndpoint } from "./endpoints.js";
import { Lifecycle } from "./lifecycle.js";
import { createSocket } from "./socket.js";

/** Options of {@link WorkerLink}: the machine's, plus what the shell needs. */
export interface WorkerLinkShellOptions<R, D extends string> extends WorkerLinkOptions<R, D> {
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
  /** CURVE: the peer's public key and this worker's key pair. */
  curve?: CurveClientOptions;
  /** Clock for heartbeats, back-off and the close timeout; default the system clock. */
  clock?: Clock;
  /** Where to log (already tagged); nothing is logged without it. */
  logger?: Logger;
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
  private readonly channels = new Map<string, Channel<zmq.Dealer>>();
  private readonly hangups = new Set<Promise<void>>();
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
        await this.closeChannels();
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
          await this.settleHangups();
        },
        teardown: async () => {
          this.driver?.feed({ type: "close" });
          this.driver?.feed({ type: "abandon" });
          for (const controller of this.running.values()) controller.abort(new ClosedError(`${this.options.name} closed before the handler finished`));
          this.running.clear();
          await this.settleHangups();
          this.driver?.close();
          await this.closeChannels();
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
        this.log.info?.(`connected to ${String(e.endpoint)} (attempt ${String(e.attempt)})`);
        break;
      case "expire":
        this.log.warn?.(`${String(e.endpoint)} silent for ${Math.round(e.silentFor as number)} ms`);
        break;
      case "disconnect":
        if (e.reason === "close") this.log.info?.(`disconnected from ${String(e.endpoint)}`);
        else this.log.warn?.(`connection to ${String(e.endpoint)} ended (${String(e.reason)}); reconnecting in ${Math.round(e.reconnectIn as number)} ms`);
        break;
      case "drop":
        this.log.debug?.(`dropped (${String(e.reason)})${e.detail ? ` ${String(e.detail)}` : ""} from ${String(e.endpoint)}`);
        break;
    }
    this.options.emit(event as keyof LinkEvents<D> & string, ...args);
  }

  private perform(action: WorkerLinkAction<R, D>): void {
    switch (action.type) {
      case "connect":
        return this.connect(action);
      case "hangup":
        return this.hangup(action.channel, action.final);
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
    const { line, connection, endpoint, channel: name } = action;
    const socketOptions: Record<string, unknown> = { curve: this.options.curve };
    if (this.options.sendTimeout !== undefined) socketOptions.sendTimeout = this.options.sendTimeout;
    const socket = createSocket("dealer", socketOptions);
    try {
      connectEndpoint(socket, endpoint, this.options.what);
    } catch (err) {
      socket.close();
      const error = err as ZmqReliableError;
      this.connectError ??= error;
      this.unconnected = true; // the ready event that follows is not true
      this.log.error?.(error.message);
      this.driver?.feed({ type: "socket-error", line, connection, error });
      return;
    }
    this.unconnected = false;
    const channel = new Channel(socket, {
      name: `${this.options.what} (${endpoint})`,
      onError: (error) => this.onChannelError(line, connection, error),
    });
    this.channels.set(name, channel);
    const log = this.log;
    this.driver!.attach<LinkMessage>(name, channel, {
      decode: (frames) => {
        if (log.debug) log.debug(`${endpoint} → ${frames.map((f) => describeFrame(f)).join(" | ")}`);
        return { connection, frames };
      },
    });
  }

  private onChannelError(line: number, connection: number, error: ZmqReliableError): void {
    if (error.code === "ERR_CLOSED") return;
    if (error.code === "ERR_BACKPRESSURE") {
      // The peer is not reading (gone?): the heartbeat check will notice.
      this.log.debug?.(`send dropped: ${error.message}`);
      return;
    }
    this.log.warn?.(`socket error: ${error.message}`);
    this.driver?.feed({ type: "socket-error", line, connection, error });
  }

  private hangup(name: string, final: boolean): void {
    const channel = this.channels.get(name);
    this.channels.delete(name);
    this.driver?.detach(name);
    if (!channel) return;
    const linger = this.options.closeLinger;
    const closing = final ? channel.close({ flush: linger, linger }) : channel.close();
    this.hangups.add(closing);
    void closing.finally(() => this.hangups.delete(closing));
  }

  private run(job: LinkJob<R>): void {
    const controller = new AbortController();
    this.running.set(job.id, controller);
    const finish = (reply: Frame[] | undefined, error: unknown) => {
      if (this.running.get(job.id) !== controller) return; // abandoned
      this.running.delete(job.id);
      if (reply === undefined) this.log.warn?.(`handler failed: ${error instanceof Error ? error.message : String(error)}`);
      this.driver?.feed(reply === undefined ? { type: "done", job: job.id, error } : { type: "done", job: job.id, reply });
    };
    const settle = (value: unknown) => {
      let frames: Frame[];
      try {
        frames = replyFrames(value);
      } catch (err) {
        return finish(undefined, err);
      }
      finish(frames, undefined);
    };
    let result: unknown;
    try {
      result = this.options.handle(job, controller.signal);
    } catch (err) {
      return finish(undefined, err);
    }
    if (isThenable(result)) result.then(settle, (err: unknown) => finish(undefined, err));
    else settle(result);
  }

  private async settleHangups(): Promise<void> {
    while (this.hangups.size > 0) await Promise.all([...this.hangups]);
  }

  private async closeChannels(): Promise<void> {
    const open = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(open.map((c) => c.close()));
    await this.settleHangups();
  }
}

/** The driver's view of an action: a record (interfaces lack the index signature it asks for). */
type Indexed<A> = A & { readonly [key: string]: unknown };

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}
