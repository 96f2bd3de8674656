/**
 * One fuzz run: start the targets, fuzz every socket while probing, then
 * check each target (still running, exits 0 on SIGTERM, served every probe,
 * stderr small and escaped, peak RSS under the bound, a pair with exactly
 * one active node) and collect the figures.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killChildrenNow, stderrFigures, type TargetProcess } from "./processes.js";
import { Prober } from "./probes.js";
import { FuzzRow } from "./senders.js";
import { startTarget, type Target } from "./targets.js";
import type { FuzzArgs } from "./args.js";
import type { MutationKind } from "./generator.js";

/** Peak RSS allowed per process under test, bytes. */
export const RSS_BOUND = 256 * 1024 * 1024;
/** Stderr lines allowed per process: this many per started 10 s of run, plus the same again (start and stop lines). */
export const STDERR_LINES_PER_10S = 200;

/** Figures of one target. */
export interface TargetResult {
  /** Target name. */
  target: string;
  /** Its fuzzed sockets. */
  rows: RowResult[];
  /** Probes answered with their own body in time, and sent. */
  probes: { ok: number; total: number; failures: string[] };
  /** Processes that died or did not exit 0 on SIGTERM. */
  crashes: number;
  /** Per process: how it ended, stderr figures, peak RSS. */
  processes: { name: string; pid: number; exit: string; stderrLines: number; stderrBytes: number; stderrControls: number; peakRss: number }[];
  /** A pair's "exactly one active" failure, if any. */
  pair: string | undefined;
  /** Every failed check, in words (empty: PASS). */
  problems: string[];
}

/** Figures of one fuzzed socket. */
export interface RowResult {
  /** The socket. */
  socket: string;
  /** Messages sent. */
  sent: number;
  /** Sends that timed out (the connection was replaced). */
  blocked: number;
  /** Connections replaced. */
  reconnects: number;
  /** Replies and heartbeats read back. */
  received: number;
  /** Messages per mutation kind. */
  kinds: Record<MutationKind, number>;
}

/** The whole run. */
export interface FuzzResult {
  /** Seed and count asked for. */
  seed: number;
  /** Messages asked for. */
  count: number;
  /** Messages sent. */
  sent: number;
  /** Wall time of the fuzzing phase, ms. */
  fuzzMs: number;
  /** Wall time of the whole run, ms. */
  totalMs: number;
  /** Per target. */
  targets: TargetResult[];
  /** Whether every check held. */
  pass: boolean;
}

function fnv(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Writes progress to stderr: `\r` updates on a terminal, else a line every few seconds. */
function progress(text: () => string): () => void {
  const tty = process.stderr.isTTY;
  const timer = setInterval(() => process.stderr.write(tty ? `\r${text()}   ` : `${text()}\n`), tty ? 500 : 3_000);
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write(`\r${text()}\n`);
  };
}

/**
 * Runs the fuzz and returns its figures. Every child is stopped before it
 * returns; a hard deadline (`hardDeadline` ms) kills them all and exits 1.
 *
 * @param args - the parsed command line.
 * @param hardDeadline - whole-run deadline, ms.
 */
