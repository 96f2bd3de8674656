/**
 * Command line of `npm run fuzz`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { TARGET_NAMES, type TargetName } from "./targets.js";

/** Parsed flags. */
export interface FuzzArgs {
  /** Messages to send in all, split across the fuzzed sockets. */
  count: number;
  /** Seed of every random choice. */
  seed: number;
  /** Targets to run. */
  targets: TargetName[];
  /** Where to write the figures as JSON, if anywhere. */
  json: string | undefined;
  /** A directory to write each process's stderr to (`<target>.<process>.stderr`), if any. */
  logs: string | undefined;
}

/** Bad usage: the harness prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** The `--help` text. */
export const USAGE = `Usage: npm run fuzz -- --count N [--seed S] [--targets a,b,...] [--json file] [--logs dir]

Sends N malformed, mutated and random messages (split evenly across the fuzzed
sockets) into every server-side socket of every role, run as real processes,
while legitimate requests check that each keeps serving. Exit 0 when every check
holds, 1 otherwise, 2 on bad usage.

Options:
  --count N           messages in all (1..100000000; default 10000)
  --seed S            seed of the schedule (0..4294967295; default 1)
  --targets a,b,...   targets (default all): ${TARGET_NAMES.join(", ")}
  --json file         also write the figures as JSON to file
  --logs dir          also write each process's stderr to dir/<target>.<process>.stderr
  -h, --help          show this help`;

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${value}`);
  return value;
}

/**
 * Parses the command line; `undefined` for `--help`.
 *
 * @param argv - the arguments after the script.
 */
export function parseFuzzArgs(argv: readonly string[]): FuzzArgs | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        count: { type: "string" },
        seed: { type: "string" },
        targets: { type: "string" },
        json: { type: "string" },
        logs: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const targets = values.targets === undefined ? [...TARGET_NAMES] : values.targets.split(",").map((t) => t.trim()).filter((t) => t.length > 0);
  for (const t of targets) {
    if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new UsageError(`unknown target ${JSON.stringify(t)} (known: ${TARGET_NAMES.join(", ")})`);
  }
  if (targets.length === 0) throw new UsageError("--targets names no target");
  return {
    count: integer("count", values.count, 10_000, 1, 100_000_000),
    seed: integer("seed", values.seed, 1, 0, 0xffffffff),
    targets: TARGET_NAMES.filter((t) => targets.includes(t)),
    json: values.json,
    logs: values.logs,
  };
}
