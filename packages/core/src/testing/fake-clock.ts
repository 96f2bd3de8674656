import type { Clock, TimerHandle } from "../pure/clock.js";

interface FakeTimer {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * A {@link Clock} whose time moves only when the test says so. Timers fire in
 * deadline order (ties in creation order) during {@link FakeClock.advance}.
 *
 * ```ts
 * const clock = new FakeClock();
 * const timer = new Timer(clock, () => fired++);
 * timer.after(100);
 * clock.advance(99); // fired === 0
 * clock.advance(1);  // fired === 1
 * ```
 */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  /** @param start - the initial time in ms; default 0. */
  constructor(start = 0) {
    this.time = start;
  }

  /** The current fake time. */
  now(): number {
    return this.time;
  }

  /** Schedules `callback` at `now() + ms`. */
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), callback };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
    return timer.id;
  }

  /** Cancels a timer. */
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Number of pending timers. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** The deadline of the earliest pending timer, or `Infinity`. */
  nextDeadline(): number {
    return this.timers[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way
   * (including timers those callbacks schedule within the window).
   *
   * @param ms - milliseconds to advance.
   */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.time = next.at;
      next.callback();
    }
    this.time = target;
  }

  /** Advances to the earliest pending timer and fires it; returns `false` when none is pending. */
  runNext(): boolean {
    const next = this.timers[0];
    if (!next) return false;
    this.advance(next.at - this.time);
    return true;
  }
}
