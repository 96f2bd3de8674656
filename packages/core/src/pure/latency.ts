/**
 * Latency percentiles over a bounded window: the last `size` samples, none
 * older than `maxAge` ms. Memory is fixed when the window is built (two
 * typed arrays of `size`), whatever peers do; recording is two array writes;
 * percentiles are computed when asked for (a sort of at most `size` numbers).
 *
 * @module
 */
import { checkNumber } from "./errors.js";

/** What a {@link LatencyWindow} reports: percentiles (ms) of the samples in the window. */
export interface LatencySummary {
  /** Samples in the window now (at most its `size`, none older than `maxAge`). */
  window: number;
  /** Median, ms (0 when the window is empty). */
  p50: number;
  /** 90th percentile, ms (0 when the window is empty). */
  p90: number;
  /** 99th percentile, ms (0 when the window is empty). */
  p99: number;
  /** Largest sample in the window, ms (0 when the window is empty). */
  max: number;
  /** Samples recorded since the window was built (not bounded by the window). */
  count: number;
  /** Sum of every sample recorded since the window was built, ms. */
  sum: number;
}

/** Options of a {@link LatencyWindow}. */
export interface LatencyWindowOptions {
  /** Most samples kept (the newest replace the oldest); default 1024. */
  size?: number;
  /** Ms a sample counts for; default 60 000. */
  maxAge?: number;
}

/** The summary of an empty window. */
export const EMPTY_LATENCY: Readonly<LatencySummary> = Object.freeze({ window: 0, p50: 0, p90: 0, p99: 0, max: 0, count: 0, sum: 0 });

/**
 * The nearest-rank percentile `q` (0 < q ≤ 1) of `sorted` (ascending, not empty).
 *
 * @param sorted - the samples, ascending.
 * @param q - the quantile, e.g. 0.99.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * The last samples of a latency (request received → reply delivered), in a
 * ring of fixed size, each stamped with the time it was recorded.
 *
 * ```ts
 * const window = new LatencyWindow({ size: 256, maxAge: 60_000 });
 * window.record(now - receivedAt, now);
 * window.summary(now); // { window, p50, p90, p99, max, count, sum }
 * ```
 */
export class LatencyWindow {
  private readonly values: Float64Array;
  private readonly times: Float64Array;
  private readonly maxAge: number;
  private next = 0;
  private filled = 0;
  private total = 0;
  private totalMs = 0;
  /** The last summary, good while no sample is recorded and none ages out (before `cacheUntil`). */
  private cache: LatencySummary | undefined;
  private cacheUntil = 0;

  /** @param options - `size` (default 1024) and `maxAge` (ms, default 60 000). */
  constructor(options: LatencyWindowOptions = {}) {
    const size = Math.floor(checkNumber("size", options.size ?? 1024, 1));
    this.maxAge = checkNumber("maxAge", options.maxAge ?? 60_000, 0);
    this.values = new Float64Array(size);
    this.times = new Float64Array(size);
  }

  /**
   * Records one sample.
   *
   * @param ms - the latency, ms (negative values count as 0).
   * @param now - the current time (the clock the window's `maxAge` is measured on).
   */
  record(ms: number, now: number): void {
    const value = ms > 0 ? ms : 0;
    this.values[this.next] = value;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled++;
    this.total++;
    this.totalMs += value;
    this.cache = undefined;
  }

  /**
   * The percentiles of the samples recorded in the last `maxAge` ms (at most `size` of them).
   *
   * @param now - the current time.
   */
  summary(now: number): LatencySummary {
    if (this.cache !== undefined && now < this.cacheUntil) return { ...this.cache };
    const since = now - this.maxAge;
    const live = new Float64Array(this.filled);
    let n = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.filled; i++) {
      const t = this.times[i]!;
      if (t < since) continue;
      live[n++] = this.values[i]!;
      if (t < oldest) oldest = t;
    }
    this.cacheUntil = oldest + this.maxAge; // the oldest live sample ages out after this
    if (n === 0) return { ...(this.cache = { ...EMPTY_LATENCY, count: this.total, sum: this.totalMs }) };
    const sorted = live.subarray(0, n).sort();
    this.cache = {
      window: n,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: sorted[n - 1]!,
      count: this.total,
      sum: this.totalMs,
    };
    return { ...this.cache };
  }
}
