/**
 * Helpers for calls that wait: `AbortSignal` handling and clock-driven sleeps.
 *
 * @module
 */
import type { Clock } from "../pure/clock.js";
import { systemClock } from "./system-clock.js";
import { AbortError } from "../pure/errors.js";

/**
 * Resolves after `ms` on `clock`, or rejects with {@link AbortError} as soon as
 * `signal` aborts.
 *
 * @param ms - delay in milliseconds.
 * @param options - optional signal and clock.
 */
export function sleep(ms: number, options: { signal?: AbortSignal; clock?: Clock } = {}): Promise<void> {
  const clock = options.clock ?? systemClock;
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError(undefined, { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(new AbortError(undefined, { cause: signal?.reason }));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Registers `onAbort` on `signal` and returns a function that unregisters it.
 * A no-op when there is no signal.
 *
 * @param signal - the caller's signal, if any.
 * @param onAbort - called once when the signal aborts.
 */
export function onAbort(signal: AbortSignal | undefined, onAbort: (reason: unknown) => void): () => void {
  if (!signal) return () => {};
  const listener = () => onAbort(signal.reason);
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}
