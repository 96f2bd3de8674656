/**
 * `--metrics <host:port>` of every bin: the role's `stats()` as Prometheus
 * metrics (with the process's default metrics) on `/metrics`, and
 * `/healthz` / `/readyz`. Loaded by the CLI runner only when the flag is
 * given, so a bin without it never loads `prom-client`.
 *
 * @module
 */
import { Registry, collectDefaultMetrics } from "prom-client";
import { registerMetrics } from "../metrics/register.js";
import { type HealthReport, type MetricsServer, serveMetrics } from "../metrics/server.js";

/** What {@link startCliMetrics} serves. */
export interface CliMetricsOptions {
  /** The `--metrics` value. */
  readonly listen: string;
  /** The bin's name, `role` in the health body. */
  readonly name: string;
  /** The started role; its `stats()`, if it has one, becomes the metrics. */
  readonly role: object;
  /** The bin's own health fields (a Binary Star node's state); `serving` defaults to true. */
  readonly health?: () => Readonly<Record<string, unknown>>;
  /** Whether the bin is closing (then it is not serving). */
  readonly stopping: () => boolean;
}

/**
 * Starts the metrics and health endpoint of a started bin.
 *
 * @param options - see {@link CliMetricsOptions}.
 */
export async function startCliMetrics(options: CliMetricsOptions): Promise<MetricsServer> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const role = options.role as { stats?: () => object };
  if (typeof role.stats === "function") registerMetrics(registry, { stats: () => role.stats!() });
  const health = (): HealthReport => {
    const own = options.health?.() ?? {};
    const stopping = options.stopping();
    return { role: options.name, pid: process.pid, ...own, serving: !stopping && own.serving !== false, ...(stopping ? { stopping: true } : {}) };
  };
  return serveMetrics({ listen: options.listen, registry, health });
}
