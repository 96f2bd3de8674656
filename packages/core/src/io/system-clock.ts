/**
 * The real clock: `performance.now()` and Node's timers, behind the
 * {@link Clock} interface that machines and tests see.
 *
 * @module
 */
import type { Clock } from "../pure/clock.js";

/**
 * The longest delay Node's `setTimeout` takes (2^31 - 1 ms, about 24.8 days);
 * a longer one would fire after 1 ms with a `TimeoutOverflowWarning`.
 * {@link systemClock} clamps to it: a timer due later fires early, and a
 * {@link Timer} or {@link Driver} re-arms it.
 */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** The real clock: `performance.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(MAX_TIMER_DELAY, Math.max(0, ms))),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
