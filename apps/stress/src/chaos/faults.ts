/**
 * The chaos run's seeded fault schedule: one fault every 1-3 s, drawn from
 * `seededRandom(seed)` (four draws per fault, always, so a seed gives the
 * same sequence of kinds, targets and durations whatever the cluster does).
 * A "server" is a broker of the HA pair, the PPP queue or a Binary Star
 * server: SIGKILL the active server and restart it after 0.5-2 s; SIGSTOP a
 * server for 0.2-3 s; SIGKILL a worker and start a new one; SIGSTOP a worker
 * for up to 2 s; SIGKILL a client and start a new one; tell a client to
 * send a burst of 100-1000 requests at once (a worker fault in a topology
 * without workers is skipped). A server fault first waits (at most
 * {@link SETTLE_TIMEOUT} ms) for the cluster to be settled (every server up;
 * a pair with one active and one passive); a cluster that does not settle is
 * an invariant failure.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { seededRandom } from "@zmq-reliable/core";
import type { Cluster } from "./cluster.js";

/** The kinds of fault, in the order the schedule draws them. */
export const FAULT_KINDS = ["kill-active-server", "stop-server", "kill-worker", "stop-worker", "kill-client", "burst"] as const;

/** One kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How long (ms) a server fault waits for the cluster to settle first. */
export const SETTLE_TIMEOUT = 10_000;

/** One fault as it happened. */
export interface FaultRecord {
  /** Milliseconds since the run started. */
  at: number;
  /** What was done. */
  kind: FaultKind;
  /** The process it hit. */
  target: string;
  /** Restart delay or freeze length in ms, when there is one. */
  ms?: number;
  /** Requests of a burst. */
  count?: number;
}

/** Polls `condition` every 20 ms until it holds (true) or `timeout` ms pass (false). */
export async function until(condition: () => boolean, timeout: number): Promise<boolean> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() >= end) return false;
    await sleep(20);
  }
  return true;
}

/** Runs the seeded schedule against a cluster. */
export class FaultSchedule {
  /** Every fault done, in order. */
  readonly log: FaultRecord[] = [];
  /** Invariant failures seen while running (a pair that did not settle, a restart that failed). */
  readonly problems: string[] = [];
  private readonly random: () => number;
  private readonly pending = new Set<Promise<void>>();

  /**
   * @param cluster - the cluster to hit.
   * @param seed - the schedule's seed.
   * @param startedAt - the run's start (epoch ms), for the log.
   * @param report - called with each fault's log line.
   * @param kinds - the kinds to draw from (default all, in {@link FAULT_KINDS} order).
   */
  constructor(
    private readonly cluster: Cluster,
    seed: number,
    private readonly startedAt: number,
    private readonly report: (line: string) => void,
    private readonly kinds: readonly FaultKind[] = FAULT_KINDS,
  ) {
    this.random = seededRandom(seed);
  }

  /**
   * Injects faults until `until` (epoch ms), then waits for every restart
   * and thaw it scheduled.
   *
   * @param end - when to stop injecting.
   */
  async run(end: number): Promise<void> {
    for (;;) {
      const delay = 1000 + Math.floor(this.random() * 2000);
      const kind = this.kinds[Math.floor(this.random() * this.kinds.length)]!;
      const pick = this.random();
      const length = this.random();
      if (Date.now() + delay >= end) break;
      await sleep(delay);
      try {
        await this.apply(kind, pick, length);
      } catch (err) {
        this.problems.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await Promise.all([...this.pending]);
  }

  private async apply(kind: FaultKind, pick: number, length: number): Promise<void> {
    const c = this.cluster;
    if (kind === "kill-active-server" || kind === "stop-server") {
      if (!(await until(() => c.settled(), SETTLE_TIMEOUT))) {
        this.problems.push(`${c.spec.name}: not settled within ${SETTLE_TIMEOUT} ms before ${kind} (${c.describe()})`);
        return;
      }
    }
    switch (kind) {
      case "kill-active-server": {
        const server = c.active!;
        const ms = 500 + Math.floor(length * 1500);
        const proc = c.servers[server]!;
        await proc.kill();
        this.record(kind, proc.name, ms);
        this.later(ms, async () => {
          await c.startServer(server);
        });
        return;
      }
      case "stop-server": {
        const server = c.spec.servers[Math.floor(pick * c.spec.servers.length)]!;
        const ms = 200 + Math.floor(length * 2800);
        const proc = c.servers[server]!;
        proc.stop();
        this.record(kind, `${proc.name}${c.paired && c.active === server ? " (active)" : ""}`, ms);
        this.later(ms, async () => proc.cont());
        return;
      }
      case "kill-worker":
      case "kill-client": {
        const list = kind === "kill-worker" ? c.workers : c.clients;
        const proc = list[Math.floor(pick * list.length)];
        if (!proc) return;
        await c.kill(proc);
        this.record(kind, proc.name);
        if (kind === "kill-worker") await c.startWorker();
        else await c.startClient();
        return;
      }
      case "burst": {
        const proc = c.clients[Math.floor(pick * c.clients.length)];
        if (!proc) return;
        const count = 100 + Math.floor(length * 900);
        proc.send(`burst ${count}`);
        this.record(kind, proc.name, undefined, count);
        return;
      }
      case "stop-worker": {
        const proc = c.workers[Math.floor(pick * c.workers.length)];
        if (!proc || proc.stopped) return;
        const ms = Math.floor(length * 2000);
        proc.stop();
        this.record(kind, proc.name, ms);
        this.later(ms, async () => proc.cont());
        return;
      }
    }
  }

  private record(kind: FaultKind, target: string, ms?: number, count?: number): void {
    const at = Date.now() - this.startedAt;
    this.log.push({ at, kind, target, ms, count });
    const what = ms !== undefined ? ` ${ms} ms` : count !== undefined ? ` ${count} requests` : "";
    this.report(`[+${(at / 1000).toFixed(3)}s] ${this.cluster.spec.name} fault ${kind} ${target}${what}`);
  }

  private later(ms: number, action: () => Promise<void>): void {
    const task = sleep(ms)
      .then(action)
      .catch((err: unknown) => {
        this.problems.push(`after a fault: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }
}
