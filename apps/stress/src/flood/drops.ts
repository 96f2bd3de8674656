/**
 * The drops a target counted, read from its own output: the broker's
 * and the PPP queue's rate-limited drop lines and their summaries
 * (`--log-format json`), the Binary Star CLI's `drop reason=` lines
 * (`--verbose`) and the Lazy Pirate target's final `drops` line.
 *
 * @module
 */
import type { Proc } from "./proc.js";

/** Drops per reason. */
export type DropCounts = Record<string, number>;

// On raw JSON lines (cheap: no JSON.parse per line of a verbose target).
const LOGGED = /"message":"(?:drop|dropped) \(([^)"]+)\)/;
const SUMMARY = /"message":"(\d+) more drops? \(([^)"]+)\) not logged/;
const BSTAR = /^drop reason=(\S+)/;
const FINAL = /^drops (\{.*\})$/;

/**
 * Counts the drops `proc` reports, per reason, from now on.
 *
 * @param proc - the target.
 * @returns the live tally (read it after the target stopped: the last summaries come at close).
 */
export function countDrops(proc: Proc): DropCounts {
  const counts: DropCounts = {};
  const add = (reason: string, n: number) => {
    counts[reason] = (counts[reason] ?? 0) + n;
  };
  proc.onLine((line, stream) => {
    if (stream === "stderr") {
      if (!line.includes("drop")) return;
      const summary = SUMMARY.exec(line);
      if (summary) return add(summary[2]!, Number(summary[1]));
      const logged = LOGGED.exec(line);
      if (logged) add(logged[1]!, 1);
      return;
    }
    const bstar = BSTAR.exec(line);
    if (bstar) return add(bstar[1]!, 1);
    const final = FINAL.exec(line);
    if (final) for (const [reason, n] of Object.entries(JSON.parse(final[1]!) as DropCounts)) add(reason, n);
  });
  return counts;
}

/**
 * Drops as a short cell, `expired=1200 queue-full=3`, or `0`.
 *
 * @param counts - the tally.
 */
export function formatDrops(counts: DropCounts): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? "0" : entries.map(([r, n]) => `${r}=${n}`).join(" ");
}
