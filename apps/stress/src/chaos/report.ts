/**
 * The chaos run's report: tables for stdout, the verdict line, and the
 * checks behind it.
 *
 * @module
 */
import { formatMb } from "../rss.js";
import { formatTable } from "../table.js";
import { BROKER_RSS_BOUND, type ChaosResult } from "./run.js";

/** The header of the request table (the CI test reads this table's zero columns). */
export const REQUEST_HEADER = ["topology", "sent", "ok", "failed", "gone", "lost", "misdelivered", "dup-exec", "crashes", "failovers", "gap-ms", "dual-active-ms", "probes"] as const;

/** Why the run fails; empty when every check holds. */
export function failures(result: ChaosResult): string[] {
  const r = result.requests;
  const out: string[] = [];
  if (r.lost > 0) out.push(`${r.lost} silently lost`);
  if (r.misdelivered > 0) out.push(`${r.misdelivered} misdelivered`);
  if (r.bogus > 0) out.push(`${r.bogus} outcome lines for unknown or already settled requests`);
  if (result.crashes.length > 0) out.push(`${result.crashes.length} crashes`);
  if ((result.rss.broker?.peak ?? 0) > BROKER_RSS_BOUND) out.push("broker RSS over the bound");
  if (r.sent === 0 || r.ok === 0) out.push("no request answered");
  out.push(...result.problems);
  return out;
}

/** The tables, as printed on stdout. */
export function formatReport(result: ChaosResult): string {
  const r = result.requests;
  const parts: string[] = [];
  parts.push(
    formatTable(REQUEST_HEADER, [[
      result.topology, r.sent, r.ok, r.failed, r.gone, r.lost, r.misdelivered, r.duplicated, result.crashes.length,
      result.failovers, r.longestGap, result.longestDualActive, `${result.probes.ok}/${result.probes.sent}`,
    ]]),
  );
  parts.push(formatTable(["fault", "count"], Object.entries(result.faults).map(([k, n]) => [k, n])));
  parts.push(
    formatTable(["role", "processes", "peak RSS", "bound"], Object.entries(result.rss).map(([role, v]) => [role, v.processes, formatMb(v.peak), role === "broker" ? formatMb(BROKER_RSS_BOUND) : "-"])),
  );
  const codes = Object.entries(r.codes);
  if (codes.length > 0) parts.push(formatTable(["failed (caller told)", "count"], codes.map(([c, n]) => [c, n])));
  parts.push(`executions: ${r.runs} in all, ${r.duplicated} requests ran more than once (most ${r.maxRuns}×)`);
  const notes = [...result.crashes.map((c) => `crash: ${c}`), ...result.problems.map((p) => `problem: ${p}`), ...r.examples];
  if (notes.length > 0) parts.push(notes.join("\n"));
  return parts.join("\n\n");
}

/** The one verdict line. */
export function verdict(result: ChaosResult): string {
  const r = result.requests;
  const why = failures(result);
  const peak = formatMb(result.rss.broker?.peak ?? 0);
  return `chaos: seed ${result.seed}, ${result.duration} s, ${r.sent} requests: ${r.lost} lost, ${r.misdelivered} misdelivered, ${result.crashes.length} crashes, peak broker RSS ${peak} (bound ${formatMb(BROKER_RSS_BOUND).replace(".0", "")}): ${why.length === 0 ? "PASS" : `FAIL (${why.join("; ")})`}`;
}
