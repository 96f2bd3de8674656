/**
 * The chaos run's report: tables for stdout, the verdict line, and the
 * checks behind it.
 *
 * @module
 */
import { formatMb, formatTable } from "@zmq-reliable/core/testing";
import { FAULT_KINDS } from "./faults.js";
import { type ChaosResult, SERVER_RSS_BOUND, type TopologyResult } from "./run.js";

/** The header of the request table (the CI test reads this table's zero columns). */
export const REQUEST_HEADER = ["topology", "sent", "ok", "failed", "gone", "lost", "misdelivered", "dup-exec", "crashes", "failovers", "gap-ms", "dual-active-ms", "probes"] as const;

/** Why one topology fails; empty when every check holds. */
function topologyFailures(t: TopologyResult): string[] {
  const r = t.requests;
  const out: string[] = [];
  if (r.lost > 0) out.push(`${r.lost} silently lost`);
  if (r.misdelivered > 0) out.push(`${r.misdelivered} misdelivered`);
  if (r.bogus > 0) out.push(`${r.bogus} outcome lines for unknown or already settled requests`);
  if (t.crashes.length > 0) out.push(`${t.crashes.length} crashes`);
  if ((t.rss[t.serverRole]?.peak ?? 0) > SERVER_RSS_BOUND) out.push(`${t.serverRole} RSS over the bound`);
  if (r.sent === 0 || r.ok === 0) out.push("no request answered");
  out.push(...t.problems);
  return out.map((f) => `${t.topology}: ${f}`);
}

/** Why the run fails; empty when every check holds. */
export function failures(result: ChaosResult): string[] {
  return result.topologies.flatMap(topologyFailures);
}

/** The tables, as printed on stdout. */
export function formatReport(result: ChaosResult): string {
  const ts = result.topologies;
  const parts: string[] = [];
  parts.push(
    formatTable(
      REQUEST_HEADER,
      ts.map((t) => {
        const r = t.requests;
        return [
          t.topology, r.sent, r.ok, r.failed, r.gone, r.lost, r.misdelivered, t.countsRuns ? r.duplicated : "-", t.crashes.length,
          t.failovers, r.longestGap, t.longestDualActive, `${t.probes.ok}/${t.probes.sent}`,
        ];
      }),
    ),
  );
  parts.push(formatTable(["fault", ...ts.map((t) => t.topology)], FAULT_KINDS.map((k) => [k, ...ts.map((t) => t.faults[k])])));
  parts.push(
    formatTable(
      ["topology", "role", "processes", "peak RSS", "bound"],
      ts.flatMap((t) => Object.entries(t.rss).map(([role, v]) => [t.topology, role, v.processes, formatMb(v.peak), role === t.serverRole ? formatMb(SERVER_RSS_BOUND) : "-"])),
    ),
  );
  const codes = ts.flatMap((t) => Object.entries(t.requests.codes).map(([c, n]) => [t.topology, c, n] as const));
  if (codes.length > 0) parts.push(formatTable(["topology", "failed (caller told)", "count"], codes));
  const notes: string[] = [];
  for (const t of ts) {
    const r = t.requests;
    if (t.countsRuns) notes.push(`${t.topology} executions: ${r.runs} in all, ${r.duplicated} requests ran more than once (most ${r.maxRuns}×)`);
    notes.push(...t.crashes.map((c) => `${t.topology} crash: ${c}`), ...t.problems.map((p) => `${t.topology} problem: ${p}`), ...r.examples.map((e) => `${t.topology} ${e}`));
  }
  if (notes.length > 0) parts.push(notes.join("\n"));
  return parts.join("\n\n");
}

/** The one verdict line. */
export function verdict(result: ChaosResult): string {
  const ts = result.topologies;
  const sum = (f: (t: TopologyResult) => number): number => ts.reduce((n, t) => n + f(t), 0);
  const why = failures(result);
  const peak = Math.max(0, ...ts.map((t) => t.rss[t.serverRole]?.peak ?? 0));
  const what = ts.length === 1 && ts[0]!.topology === "ha-majordomo" ? "broker" : "server";
  return (
    `chaos: seed ${result.seed}, ${result.duration} s, ${sum((t) => t.requests.sent)} requests: ${sum((t) => t.requests.lost)} lost, ` +
    `${sum((t) => t.requests.misdelivered)} misdelivered, ${sum((t) => t.crashes.length)} crashes, peak ${what} RSS ${formatMb(peak)} ` +
    `(bound ${SERVER_RSS_BOUND / 1024 / 1024} MB): ${why.length === 0 ? "PASS" : `FAIL (${why.join("; ")})`}`
  );
}
