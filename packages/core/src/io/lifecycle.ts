/**
 * The lifecycle every role shares: `start()` that is idempotent and can be
 * retried after a failure, and `close({ timeout })` that drains for at most
 * `timeout` ms, then tears down. Roles hold one {@link Lifecycle} and give it
 * their open, drain and teardown steps.
 *
 * @module
 */
import type { Clock } from "../pure/clock.js";
import { systemClock } from "./system-clock.js";
import { ClosedError, SocketError, ZmqReliableError } from "../pure/errors.js";

/** Where a role is in its life. */
export type LifecycleState = "idle" | "starting" | "running" | "closing" | "closed";

/** Options of every role's `close()`. */
export interface CloseOptions {
  /**
   * The longest time (ms) to let work in progress finish (replies in flight,
   * requests a handler is running, queued sends) before what is left is
   * rejected with {@link ClosedError}. Each role documents its default.
   */
  timeout?: number;
}

/** The steps a role gives {@link Lifecycle.close}. */
export interface CloseSteps {
  /** Lets work in progress finish; cut short after the timeout. */
  drain?: () => Promise<void>;
  /** Rejects what is left, closes every socket and cancels every timer. Must not throw. */
  teardown: () => Promise<void>;
}

/**
 * Runs `promise` for at most `ms` ms of `clock` time.
 *
 * @param promise - what to wait for; its rejection counts as done.
 * @param ms - the limit; `Infinity` waits as long as it takes.
 * @param clock - the clock; default the system clock.
 * @returns whether `promise` settled in time.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number, clock: Clock = systemClock): Promise<boolean> {
  if (!Number.isFinite(ms)) {
    await promise.catch(() => {});
    return true;
  }
  let handle: unknown;
  const timedOut = new Promise<boolean>((resolve) => (handle = clock.setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timedOut]);
  } finally {
    clock.clearTimeout(handle);
  }
}

/**
 * One role's lifecycle. `start()` runs the role's open step once: concurrent
 * calls share it, later calls resolve at once; when it fails the role's
 * cleanup runs, the call rejects with a {@link ZmqReliableError} and the next
 * `start()` tries again. `close()` is idempotent and makes later `start()`s
 * reject with {@link ClosedError}.
 */
export class Lifecycle {
  private current: LifecycleState = "idle";
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /**
   * @param name - the role's name, used in error messages (`"MajordomoBroker"`).
   * @param clock - the clock that times `close({ timeout })`.
   */
  constructor(
    readonly name: string,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Where the role is in its life. */
  get state(): LifecycleState {
    return this.current;
  }

  /** Whether `start()` has completed and `close()` has not been called. */
  get running(): boolean {
    return this.current === "running";
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.current === "closing" || this.current === "closed";
  }

  /**
   * Throws {@link ClosedError} once `close()` has been called.
   *
   * @param what - what was attempted, for the message.
   */
  assertOpen(what = "used"): void {
    if (this.closed) throw new ClosedError(`${this.name} is closed and cannot be ${what}`);
  }

  /**
   * Runs `open` unless it already ran or is running.
   *
   * @param open - binds/connects and starts the role's loops.
   * @param cleanup - undoes whatever `open` did before it failed; must not throw.
   * @throws {@link ClosedError} after `close()`; `open`'s error otherwise, as a {@link ZmqReliableError}.
   */
  start(open: () => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`${this.name} is closed and cannot be started`));
    if (this.current === "running") return Promise.resolve();
    this.starting ??= this.run(open, cleanup);
    return this.starting;
  }

  private async run(open: () => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
    this.current = "starting";
    try {
      await open();
    } catch (err) {
      await cleanup();
      this.starting = undefined;
      if (!this.closed) this.current = "idle";
      throw err instanceof ZmqReliableError ? err : new SocketError(`${this.name}: start failed: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
    }
    if (this.closed) return; // closed while starting: close() tears down what open made
    this.current = "running";
  }

  /**
   * Drains for at most `timeout` ms, then tears down. Idempotent: later calls
   * return the first call's promise. Waits for a `start()` in progress first.
   *
   * @param steps - the role's drain and teardown.
   * @param timeout - the drain limit in ms.
   */
  close(steps: CloseSteps, timeout: number): Promise<void> {
    this.closing ??= this.shutdown(steps, timeout);
    return this.closing;
  }

  private async shutdown(steps: CloseSteps, timeout: number): Promise<void> {
    const wasRunning = this.current === "running" || this.current === "starting";
    this.current = "closing";
    await this.starting?.catch(() => {});
    if (wasRunning && steps.drain && timeout > 0) await settlesWithin(steps.drain(), timeout, this.clock);
    await steps.teardown();
    this.current = "closed";
  }
}
