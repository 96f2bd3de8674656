/**
 * A handler for tests of concurrency: it holds every call until released,
 * counting how many it holds at once, so a test asserts overlap by what the
 * handlers saw, never by wall-clock time.
 *
 * @module
 */

/** What {@link heldHandler} returns: the handler and its gauges. */
export interface HeldHandler<A extends unknown[], T> {
  /** The handler: counts the call, waits for {@link HeldHandler.release}, then answers. */
  handler: (...args: A) => Promise<T>;
  /** Calls being held right now. */
  readonly running: number;
  /** The most calls held at once so far. */
  readonly most: number;
  /** Lets every held call (and every later one) answer. */
  release(): void;
}

/**
 * Makes a {@link HeldHandler}.
 *
 * @param answer - what a call answers once released, from its arguments.
 */
export function heldHandler<A extends unknown[], T>(answer: (...args: A) => T): HeldHandler<A, T> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let running = 0;
  let most = 0;
  return {
    handler: async (...args: A) => {
      most = Math.max(most, ++running);
      try {
        await gate;
        return answer(...args);
      } finally {
        running--;
      }
    },
    get running() {
      return running;
    },
    get most() {
      return most;
    },
    release,
  };
}

/**
 * Wraps a handler so that the first call whose first frame reads `marker`
 * throws, once; every other call (the same request handed again included)
 * goes to `handler`. For tests of what one failed handler does to the other
 * requests a worker holds.
 *
 * @param marker - the first frame that fails, the first time.
 * @param handler - what answers every other call.
 */
export function failingOnce<T>(marker: string, handler: (body: Buffer[]) => T): (body: Buffer[]) => T {
  let failed = false;
  return (body) => {
    if (!failed && String(body[0]) === marker) {
      failed = true;
      throw new Error(`${marker}: failing once, as the test asked`);
    }
    return handler(body);
  };
}
