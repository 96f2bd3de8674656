#!/usr/bin/env node
/**
 * `npm run flood [-- --quick] [--json file] [--seed n] [--rows 1,2,…]`: the
 * overload findings of issue 11 reproduced against the real CLI processes
 * with their default limits. Each scenario starts a fresh target, floods it
 * with raw DEALER sockets from child processes, and reports the target's
 * peak RSS against 256 MB, whether a normal client was served meanwhile, and
 * the drops the target counted. Exit 0 when every scenario held, 1
 * otherwise, 2 on bad usage. Every child process is killed on exit.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Progress } from "@zmq-reliable/core/testing";
import { type RowResult } from "./flood/harness.js";
import { killAll, killChildrenOnExit } from "./flood/proc.js";
import { formatReport, writeJson } from "./flood/report.js";
import { binaryStar, lazyPirateHung, pppNoWorker } from "./flood/rows-other.js";
import { type Context, fairness, noWorker, stuckWorker } from "./flood/rows-mdp.js";
import { FULL, QUICK, type Settings } from "./flood/settings.js";

const USAGE = `Usage: npm run flood -- [--quick] [--json <file>] [--seed <n>] [--rows <list>]

Floods the real CLIs (majordomo-broker, paranoid-pirate-queue, binary-star-server, a
LazyPirateServer) with their default limits and checks each stays under 256 MB resident,
keeps serving a normal client, and counts what it drops.

Options:
  --quick          smaller and shorter (CI, under 40 s); request expiries shortened
  --json <file>    also write the figures as JSON
  --seed <n>       seed of the request bodies (default 1)
  --rows <list>    run only these scenarios, e.g. 1,2,6 (default all: 1-6)
  -h, --help       show this help

Exit status: 0 when every scenario held, 1 otherwise, 2 on bad usage.`;

const ROWS: Record<number, (ctx: Context) => Promise<RowResult>> = { 1: stuckWorker, 2: noWorker, 3: fairness, 4: pppNoWorker, 5: lazyPirateHung, 6: binaryStar };

function usage(message: string): never {
  process.stderr.write(`flood: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(): { settings: Settings; json: string | undefined; rows: number[] } {
  let values;
  try {
    ({ values } = parseArgs({ options: { quick: { type: "boolean" }, json: { type: "string" }, seed: { type: "string" }, rows: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) usage(`--seed must be an integer 0..4294967295, got ${JSON.stringify(values.seed)}`);
  const rows = values.rows === undefined ? [1, 2, 3, 4, 5, 6] : values.rows.split(",").map(Number);
  if (rows.length === 0 || rows.some((r) => !ROWS[r])) usage(`--rows must list scenarios 1..6, got ${JSON.stringify(values.rows)}`);
  return { settings: { ...(values.quick ? QUICK : FULL), seed }, json: values.json, rows: [...new Set(rows)].sort() };
}

/** Seconds the run may take at most: its floods and waits, plus a fixed margin. */
function deadline(s: Settings, rows: readonly number[]): number {
  const perRow: Record<number, number> = {
    1: s.stuck.duration,
    2: s.noWorker.smallDuration + 3 * s.noWorker.bigDuration + 20_000,
    3: s.fairness.duration + 25_000,
    4: s.ppp.smallDuration + (s.pppExpiry ?? 10_000) + 20_000,
    5: 20_000,
    6: s.binaryStar.duration,
  };
  return rows.reduce((sum, r) => sum + perRow[r]! + 15_000, 30_000);
}

async function main(): Promise<void> {
  const { settings, json, rows } = parse();
  killChildrenOnExit();
  const results: RowResult[] = [];
  const failures: { row: number; error: string }[] = [];
  let current = 0;
  const limit = deadline(settings, rows);
  const hard = setTimeout(() => {
    process.stderr.write(`\nflood: hard deadline of ${limit} ms passed; children killed\n`);
    process.stdout.write(`${formatReport(results, [...failures, { row: current, error: `hard deadline of ${limit} ms passed` }])}\n`);
    process.exit(1);
  }, limit);
  hard.unref();
  const progress = new Progress();
  const ctx: Context = { settings, progress };
  process.stderr.write(`flood: ${settings.mode} run, seed ${settings.seed}, scenarios ${rows.join(",")}\n`);
  for (const row of rows) {
    current = row;
    try {
      results.push(await ROWS[row]!(ctx));
    } catch (err) {
      failures.push({ row, error: err instanceof Error ? err.message : String(err) });
    } finally {
      await killAll(); // whatever a failed scenario left behind
    }
    progress.end();
    const last = results[results.length - 1];
    process.stderr.write(last?.row === row ? `scenario ${row} done: ${last.checks.every((c) => c.ok) ? "held" : "MISS"}\n` : `scenario ${row}: ERROR\n`);
  }
  process.stdout.write(`${formatReport(results, failures)}\n`);
  if (json) writeJson(json, settings, results, failures);
  process.exit(failures.length === 0 && results.every((r) => r.checks.every((c) => c.ok)) ? 0 : 1);
}

void main();
