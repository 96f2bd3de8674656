/**
 * The flood report: the table on stdout, the notes and failed checks under
 * it, the verdict line, and the JSON figures.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { formatMb, formatTable } from "@zmq-reliable/core/testing";
import { formatDrops } from "./drops.js";
import { passed, type RowResult } from "./harness.js";
import type { Settings } from "./settings.js";
import { percentile } from "./wire.js";

/** The table's columns. */
export const COLUMNS = ["#", "scenario", "sent", "sent bytes", "peak RSS", "bound", "normal client (p99)", "target drops", "verdict"] as const;

function normalCell(row: RowResult): string {
  if (!row.normal) return "n/a";
  const p99 = percentile(row.normal.latencies, 99);
  return `${row.normal.answered}/${row.normal.sent}${Number.isNaN(p99) ? "" : ` (${p99.toFixed(1)} ms)`}`;
}

/**
 * The report as text: table, notes, verdict line.
 *
 * @param rows - the results.
 * @param failures - rows that could not run (scenario, error).
 */
export function formatReport(rows: readonly RowResult[], failures: readonly { row: number; error: string }[]): string {
  const table = formatTable(
    COLUMNS,
    rows.map((r) => [r.row, r.scenario, r.sent, formatMb(r.sentBytes), formatMb(r.peakRss), formatMb(r.bound), normalCell(r), r.dropsCounted ? formatDrops(r.drops) : "n/a", passed(r) ? "PASS" : "MISS"]),
  );
  const notes = rows.flatMap((r) => [
    ...(r.notes.length ? [`  ${r.row}: ${r.notes.join("; ")}`] : []),
    ...r.checks.filter((c) => !c.ok).map((c) => `  ${r.row}: MISS: ${c.name}`),
  ]);
  const errors = failures.map((f) => `  ${f.row}: ERROR: ${f.error}`);
  return [table, ...notes, ...errors, verdictLine(rows, failures)].join("\n");
}

/**
 * The one verdict line.
 *
 * @param rows - the results.
 * @param failures - rows that could not run.
 */
export function verdictLine(rows: readonly RowResult[], failures: readonly { row: number }[]): string {
  const missed = rows.filter((r) => !passed(r)).map((r) => r.row);
  const bad = [...missed, ...failures.map((f) => f.row)].sort();
  return bad.length === 0 ? `verdict: PASS (${rows.length} of ${rows.length} scenarios held)` : `verdict: MISS (scenario${bad.length === 1 ? "" : "s"} ${bad.join(", ")} did not hold)`;
}

/**
 * Writes the figures as JSON.
 *
 * @param file - where.
 * @param settings - the run's settings.
 * @param rows - the results.
 * @param failures - rows that could not run.
 */
export function writeJson(file: string, settings: Settings, rows: readonly RowResult[], failures: readonly { row: number; error: string }[]): void {
  const json = {
    mode: settings.mode,
    seed: settings.seed,
    rows: rows.map((r) => ({
      row: r.row,
      scenario: r.scenario,
      sent: r.sent,
      sentBytes: r.sentBytes,
      peakRss: r.peakRss,
      bound: r.bound,
      normal: r.normal && { sent: r.normal.sent, answered: r.normal.answered, p50: percentile(r.normal.latencies, 50), p99: percentile(r.normal.latencies, 99) },
      drops: r.dropsCounted ? r.drops : null,
      notes: r.notes,
      checks: r.checks,
      exit: r.exit,
      verdict: passed(r) ? "PASS" : "MISS",
    })),
    failures,
    verdict: verdictLine(rows, failures).startsWith("verdict: PASS") ? "PASS" : "MISS",
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}
