/**
 * Typed events: a thin typed layer over Node's `EventEmitter`, and a helper
 * that waits for one event with a deadline and an `AbortSignal`.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { AbortError, TimeoutError } from "../pure/errors.js";

import type { EventMap } from "../pure/machine.js";

/** A listener for event `K` of map `E`. */
export type Listener<E extends EventMap, K extends keyof E> = (...args: E[K]) => void;

/**
 * An `EventEmitter` whose event names and payloads are checked by the compiler.
 * Roles extend it with their own event map, e.g.
 * `class Client extends TypedEmitter<{ retry: [RetryEvent] }>`.
 *
 * Unlike a plain `EventEmitter`, emitting `"error"` with no listener does not throw:
 * libraries here report errors as events and never crash the host process.
 */
export class TypedEmitter<E extends EventMap> {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Adds a listener. */
  on<K extends keyof E & string>(event: K, listener: Listener<E, K>): this {
    this.emitter.on(event, listener as (...a: unknown[]) => void);
    return this;
  }

  /** Adds a listener that runs at most once. */
  once<K extends keyof E & string>(event: K, listener: Listener<E, K>): this {
    this.emitter.once(event, listener as (...a: unknown[]) => void);
    return this;
  }

  /** Removes a listener. */
  off<K extends keyof E & string>(event: K, listener: Listener<E, K>): this {
    this.emitter.off(event, listener as (...a: unknown[]) => void);
    return this;
  }

  /** Number of listeners for `event`. */
  listenerCount<K extends keyof E & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }

  /**
   * Calls every listener of `event` synchronously, in registration order. A
   * listener that throws propagates to the emitting role, so listeners should
   * not throw.
   *
   * @returns whether any listener was called.
   */
  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    if (this.emitter.listenerCount(event) === 0) return false;
    this.emitter.emit(event, ...args);
    return true;
  }

  /** Whether anybody listens to `event`: lets hot paths skip building payloads. */
  protected hasListeners<K extends keyof E & string>(event: K): boolean {
    return this.emitter.listenerCount(event) > 0;
  }
}

/** Options of {@link nextEvent}. */
export interface WaitOptions {
  /** Give up after this many ms with {@link TimeoutError}. */
  timeout?: number;
  /** Give up when this signal aborts, with {@link AbortError}. */
  signal?: AbortSignal;
}

/**
 * Resolves with the arguments of the next `event` emitted by `emitter` that
 * satisfies `filter`.
 *
 * @param emitter - the typed emitter.
 * @param event - the event name.
 * @param options - timeout, signal and an optional filter on the payload.
 */
export function nextEvent<E extends EventMap, K extends keyof E & string>(
  emitter: TypedEmitter<E>,
  event: K,
  options: WaitOptions & { filter?: (...args: E[K]) => boolean } = {},
): Promise<E[K]> {
  return new Promise<E[K]>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new AbortError(undefined, { cause: options.signal.reason }));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      emitter.off(event, listener);
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    const listener = ((...args: E[K]) => {
      if (options.filter && !options.filter(...args)) return;
      cleanup();
      resolve(args);
    }) as Listener<E, K>;
    const onAbort = () => {
      cleanup();
      reject(new AbortError(undefined, { cause: options.signal?.reason }));
    };
    emitter.on(event, listener);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.timeout !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError(`No '${event}' event within ${options.timeout} ms`));
      }, options.timeout);
    }
  });
}
