/**
 * The bench's outputs: the terminal table, the JSON file and the README's
 * "Performance" section, with the machine the figures were measured on.
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, release, type } from "node:os";
import { dirname } from "node:path";
import { formatTable } from "@zmq-reliable/core/testing";
import type { Samples } from "./context.js";
import type { BenchMode, Figure } from "./types.js";

/** The machine a run measured. */
export interface Machine {
  /** CPU model. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Node.js version. */
  node: string;
  /** zeromq.js version. */
  zeromq: string;
  /** Operating system and kernel release. */
  os: string;
}

/** A scenario that crashed instead of returning figures. */
export interface ScenarioError {
  /** The scenario's id. */
  scenario: number;
  /** What went wrong. */
  error: string;
}

/** Everything a run measured: the JSON file's content. */
export interface BenchReport {
  /** When the run ended (ISO 8601). */
  date: string;
  /** Where it ran. */
  machine: Machine;
  /** Quick or full. */
  mode: BenchMode;
  /** Alternating runs per figure. */
  runs: number;
  /** Wall-clock seconds of the whole run. */
  seconds: number;
  /** Every figure, in scenario order. */
  figures: Figure[];
  /** Scenarios that crashed. */
  errors: ScenarioError[];
  /** Every run behind the medians. */
  samples: Samples[];
}

/** The machine this process runs on. */
export function machine(): Machine {
  const zeromq = (createRequire(import.meta.url)("zeromq/package.json") as { version: string }).version;
  return { cpu: cpus()[0]?.model.trim() ?? "?", cores: cpus().length, node: process.version, zeromq, os: `${type()} ${release()}` };
}

/**
 * A number with about three significant digits.
 *
 * @param value - the number.
 */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return "-";
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? String(Math.round(value)) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toFixed(3);
}

function cells(f: Figure): string[] {
  return [
    String(f.scenario),
    f.name,
    `${formatNumber(f.subject)} ${f.unit}`,
    f.baseline === undefined ? "-" : `${formatNumber(f.baseline)} ${f.unit}`,
    f.ratio === undefined ? "-" : f.ratio.toFixed(2),
    f.target ? `${f.target.op} ${f.target.value}${f.ratio === undefined ? ` ${f.unit}` : ""}` : "-",
    f.pass === undefined ? "report" : f.pass ? "pass" : "MISS",
  ];
}

const HEADER = ["#", "figure", "subject", "baseline", "ratio", "target", "result"];

/**
 * The terminal report: the table, then one line per crashed scenario.
 *
 * @param report - the run.
 */
export function formatReport(report: BenchReport): string {
  const lines = [formatTable(HEADER, report.figures.map(cells))];
  for (const e of report.errors) lines.push(`scenario ${e.scenario} CRASHED: ${e.error}`);
  const judged = report.figures.filter((f) => f.pass !== undefined);
  lines.push(`${judged.filter((f) => f.pass).length}/${judged.length} targets met, ${report.errors.length} crashed; ${report.mode} run, ${report.runs} run(s) per figure, ${report.seconds.toFixed(0)} s`);
  return lines.join("\n");
}

/**
 * Writes the report as JSON (creating the folder).
 *
 * @param file - where.
 * @param report - the run.
 */
export function writeJson(file: string, report: BenchReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/** The README markers the Performance section is written between. */
export const MARKERS = { start: "<!-- bench:start -->", end: "<!-- bench:end -->" } as const;

/**
 * The Markdown that goes between the README's markers: the table, the date
 * and the machine.
 *
 * @param report - the run.
 */
export function readmeSection(report: BenchReport): string {
  const m = report.machine;
  const row = (values: readonly string[]) => `| ${values.map((v) => v.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [
    `Measured ${report.date.slice(0, 10)} by \`npm run bench\` (${report.mode} run, median of ${report.runs} alternating runs per figure) on ${m.cpu}, ${m.cores} cores, Node.js ${m.node}, zeromq ${m.zeromq}, ${m.os}.`,
    "",
    row(HEADER),
    row(HEADER.map(() => "---")),
    ...report.figures.map((f) => row(cells(f))),
    ...report.errors.map((e) => `\nScenario ${e.scenario} crashed: ${e.error}`),
  ].join("\n");
}

/**
 * Rewrites the README's section between the markers with the run's table.
 *
 * @param file - the README.
 * @param report - the run.
 */
export function writeReadme(file: string, report: BenchReport): void {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(MARKERS.start);
  const end = text.indexOf(MARKERS.end);
  if (start < 0 || end < start) throw new Error(`${file} has no ${MARKERS.start} … ${MARKERS.end} section`);
  writeFileSync(file, `${text.slice(0, start + MARKERS.start.length)}\n${readmeSection(report)}\n${text.slice(end)}`);
}
