/**
 * Starting the processes the scenarios measure (the real CLIs and the bench's
 * programs) and reading what they print: endpoints from start lines, the next
 * matching line after a moment.
 *
 * @module
 */
import type { BenchContext, BenchProcess, Stream } from "./types.js";

/**
 * A `key=value` field of a start line (the first of a comma-separated list).
 *
 * @param line - e.g. `started bind=tcp://127.0.0.1:40123 heartbeat=2500 …`.
 * @param key - e.g. `bind`.
 */
export function field(line: string, key: string): string {
  const value = new RegExp(`(?:^| )${key}=([^ ,]+)`).exec(line)?.[1];
  if (value === undefined) throw new Error(`no ${key}= in ${JSON.stringify(line)}`);
  return value;
}

/**
 * Starts a process and waits for its start line (`started …` on stdout).
 *
 * @param ctx - the scenario's context.
 * @param name - a short name.
 * @param script - the JavaScript file.
 * @param args - its arguments.
 * @returns the process and its start line.
 */
export async function launch(ctx: BenchContext, name: string, script: string, args: readonly string[] = []): Promise<{ proc: BenchProcess; line: string }> {
  const proc = ctx.spawn(name, script, args);
  return { proc, line: await proc.waitForLine(/^started/, 60_000) };
}

/**
 * The broker-worker heartbeat (ms) of the throughput scenarios: the broker's
 * default (2500) in a full run; 250 in a quick one, so workers register fast.
 *
 * @param ctx - the scenario's context.
 */
export function mdpHeartbeat(ctx: BenchContext): number {
  return ctx.count(2500, 250);
}

/** A Majordomo broker CLI on a free loopback port, its endpoint read back. */
export async function majordomoBroker(ctx: BenchContext, name: string, args: readonly string[] = []): Promise<{ proc: BenchProcess; endpoint: string }> {
  const { proc, line } = await launch(ctx, name, ctx.paths.cli.majordomoBroker, ["--bind", "tcp://127.0.0.1:*", ...args]);
  return { proc, endpoint: field(line, "bind") };
}

/** A Paranoid Pirate queue CLI on free loopback ports, its endpoints read back. */
export async function paranoidPirateQueue(ctx: BenchContext, name: string, args: readonly string[] = []): Promise<{ proc: BenchProcess; frontend: string; backend: string }> {
  const { proc, line } = await launch(ctx, name, ctx.paths.cli.paranoidPirateQueue, ["--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", ...args]);
  return { proc, frontend: field(line, "frontend"), backend: field(line, "backend") };
}

/**
 * The raw forwarder (the baseline of scenarios 2 and 3) on free loopback ports.
 *
 * @param ctx - the scenario's context.
 * @param protocol - `ppp` (frontend and backend) or `mdp` (one ROUTER, `frontend`).
 */
export async function forwarder(ctx: BenchContext, protocol: "ppp" | "mdp"): Promise<{ proc: BenchProcess; frontend: string; backend: string }> {
  const { proc, line } = await launch(ctx, `forwarder-${protocol}`, ctx.paths.program("forwarder"), ["--protocol", protocol]);
  return { proc, frontend: field(line, "frontend"), backend: field(line, "backend") };
}

/**
 * Raw MDP or PPP workers (`src/programs/raw-workers.ts`), waited for until
 * every one has heard from its broker (is registered).
 *
 * @param ctx - the scenario's context.
 * @param options - protocol, endpoint, count, heartbeat (ms), mode.
 */
export async function rawWorkers(ctx: BenchContext, options: { protocol: "mdp" | "ppp"; endpoint: string; count: number; heartbeat?: number; mode?: "echo" | "hold" }): Promise<BenchProcess> {
  const { protocol, endpoint, count, heartbeat = 2500, mode = "echo" } = options;
  const proc = ctx.spawn(`${protocol}-workers`, ctx.paths.program("raw-workers"), ["--protocol", protocol, "--endpoint", endpoint, "--count", String(count), "--heartbeat", String(heartbeat), "--mode", mode]);
  await proc.waitForLine(/^heard /, 60_000 + 3 * heartbeat);
  return proc;
}

/**
 * Resolves with the time (`performance.now()`) and text of the next line on
 * `stream` matching `pattern` after this call (earlier lines do not count).
 *
 * @param proc - the process.
 * @param pattern - what to wait for.
 * @param stream - where.
 * @param timeout - ms before it rejects.
 */
export function nextLine(proc: BenchProcess, pattern: RegExp, stream: Stream, timeout: number): Promise<{ at: number; line: string }> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`${proc.name}: no line matching ${pattern} on ${stream} within ${timeout} ms`));
    }, timeout);
    proc.onLine((line, from) => {
      if (done || from !== stream || !pattern.test(line)) return;
      done = true;
      clearTimeout(timer);
      resolve({ at: performance.now(), line });
    });
  });
}
