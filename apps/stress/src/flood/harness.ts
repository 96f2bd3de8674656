/**
 * The pieces every flood scenario is made of: a target process with its
 * RSS sampled and its drops counted, flooder child processes, a row of the
 * report, and the progress line.
 *
 * @module
 */
import { formatMb, RssSampler } from "@zmq-reliable/core/testing";
import { countDrops, type DropCounts } from "./drops.js";
import type { FloodSpec } from "./flooder.js";
import { PROGRAMS, Proc } from "./proc.js";
import type { ProbeResult } from "./wire.js";

/** A target process under flood. */
export interface Target {
  /** The process. */
  readonly proc: Proc;
  /** Its start line's `key=value` fields. */
  readonly fields: Record<string, string>;
  /** Its drops so far, per reason. */
  readonly drops: DropCounts;
  /** Its resident memory. */
  readonly rss: RssSampler;
}

/**
 * Parses `key=value` fields of a start line.
 *
 * @param line - the line.
 */
export function parseFields(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of line.matchAll(/(\S+?)=("(?:[^"\\]|\\.)*"|\S*)/g)) fields[match[1]!] = match[2]!.startsWith('"') ? (JSON.parse(match[2]!) as string) : match[2]!;
  return fields;
}

/**
 * Starts a target and waits for its start line (`ready`, default `^started `).
 *
 * @param name - short name for messages.
 * @param script - the CLI or script.
 * @param args - its arguments.
 * @param ready - the start line's pattern.
 */
export async function startTarget(name: string, script: string, args: readonly string[], ready = /^started /): Promise<Target> {
  const proc = new Proc(name, script, args);
  const drops = countDrops(proc);
  const line = await proc.waitForLine(ready, 15_000);
  return { proc, fields: parseFields(line), drops, rss: new RssSampler(proc.pid, 50) };
}

/**
 * Stops a target (SIGTERM, so it writes its last drop summaries) and
 * returns its peak RSS and how it ended.
 *
 * @param target - the target.
 */
export async function stopTarget(target: Target): Promise<{ peak: number; exit: number | string; crashed: boolean }> {
  const crashed = !target.proc.running;
  const peak = target.rss.stop();
  const exit = await target.proc.stop(5000);
  return { peak, exit, crashed: crashed || exit !== 0 };
}

/** A flooder child process. */
export interface Flood {
  /** The process. */
  readonly proc: Proc;
  /** Requests and bytes sent so far. */
  readonly sent: { count: number; bytes: number };
  /** Resolves when the flood is over (its `done` line, or its exit). */
  readonly done: Promise<{ count: number; bytes: number }>;
  /** Ends the flood early (SIGTERM) and waits for it. */
  stop(): Promise<{ count: number; bytes: number }>;
}

/**
 * Starts a flooder child process.
 *
 * @param name - short name.
 * @param spec - what it sends.
 */
export function startFlood(name: string, spec: FloodSpec): Flood {
  const proc = new Proc(name, PROGRAMS.flooder, [JSON.stringify(spec)]);
  const sent = { count: 0, bytes: 0 };
  proc.onLine((line, stream) => {
    const m = stream === "stdout" ? /^(?:progress|done) sent=(\d+) bytes=(\d+)/.exec(line) : null;
    if (m) {
      sent.count = Number(m[1]);
      sent.bytes = Number(m[2]);
    }
  });
  const done = proc.exited.then(() => ({ ...sent }));
  return {
    proc,
    sent,
    done,
    stop: async () => {
      await proc.stop(3000);
      return { ...sent };
    },
  };
}

/** One check of a row: what must hold and whether it did. */
export interface Check {
  /** What. */
  readonly name: string;
  /** Whether it held. */
  readonly ok: boolean;
}

/** One scenario's figures: a row of the table. */
export interface RowResult {
  /** Row number (1..6), as in the findings. */
  readonly row: number;
  /** What it floods. */
  readonly scenario: string;
  /** Requests sent by the flooders. */
  sent: number;
  /** Their bytes. */
  sentBytes: number;
  /** The target's peak resident memory (the highest of its processes). */
  peakRss: number;
  /** The bound, bytes. */
  bound: number;
  /** The normal client during the flood; `undefined` where the scenario has none. */
  normal: ProbeResult | undefined;
  /** Drops the target counted, per reason. */
  drops: DropCounts;
  /** Whether the target's drops could be read (`false`: the cell says `n/a`). */
  dropsCounted: boolean;
  /** Further figures, `name=value`. */
  notes: string[];
  /** The checks; the row passes when all hold. */
  checks: Check[];
  /** The target's exit after SIGTERM (0 expected). */
  exit: number | string;
}

/**
 * Whether every check of a row held.
 *
 * @param row - the row.
 */
export function passed(row: RowResult): boolean {
  return row.checks.every((c) => c.ok);
}

/**
 * The standard checks every row has: the target stayed under the bound, did
 * not crash, and served the normal client (where there is one).
 *
 * @param row - the row (its figures filled in).
 * @param crashed - whether the target died or exited non-zero.
 */
export function standardChecks(row: RowResult, crashed: boolean): Check[] {
  const checks: Check[] = [
    { name: `peak RSS ${formatMb(row.peakRss)} <= ${formatMb(row.bound)}`, ok: row.peakRss > 0 && row.peakRss <= row.bound },
    { name: `target alive, exit 0 after SIGTERM (got ${row.exit})`, ok: !crashed },
  ];
  if (row.normal) checks.push({ name: `normal client answered ${row.normal.answered}/${row.normal.sent}`, ok: row.normal.sent > 0 && row.normal.answered === row.normal.sent });
  return checks;
}

/**
 * Waits `ms` milliseconds, showing progress every 250 ms (a paced wait in a
 * scenario's schedule, such as letting requests expire; never a wait for a condition).
 *
 * @param ms - how long.
 * @param tick - called every 250 ms.
 */
export async function hold(ms: number, tick: () => void): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    tick();
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, end - performance.now())));
  }
}

/**
 * Resolves when `promise` does, or rejects after `ms` ms.
 *
 * @param promise - what to wait for.
 * @param ms - the deadline.
 * @param what - for the error message.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once `condition()` holds, checking every 50 ms (wrap it in
 * {@link within} for a deadline).
 *
 * @param condition - what to wait for.
 * @param tick - called at each check.
 */
export async function waitUntil(condition: () => boolean, tick: () => void = () => undefined): Promise<void> {
  while (!condition()) {
    tick();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
