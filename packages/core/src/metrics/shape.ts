/**
 * How a role's `stats()` object maps to metric families: which fields are
 * gauges, which counters, which labels. No `prom-client` here: plain values.
 *
 * @module
 */

/** A value in a role's `stats()`. */
export type StatsValue = number | boolean | string | undefined | null | StatsShape;

/** A role's `stats()` object, as the metrics see it. */
export interface StatsShape {
  /** Its fields. */
  readonly [field: string]: StatsValue;
}

/**
 * The `stats()` fields that are gauges (a level now, up and down); every
 * other number is a counter (since start). The vocabulary's gauges.
 */
export const GAUGE_FIELDS: ReadonlySet<string> = new Set([
  "workers",
  "idleWorkers",
  "services",
  "queued",
  "queuedBytes",
  "inFlight",
  "inFlightBytes",
  "abandoned",
  "abandonedBytes",
  "heldBytes",
  "openSockets",
  "idleSockets",
  "outstanding",
]);

/** The records broken down by a label (`drops` by `reason`, `byService` by `service`); other objects are walked field by field. */
const LABEL_OF: Readonly<Record<string, string>> = { drops: "reason", byService: "service" };

/** The quantile label values of a latency, and the summary field each reads. */
const QUANTILES = [
  ["0.5", "p50"],
  ["0.9", "p90"],
  ["0.99", "p99"],
  ["1", "max"],
] as const;

/** One metric family: its name (without prefix), type, labels and how to read its samples. */
export interface MetricFamily {
  /** The name after the prefix, snake case. */
  readonly name: string;
  /** `counter` (since start) or `gauge` (now). */
  readonly type: "counter" | "gauge";
  /** One line of help. */
  readonly help: string;
  /** Its label names. */
  readonly labels: readonly string[];
  /** Emits each sample of a `stats()` object. */
  values(stats: StatsShape, emit: (labels: Record<string, string>, value: number) => void): void;
}

/**
 * `queuedBytes` → `queued_bytes`.
 *
 * @param field - a camelCase name.
 */
export function snake(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^a-zA-Z0-9_]/g, "_").toLowerCase();
}

/** A latency summary as the metrics read it (ms). */
interface LatencyShape extends StatsShape {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Whether `value` is a latency summary (`{ p50, p90, p99, max }`). */
function isLatency(value: StatsValue): value is LatencyShape {
  return typeof value === "object" && value !== null && typeof value.p50 === "number" && typeof value.p99 === "number";
}

const isObject = (value: StatsValue): value is StatsShape => typeof value === "object" && value !== null;

type Path = (stats: StatsShape, emit: (labels: Record<string, string>, value: StatsValue) => void) => void;

/**
 * The metric families of a `stats()` object, from one sample of it; a
 * `byService` record gets the families of its entries from the first one,
 * or from {@link SERVICE_SAMPLE} while it is empty.
 *
 * @param sample - one `stats()` result.
 */
export function metricFamilies(sample: StatsShape): MetricFamily[] {
  const out: MetricFamily[] = [];
  walk(sample, "", "", [], (stats, emit) => emit({}, stats), out);
  return out;
}

/**
 * What one service's figures look like (the Majordomo broker's
 * `ServiceStats`), to declare the per-service families before any service exists.
 */
export const SERVICE_SAMPLE: StatsShape = Object.freeze({
  queued: 0,
  queuedBytes: 0,
  workers: 0,
  idleWorkers: 0,
  inFlight: 0,
  requests: 0,
  replies: 0,
  failures: 0,
  dropped: 0,
  drops: {},
  latency: { p50: 0, p90: 0, p99: 0, max: 0 },
});

/**
 * Adds the families of `sample`'s fields to `out`.
 *
 * @param sample - an object of stats values.
 * @param prefix - the name of its parent, snake case with a trailing `_`, or "".
 * @param path - its place in `stats()`, for the help text (`byService[service].`).
 * @param labels - the labels its parents add.
 * @param at - reads `sample`'s counterpart (with its parents' labels) from a whole `stats()` object.
 * @param out - receives the families.
 */
function walk(sample: StatsShape, prefix: string, path: string, labels: readonly string[], at: Path, out: MetricFamily[]): void {
  for (const [field, value] of Object.entries(sample)) {
    const name = `${prefix}${snake(field)}`;
    const help = `stats().${path}${field}`;
    const get: Path = (stats, emit) =>
      at(stats, (l, parent) => {
        if (isObject(parent)) emit(l, parent[field]);
      });
    const family = (type: MetricFamily["type"], suffix: string, extra: readonly string[], read: MetricFamily["values"]) =>
      out.push({ name: `${name}${suffix}`, type, help, labels: [...labels, ...extra], values: read });
    if (typeof value === "number") {
      const gauge = GAUGE_FIELDS.has(field);
      family(gauge ? "gauge" : "counter", gauge ? "" : "_total", [], (s, emit) =>
        get(s, (l, v) => {
          if (typeof v === "number") emit(l, v);
        }),
      );
    } else if (typeof value === "boolean") {
      family("gauge", "", [], (s, emit) =>
        get(s, (l, v) => {
          if (typeof v === "boolean") emit(l, v ? 1 : 0);
        }),
      );
    } else if (value === undefined || value === null || typeof value === "string") {
      const label = snake(field);
      family("gauge", "", [label], (s, emit) =>
        get(s, (l, v) => {
          if (typeof v === "string") emit({ ...l, [label]: v }, 1);
        }),
      );
    } else if (isLatency(value)) {
      family("gauge", "_seconds", ["quantile"], (s, emit) =>
        get(s, (l, v) => {
          if (isLatency(v)) for (const [quantile, key] of QUANTILES) emit({ ...l, quantile }, (v[key] ?? 0) / 1000);
        }),
      );
    } else if (LABEL_OF[field] === "service") {
      const first = Object.values(value).find(isObject) ?? SERVICE_SAMPLE;
      const entries: Path = (stats, emit) =>
        get(stats, (l, v) => {
          if (isObject(v)) for (const [key, entry] of Object.entries(v)) emit({ ...l, service: key }, entry);
        });
      walk(first, `${prefix}service_`, `${path}${field}[service].`, [...labels, "service"], entries, out);
    } else if (LABEL_OF[field] !== undefined) {
      const label = LABEL_OF[field];
      family("counter", "_total", [label], (s, emit) =>
        get(s, (l, v) => {
          if (isObject(v)) for (const [key, n] of Object.entries(v)) if (typeof n === "number") emit({ ...l, [label]: key }, n);
        }),
      );
    } else walk(value, `${name}_`, `${path}${field}.`, labels, get, out);
  }
}
