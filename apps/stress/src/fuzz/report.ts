/**
 * The fuzz report: the table on stdout, the verdict line, the JSON figures.
 *
 * @module
 */
import { formatMb, formatTable, type Row } from "@zmq-reliable/core/testing";
import { RSS_BOUND, type FuzzResult } from "./run.js";

/** Table columns. */
export const COLUMNS = ["target", "socket", "sent", "probes ok/total", "crashes", "stderr lines", "peak RSS", "verdict"] as const;

/**
 * Renders the table: one row per fuzzed socket (the per-process figures on
 * the first row of each target), then a totals row.
 *
 * @param result - the run's figures.
 */
export function renderTable(result: FuzzResult): string {
  const rows: Row[] = [];
  for (const t of result.targets) {
    t.rows.forEach((r, i) => {
      const first = i === 0;
      rows.push([
        first ? t.target : "",
        r.socket,
        r.sent,
        first ? `${t.probes.ok}/${t.probes.total}` : "",
        first ? t.crashes : "",
        first ? t.processes.reduce((n, p) => n + p.stderrLines, 0) : "",
        first ? formatMb(Math.max(...t.processes.map((p) => p.peakRss))) : "",
        first ? (t.problems.length === 0 ? "PASS" : "FAIL") : "",
      ]);
    });
  }
  const probes = result.targets.reduce((a, t) => ({ ok: a.ok + t.probes.ok, total: a.total + t.probes.total }), { ok: 0, total: 0 });
  rows.push([
    "total",
    `${result.targets.reduce((n, t) => n + t.rows.length, 0)} sockets`,
    result.sent,
    `${probes.ok}/${probes.total}`,
    crashes(result),
    result.targets.reduce((n, t) => n + t.processes.reduce((m, p) => m + p.stderrLines, 0), 0),
    formatMb(peak(result)),
    result.pass ? "PASS" : "FAIL",
  ]);
  return formatTable(COLUMNS, rows);
}

function crashes(result: FuzzResult): number {
  return result.targets.reduce((n, t) => n + t.crashes, 0);
}

function peak(result: FuzzResult): number {
  return Math.max(0, ...result.targets.flatMap((t) => t.processes.map((p) => p.peakRss)));
}

/**
 * The closing lines: the speed, every failed check, and the verdict line
 * (`fuzz: 0 crashes, 0 failed probes, peak RSS X MB (bound 256 MB): PASS`).
 *
 * @param result - the run's figures.
 */
export function renderVerdict(result: FuzzResult): string {
  const failedProbes = result.targets.reduce((n, t) => n + t.probes.total - t.probes.ok, 0);
  const rate = Math.round(result.sent / Math.max(result.fuzzMs / 1000, 0.001));
  const lines = [`fuzz: seed ${result.seed}, ${result.sent} messages in ${(result.fuzzMs / 1000).toFixed(1)} s (${rate} msg/s), whole run ${(result.totalMs / 1000).toFixed(1)} s`];
  for (const t of result.targets) for (const p of t.problems) lines.push(`fuzz: ${t.target}: ${p}`);
  lines.push(`fuzz: ${crashes(result)} crashes, ${failedProbes} failed probes, peak RSS ${formatMb(peak(result))} (bound ${formatMb(RSS_BOUND).replace(".0", "")}): ${result.pass ? "PASS" : "FAIL"}`);
  return lines.join("\n");
}