export async function runFuzz(args: FuzzArgs, hardDeadline: number): Promise<FuzzResult> {
  const started = Date.now();
  const deadline = setTimeout(() => {
    process.stderr.write(`\nfuzz: hard deadline of ${hardDeadline} ms passed: killing everything\n`);
    killChildrenNow();
    process.exit(1);
  }, hardDeadline);
  const targets: Target[] = [];
  const rowsOf = new Map<Target, FuzzRow[]>();
  try {
    for (const name of args.targets) targets.push(await startTarget(name));
    const specs = targets.flatMap((t) => t.rows.map((spec) => ({ t, spec })));
    specs.forEach(({ t, spec }, i) => {
      const share = Math.floor(args.count / specs.length) + (i < args.count % specs.length ? 1 : 0);
      const row = new FuzzRow(spec, fnv(`${spec.target}/${spec.socket}`, args.seed), share);
      rowsOf.set(t, [...(rowsOf.get(t) ?? []), row]);
    });
    const rows = [...rowsOf.values()].flat();
    for (const row of rows) await row.open();
    for (const t of targets) t.relay?.((row, index, frames) => rowsOf.get(t)![row]?.forward(index, frames));
    const startProblems = new Map<Target, string>();
    for (const t of targets) {
      const bad = await t.checkPair?.(10_000);
      if (bad) startProblems.set(t, `pair at start: ${bad}`);
    }
    const probers = new Map(targets.map((t) => [t, new Prober(t, fnv(t.name, args.seed ^ 0x5bd1e995))] as const));
    await Promise.all([...probers.values()].map((p) => p.one()));

    const sent = () => rows.reduce((n, r) => n + r.figures.sent, 0);
    const fuzzStart = Date.now();
    const probesText = () => {
      const ok = [...probers.values()].reduce((n, p) => n + p.ok, 0);
      const total = [...probers.values()].reduce((n, p) => n + p.total, 0);
      return `probes ${ok}/${total} ok`;
    };
    const stopProgress = progress(() => {
      const s = (Date.now() - fuzzStart) / 1000;
      return `fuzz: ${sent()}/${args.count} sent (${Math.round(sent() / Math.max(s, 0.001))} msg/s), ${probesText()}, ${s.toFixed(0)} s`;
    });
    let done = false;
    const probing = targets.map((t) => {
      const own = rowsOf.get(t)!;
      const share = own.reduce((n, r) => n + r.share, 0);
      return probers.get(t)!.during(() => own.reduce((n, r) => n + r.figures.sent, 0), Math.max(1, Math.floor(share / 50)), () => done);
    });
    await Promise.all(rows.map((r) => r.run()));
    done = true;
    const fuzzMs = Date.now() - fuzzStart;
    await Promise.all(probing);
    stopProgress();

    // After the storm: a pair must settle with exactly one active node, and every target serves.
    const pairs = new Map<Target, string | undefined>();
    for (const t of targets) pairs.set(t, startProblems.get(t) ?? (await t.checkPair?.(5_000)));
    await Promise.all([...probers.values()].map((p) => p.one()));

    for (const t of targets) await t.close();
    const processes = targets.flatMap((t) => t.processes);
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all(rows.map((r) => r.close()));

    if (args.logs) {
      mkdirSync(args.logs, { recursive: true });
      for (const t of targets) for (const p of t.processes) writeFileSync(join(args.logs, `${t.name}.${p.name}.stderr`), p.stderr);
    }
    const totalMs = Date.now() - started;
    const lineBound = STDERR_LINES_PER_10S * (Math.ceil(totalMs / 10_000) + 1);
    const results = targets.map((t) => targetResult(t, rowsOf.get(t)!, probers.get(t)!, pairs.get(t), lineBound));
    return {
      seed: args.seed,
      count: args.count,
      sent: sent(),
      fuzzMs,
      totalMs,
      targets: results,
      pass: results.every((r) => r.problems.length === 0),
    };
  } finally {
    clearTimeout(deadline);
    for (const t of targets) await t.close().catch(() => undefined);
    for (const row of rowsOf.values()) for (const r of row) await r.close().catch(() => undefined);
    killChildrenNow();
  }
}

function targetResult(t: Target, rows: FuzzRow[], prober: Prober, pair: string | undefined, lineBound: number): TargetResult {
  const problems: string[] = [];
  const processes = t.processes.map((p: TargetProcess) => {
    const figures = stderrFigures(p.stderr);
    if (p.crashed) problems.push(`${p.name}: ${p.exit}`);
    if (figures.lines > lineBound) problems.push(`${p.name}: ${figures.lines} stderr lines (bound ${lineBound})`);
    if (figures.controls > 0) problems.push(`${p.name}: ${figures.controls} raw control characters on stderr`);
    if (p.peakRss > RSS_BOUND) problems.push(`${p.name}: peak RSS ${p.peakRss} bytes over the bound`);
    return { name: p.name, pid: p.child?.pid ?? -1, exit: p.exit, stderrLines: figures.lines, stderrBytes: figures.bytes, stderrControls: figures.controls, peakRss: p.peakRss };
  });
  if (prober.ok < prober.total) problems.push(`${prober.total - prober.ok} of ${prober.total} probes failed: ${prober.failures.slice(0, 3).join("; ")}`);
  if (pair) problems.push(`pair: ${pair}`);
  return {
    target: t.name,
    rows: rows.map((r) => ({ socket: r.spec.socket, sent: r.figures.sent, blocked: r.figures.blocked, reconnects: r.figures.reconnects, received: r.figures.received, kinds: { ...r.generator.counts } })),
    probes: { ok: prober.ok, total: prober.total, failures: prober.failures },
    crashes: t.processes.filter((p) => p.crashed).length,
    processes,
    pair,
    problems,
  };
}
