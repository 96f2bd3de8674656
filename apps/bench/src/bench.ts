#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [--only 1,3] [--json file] [--write-readme] [--strict]`:
 * the benchmark scenarios of issue 12, each figure a ratio against a baseline
 * measured in the same run (median of alternating runs), load generators and
 * the process under test in separate processes. Prints a progress line, then
 * the table; writes the JSON file. Exit 0 even on a miss (1 with --strict),
 * 1 when a scenario crashed, 2 on bad usage.
 *
 * @module
 */
import { liveChildren, Progress } from "@zmq-reliable/core/testing";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Samples, scenarioContext } from "./context.js";
import { ROOT } from "./paths.js";
import { type BenchReport, formatReport, machine, type ScenarioError, writeJson, writeReadme } from "./report.js";
import { SCENARIOS } from "./scenarios/index.js";
import type { Figure, Scenario } from "./types.js";

const USAGE = `Usage: npm run bench -- [--quick] [--only <list>] [--runs <n>] [--json <file>] [--write-readme] [--strict]

Runs the benchmark scenarios (${SCENARIOS.map((s) => `${s.id} ${s.name}`).join(", ")}) against the
real CLIs in child processes. Every figure is the median of alternating baseline and subject runs in
this run, reported as a ratio against its target.

Options:
  --quick          a smoke test: tiny counts, one run per figure, a scenario's setups at once (CI)
  --only <list>    run only these scenarios, e.g. 1,3 (default: all)
  --runs <n>       alternating runs per figure (default 5; 1 with --quick)
  --json <file>    where to write the figures as JSON (default apps/bench/results/latest.json)
  --write-readme   rewrite the "Performance" section of the root README.md with this run's table
  --strict         exit 1 when any target is missed
  -h, --help       show this help

Exit status: 0 when every scenario ran (a missed target is a finding, not a failure; see --strict),
1 when a scenario crashed (or a target was missed with --strict), 2 on bad usage.`;

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

interface Args {
  quick: boolean;
  only: number[];
  runs: number;
  json: string;
  readme: boolean;
  strict: boolean;
}

function parse(): Args {
  let values;
  try {
    ({ values } = parseArgs({
      options: { quick: { type: "boolean" }, only: { type: "string" }, runs: { type: "string" }, json: { type: "string" }, "write-readme": { type: "boolean" }, strict: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const ids = SCENARIOS.map((s) => s.id);
  const only = values.only === undefined ? ids : values.only.split(",").map(Number);
  if (only.length === 0 || only.some((id) => !ids.includes(id))) usage(`--only must list scenarios among ${ids.join(",")}, got ${JSON.stringify(values.only)}`);
  const runs = values.runs === undefined ? (values.quick ? 1 : 5) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) usage(`--runs must be an integer 1..100, got ${JSON.stringify(values.runs)}`);
  return { quick: values.quick === true, only, runs, json: values.json ?? join(ROOT, "apps/bench/results/latest.json"), readme: values["write-readme"] === true, strict: values.strict === true };
}

/** Kills every child at once (exit handlers). */
function killChildren(): void {
  for (const child of liveChildren()) child.process.kill("SIGKILL");
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  const args = parse();
  process.on("exit", killChildren);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => (process.stderr.write(`\nbench: ${signal}, children killed\n`), process.exit(1)));
  const started = performance.now();
  const progress = new Progress();
  const figures: Figure[] = [];
  const errors: ScenarioError[] = [];
  const samples: Samples[][] = [];
  const mode = args.quick ? "quick" : "full";
  process.stderr.write(`bench: ${mode} run, ${args.runs} run(s) per figure, scenarios ${args.only.join(",")}\n`);
  const runOne = async (scenario: Scenario): Promise<Figure[]> => {
    const { ctx, cleanup, samples: mine } = scenarioContext(scenario, mode, args.runs, progress);
    samples.push(mine);
    const t0 = performance.now();
    let result: Figure[] = [];
    try {
      result = await within(scenario.run(ctx), (args.quick ? 90 : 150) * 1000 * Math.max(1, args.runs / 5), `scenario ${scenario.id}`);
    } catch (err) {
      errors.push({ scenario: scenario.id, error: err instanceof Error ? err.message : String(err) });
    } finally {
      await cleanup();
    }
    progress.end();
    const done = errors.some((e) => e.scenario === scenario.id) ? "CRASHED" : `${result.filter((f) => f.pass === false).length} miss(es)`;
    process.stderr.write(`scenario ${scenario.id} ${scenario.name}: ${done} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    return result;
  };
  const chosen = SCENARIOS.filter((s) => args.only.includes(s.id));
  for (const scenario of chosen) figures.push(...(await runOne(scenario)));
  errors.sort((a, b) => a.scenario - b.scenario);
  const report: BenchReport = { date: new Date().toISOString(), machine: machine(), mode, runs: args.runs, seconds: (performance.now() - started) / 1000, figures, errors, samples: samples.flat().sort((a, b) => a.scenario - b.scenario) };
  process.stdout.write(`${formatReport(report)}\n`);
  writeJson(args.json, report);
  if (args.readme) writeReadme(join(ROOT, "README.md"), report);
  process.exit(errors.length > 0 || (args.strict && figures.some((f) => f.pass === false)) ? 1 : 0);
}

main().catch((err: unknown) => {
  killChildren();
  process.stderr.write(`bench: crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
