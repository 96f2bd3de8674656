/**
 * The real clock: `performance.now()` and Node's timers, behind the
 * {@link Clock} interface that machines and tests see.
 *
 * @module
 */
import { type Clock, MAX_TIMER_DELAY } from "../pure/clock.js";

/** The real clock: `performance.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(MAX_TIMER_DELAY, Math.max(0, ms))),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
