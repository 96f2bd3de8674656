/**
 * A worker role's sessions: `concurrency` independent {@link WorkerLink}s
 * (each its own sockets, identity, heartbeats and reconnects) run as one, so
 * one process serves `concurrency` requests at once over wires that hand a
 * connection one request at a time (6/PPP, 7/MDP). One `start()`, one
 * `close({ timeout })`, one `phase` and the counters summed
 * ({@link sumLinkStats}). With one session it is that session, unchanged.
 *
 * @module
 */
import { InvalidOptionError } from "../pure/errors.js";
import type { LinkPhase, WorkerLinkStats } from "../machines/worker-link-types.js";
import type { WorkerLink } from "./worker-link.js";

/** The most sessions one worker role runs (`concurrency`). */
export const MAX_WORKER_CONCURRENCY = 1024;

/**
 * Checks a worker's `concurrency` option: an integer from 1 to
 * {@link MAX_WORKER_CONCURRENCY}; `undefined` is 1.
 *
 * @param given - the option as given.
 * @returns the number of sessions.
 * @throws {@link InvalidOptionError} naming `concurrency` for anything else.
 */
export function workerConcurrency(given: unknown): number {
  if (given === undefined) return 1;
  if (typeof given !== "number" || !Number.isInteger(given) || given < 1 || given > MAX_WORKER_CONCURRENCY) {
    throw new InvalidOptionError(`concurrency must be an integer from 1 to ${MAX_WORKER_CONCURRENCY}, got ${String(given)}`);
  }
  return given;
}

/**
 * Sums the counters of several sessions: every number added up, `drops`
 * merged by reason. One session's counters come back as they are.
 *
 * @param all - the sessions' counters (at least one).
 * @returns the totals.
 */
export function sumLinkStats<D extends string>(all: readonly WorkerLinkStats<D>[]): WorkerLinkStats<D> {
  if (all.length === 1) return all[0]!;
  const total = { ...all[0]!, drops: { ...all[0]!.drops } };
  const counters = total as unknown as Record<string, number>;
  const drops = total.drops as Record<string, number>;
  for (const stats of all.slice(1)) {
    for (const [key, value] of Object.entries(stats)) {
      if (typeof value === "number") counters[key] = (counters[key] ?? 0) + value;
    }
    for (const [reason, count] of Object.entries(stats.drops as Record<string, number>)) drops[reason] = (drops[reason] ?? 0) + count;
  }
  return total;
}

/**
 * The phase of several sessions as one: `idle` or `closed` when every
 * session is; otherwise `closing` if any is closing, else `connected` if any
 * is connected, else `waiting`.
 *
 * @param phases - the sessions' phases (at least one).
 * @returns the role's phase.
 */
export function poolPhase(phases: readonly LinkPhase[]): LinkPhase {
  const first = phases[0]!;
  if (phases.every((p) => p === first)) return first;
  for (const phase of ["closing", "connected", "waiting"] as const) if (phases.includes(phase)) return phase;
  return phases.includes("idle") ? "idle" : "closed";
}

/**
 * Runs `concurrency` {@link WorkerLink}s as one; see the module comment. The
 * links share the role's handler and options; `make` builds session `i`
 * (0-based), with its events already forwarded to the role.
 */
export class WorkerLinkPool<R, D extends string> {
  private readonly sessions: WorkerLink<R, D>[];
  private closing = false;

  /**
   * @param concurrency - how many sessions (from {@link workerConcurrency}).
   * @param make - builds session `i`; called again for a session replaced after a failed `start()`.
   */
  constructor(
    concurrency: number,
    private readonly make: (session: number) => WorkerLink<R, D>,
  ) {
    this.sessions = Array.from({ length: concurrency }, (_, i) => make(i));
  }

  /** The sessions, in order (session 0 first). */
  get links(): readonly WorkerLink<R, D>[] {
    return this.sessions;
  }

  /** Where the sessions are in their life, as one ({@link poolPhase}). */
  get phase(): LinkPhase {
    return poolPhase(this.sessions.map((l) => l.phase));
  }

  /** The sessions' counters summed ({@link sumLinkStats}). */
  stats(): WorkerLinkStats<D> {
    return sumLinkStats(this.sessions.map((l) => l.stats()));
  }

  /**
   * Starts every session. Idempotent; when one fails, the ones that started
   * are closed and replaced by fresh ones, so a retry starts them all afresh.
   *
   * @throws the first session's failure (a `SocketError` naming the endpoint); `ClosedError` after close.
   */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.sessions.map((l) => l.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (!failed) return;
    if (!this.closing) {
      const started = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      await Promise.all(started.map((i) => this.sessions[i]!.close(0)));
      if (!this.closing) for (const i of started) this.sessions[i] = this.make(i);
    }
    throw failed.reason;
  }

  /**
   * Closes every session at once, each finishing its request in hand for at
   * most `timeout` ms. Idempotent.
   *
   * @param timeout - ms to wait for the requests in hand; `Infinity` waits as long as it takes.
   */
  async close(timeout: number): Promise<void> {
    this.closing = true;
    await Promise.all(this.sessions.map((l) => l.close(timeout)));
  }
}
