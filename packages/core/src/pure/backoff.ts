/**
 * Exponential back-off with a cap and optional jitter.
 *
 * @module
 */
import { checkNumber } from "./errors.js";

/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay in ms. Default 1000 (6/PPP reference `INTERVAL_INIT`). */
  initial?: number;
  /** Largest delay in ms. Default 32000 (6/PPP reference `INTERVAL_MAX`). */
  max?: number;
  /** Multiplier applied after each delay. Default 2. */
  factor?: number;
  /**
   * Fraction of each delay that is randomised, 0 to 1. With `jitter = 0.2` a
   * 1000 ms step becomes a value in 800–1000 ms. Default 0 (the reference behaviour).
   */
  jitter?: number;
  /** Source of randomness in [0, 1); default `Math.random`. Inject for deterministic tests. */
  random?: () => number;
}

/** Defaults of {@link Backoff}: 1 s doubling to 32 s, no jitter. */
export const BACKOFF_DEFAULTS: Readonly<Required<Omit<BackoffOptions, "random">>> = { initial: 1000, max: 32_000, factor: 2, jitter: 0 };

/**
 * Produces the delays 1 s, 2 s, 4 s, … capped at `max`; {@link Backoff.reset}
 * starts over after a success. Pure: no timers, just numbers.
 */
export class Backoff {
  private readonly initial: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private current: number;
  private count = 0;

  /** @param options - see {@link BackoffOptions}. */
  constructor(options: BackoffOptions = {}) {
    this.initial = checkNumber("backoff.initial", options.initial ?? BACKOFF_DEFAULTS.initial);
    this.max = checkNumber("backoff.max", options.max ?? BACKOFF_DEFAULTS.max, this.initial);
    this.factor = checkNumber("backoff.factor", options.factor ?? BACKOFF_DEFAULTS.factor, 1);
    this.jitter = Math.min(1, checkNumber("backoff.jitter", options.jitter ?? BACKOFF_DEFAULTS.jitter));
    this.random = options.random ?? Math.random;
    this.current = this.initial;
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.count;
  }

  /** Returns the next delay in ms and advances the sequence. */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.max, this.current * this.factor);
    this.count++;
    return this.jitter === 0 ? base : base * (1 - this.jitter * this.random());
  }

  /** Starts the sequence over at `initial`. */
  reset(): void {
    this.current = this.initial;
    this.count = 0;
  }
}

/**
 * The one shape of reconnect options on every connecting role
 * (`reconnect: { initial, max }`, with `factor` and `jitter` where wanted):
 * the delays of a {@link Backoff}.
 */
export type ReconnectOptions = Omit<BackoffOptions, "random">;
