import { setTimeout as delay } from "node:timers/promises";
import { TimeoutError } from "../pure/errors.js";

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Deadline in ms; default 5000. */
  timeout?: number;
  /** Polling period in ms; default 5. */
  interval?: number;
  /** Text for the timeout error. */
  message?: string;
}

/**
 * Polls `condition` until it returns a truthy value and resolves with it, or
 * rejects with {@link TimeoutError} at the deadline. Tests wait on conditions
 * like this, never on bare sleeps.
 *
 * @param condition - sync or async predicate.
 * @param options - deadline and polling period.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeout = options.timeout ?? 5000;
  const interval = options.interval ?? 5;
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (performance.now() >= deadline) {
      throw new TimeoutError(options.message ?? `Condition not met within ${timeout} ms`);
    }
    await delay(interval);
  }
}
