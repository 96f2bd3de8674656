/**
 * Time as the protocol state machines see it. Production code uses
 * {@link systemClock}; tests use `FakeClock` from `@zmq-reliable/core/testing`.
 *
 * @module
 */

/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** A monotonic millisecond clock with one-shot timers. */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time). */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer created by {@link Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * A re-armable one-shot timer on a {@link Clock}. Arming it again replaces the
 * previous deadline, so a role keeps exactly one pending wake-up.
 *
 * Re-arming is lazy: while the underlying clock timer fires no later than the
 * new deadline it is kept, and when it fires early it re-arms itself for the
 * deadline then; disarming with `at(Infinity)` keeps it too, and it fires into
 * nothing. A client whose every request moves the deadline later (and clears
 * it on the reply) so costs one clock timer per timeout period, not one
 * `setTimeout`/`clearTimeout` pair per request. {@link Timer.cancel} clears
 * the clock timer at once (use it on close, so the process can exit).
 */
export class Timer {
  private handle: TimerHandle | undefined;
  /** When the clock timer in `handle` fires. */
  private firesAt = Number.POSITIVE_INFINITY;
  private dueAt = Number.POSITIVE_INFINITY;

  /**
   * @param clock - the clock to schedule on.
   * @param callback - what to run when the timer fires.
   */
  constructor(
    private readonly clock: Clock,
    private readonly callback: () => void,
  ) {}

  /** The absolute time the timer fires at, or `Infinity` when idle. */
  get deadline(): number {
    return this.dueAt;
  }

  /** Whether the timer is armed (has a finite deadline). */
  get pending(): boolean {
    return this.dueAt !== Number.POSITIVE_INFINITY;
  }

  /**
   * Arms the timer to fire at absolute time `at` (clock time), replacing any
   * earlier arming. `Infinity` disarms it (lazily; see the class comment).
   *
   * @param at - absolute clock time.
   */
  at(at: number): void {
    this.dueAt = Number.isFinite(at) ? at : Number.POSITIVE_INFINITY;
    if (this.handle !== undefined && this.firesAt <= this.dueAt) return; // fires first; re-arms then if needed
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    if (this.dueAt === Number.POSITIVE_INFINITY) return;
    this.firesAt = at;
    this.handle = this.clock.setTimeout(() => this.fire(), at - this.clock.now());
  }

  /**
   * Arms the timer to fire `ms` milliseconds from now.
   *
   * @param ms - delay in milliseconds.
   */
  after(ms: number): void {
    this.at(this.clock.now() + ms);
  }

  /** Disarms the timer and clears the clock timer at once. */
  cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.dueAt = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    this.handle = undefined;
    const due = this.dueAt;
    if (due === Number.POSITIVE_INFINITY) return; // disarmed since
    if (this.clock.now() < due) return this.at(due); // armed later since, or clamped by MAX_TIMER_DELAY: not due yet
    this.dueAt = Number.POSITIVE_INFINITY;
    this.callback();
  }
}

/**
 * The longest delay Node's `setTimeout` takes (2^31 - 1 ms, about 24.8 days);
 * a longer one would fire after 1 ms with a `TimeoutOverflowWarning`.
 * {@link systemClock} clamps to it: a timer due later fires early, and a
 * {@link Timer} or {@link Driver} re-arms it.
 */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;
