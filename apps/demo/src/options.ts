import { parseArgs } from "node:util";

/** The stories the demo can tell. */
export const SCENARIOS = ["ha-majordomo", "lazy-pirate", "paranoid-pirate", "majordomo", "binary-star"] as const;
/** One of {@link SCENARIOS}. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** Parsed command line. */
export interface DemoOptions {
  /** Length of the story in ms. */
  duration: number;
  /** Seed for every random choice (which worker dies, request sizes). */
  seed: number;
  /** Print only a machine-readable JSON summary. */
  json: boolean;
  /** Which story. */
  scenario: ScenarioName;
  /** Print usage and exit. */
  help: boolean;
}

export const USAGE = `Usage: npm run demo -- [options]

Shows failover happening: a primary dies, traffic moves on, nothing is lost.

Options:
  --scenario <name>   ${SCENARIOS.join(" | ")} (default ha-majordomo)
  --duration <s>      length of the story in seconds (default 20, minimum 4)
  --seed <n>          seed for random choices (default 1)
  --json              print only a JSON summary (for scripts and tests)
  --help              show this help

Exit code: 0 when every request was answered exactly once, 1 otherwise, 2 on bad usage.`;

/** Thrown for a bad command line; the message is shown with the usage. */
export class UsageError extends Error {}

/** Parses `argv` (without node and script). */
export function parseOptions(argv: string[]): DemoOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: "string", default: "20" },
        seed: { type: "string", default: "1" },
        json: { type: "boolean", default: false },
        scenario: { type: "string", default: "ha-majordomo" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const duration = Number(values.duration);
  if (!Number.isFinite(duration) || duration < 4) throw new UsageError(`--duration must be a number of seconds >= 4, got ${values.duration}`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${values.seed}`);
  if (!(SCENARIOS as readonly string[]).includes(values.scenario!)) {
    throw new UsageError(`--scenario must be one of ${SCENARIOS.join(", ")}, got ${values.scenario}`);
  }
  return { duration: duration * 1000, seed, json: values.json!, scenario: values.scenario as ScenarioName, help: values.help! };
}
