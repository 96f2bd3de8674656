/**
 * Order statistics of measured values.
 *
 * @module
 */

/**
 * The median of `values` (the mean of the middle two for an even count), `NaN` when empty.
 *
 * @param values - the values, in any order.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The `p`-th percentile of ascending `sorted` values (nearest rank), `NaN` when empty.
 *
 * @param sorted - ascending values.
 * @param p - 0..100.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The median of each named value over several runs.
 *
 * @param runs - one record per run, all with the same names.
 */
export function medians<K extends string>(runs: readonly Record<K, number>[]): Record<K, number> {
  const names = Object.keys(runs[0] ?? {}) as K[];
  return Object.fromEntries(names.map((name) => [name, median(runs.map((run) => run[name]))])) as Record<K, number>;
}
