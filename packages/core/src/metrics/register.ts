/**
 * A role's `stats()` as Prometheus metrics, collected on scrape: nothing runs
 * between scrapes, and each scrape calls `stats()` once.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { type StatsShape, metricFamilies } from "./shape.js";

/** What {@link registerMetrics} reads: any role of zmq-reliable. */
export interface StatsSource {
  /** The role's counters and gauges, as plain values. */
  stats(): object;
}

/** Options of {@link registerMetrics}. */
export interface RegisterMetricsOptions {
  /** Prefix of every metric name; default `zmq_reliable_`. */
  prefix?: string;
  /** Labels put on every sample (say `{ role: "broker-a" }`), for several roles in one registry. */
  labels?: Readonly<Record<string, string>>;
}

/** The prefix {@link registerMetrics} uses when none is given. */
export const DEFAULT_METRICS_PREFIX = "zmq_reliable_";

/**
 * Registers `role.stats()` with a `prom-client` registry as metrics read on
 * each scrape (one `stats()` call per scrape, shared by every family). Each
 * field becomes a family named `<prefix><snake_case field>`:
 *
 * - a gauge field (`queued`, `queuedBytes`, `inFlight`, `workers`, …; see
 *   `GAUGE_FIELDS`) a gauge; every other number a counter, `…_total`;
 * - `drops` a counter `…_drops_total{reason}`;
 * - a latency (`{ p50, p90, p99, max }`, ms) a gauge `…_latency_seconds{quantile}`
 *   with quantiles `0.5`, `0.9`, `0.99` and `1` (the max);
 * - a boolean a gauge 0/1; a text field (a state) a gauge `…{<field>="<value>"} 1`;
 * - `byService` the same per service, `…_service_<field>{service}`;
 * - any other object its fields, `…_<field>_<inner field>`.
 *
 * ```ts
 * import { Registry } from "prom-client";
 * import { registerMetrics } from "@zmq-reliable/core/metrics";
 * const registry = new Registry();
 * registerMetrics(registry, broker, { prefix: "mdp_" });
 * // GET /metrics: res.end(await registry.metrics())
 * ```
 *
 * @param registry - the `prom-client` registry to register with.
 * @param role - the role whose `stats()` to expose.
 * @param options - `prefix` and constant `labels`.
 * @returns the names of the families registered.
 */
export function registerMetrics(registry: Registry, role: StatsSource, options: RegisterMetricsOptions = {}): string[] {
  const prefix = options.prefix ?? DEFAULT_METRICS_PREFIX;
  const constant = options.labels ?? {};
  // One stats() per scrape: the first family collected reads it, the others (same tick) reuse it.
  let cached: StatsShape | undefined;
  const read = (): StatsShape => {
    if (cached === undefined) {
      cached = role.stats() as StatsShape;
      setImmediate(() => (cached = undefined));
    }
    return cached;
  };
  const families = metricFamilies(role.stats() as StatsShape);
  const names: string[] = [];
  for (const family of families) {
    const name = `${prefix}${family.name}`;
    const labelNames = [...Object.keys(constant), ...family.labels];
    const each = (stats: StatsShape, emit: (labels: Record<string, string>, value: number) => void) =>
      family.values(stats, (labels, value) => emit({ ...constant, ...labels }, value));
    const config = { name, help: family.help, labelNames, registers: [registry] };
    if (family.type === "counter") {
      new Counter({ ...config, collect() { this.reset(); each(read(), (labels, value) => this.inc(labels, value)); } }); // prettier-ignore
    } else {
      new Gauge({ ...config, collect() { this.reset(); each(read(), (labels, value) => this.set(labels, value)); } }); // prettier-ignore
    }
    names.push(name);
  }
  return names;
}
