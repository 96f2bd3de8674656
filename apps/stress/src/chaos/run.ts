/**
 * One chaos run on the HA Majordomo topology, start to finish: start the
 * cluster, run the seeded faults for the duration, settle, probe, let the
 * clients finish, SIGTERM everything, and gather the figures.
 *
 * @module
 */
import { MajordomoClient } from "@zmq-reliable/majordomo";
import { type ClusterSettings, HaCluster } from "./cluster.js";
import { FAULT_KINDS, type FaultKind, type FaultRecord, FaultSchedule, until } from "./faults.js";
import type { LedgerTotals } from "./ledger.js";
import type { ChaosArgs } from "./args.js";
import type { Proc } from "./proc.js";

/** Peak resident memory allowed per broker process. */
export const BROKER_RSS_BOUND = 256 * 1024 * 1024;

/** Probe requests sent once the cluster has settled after the faults; all must succeed. */
export const PROBES = 20;

/** Timings of the cluster (short, so faults and failovers happen quickly). */
export const SETTINGS: Omit<ClusterSettings, "seed"> = {
  heartbeat: 100,
  mdpHeartbeat: 100,
  liveness: 3,
  // 400 ms × 15 sends = 6 s: outlasts the longest broker freeze (3 s) plus a failover.
  timeout: 400,
  attempts: 15,
  inFlight: 3,
  pause: 20,
};

/** Everything a chaos run measured. */
export interface ChaosResult {
  /** The seed. */
  seed: number;
  /** Seconds of faults. */
  duration: number;
  /** The topology. */
  topology: "ha-majordomo";
  /** Wall time of the whole run in ms. */
  elapsed: number;
  /** The request accounting. */
  requests: LedgerTotals;
  /** Faults done, by kind. */
  faults: Record<FaultKind, number>;
  /** Every fault, in order. */
  faultLog: FaultRecord[];
  /** Broker transitions to active after the first. */
  failovers: number;
  /** Longest time (ms) both brokers said they were active (a frozen one included). */
  longestDualActive: number;
  /** The final probes: sent and answered correctly. */
  probes: { sent: number; ok: number };
  /** Processes that crashed, hung or exited non-zero when they should not have. */
  crashes: string[];
  /** Other invariant failures (pair not settled, a restart that failed, …). */
  problems: string[];
  /** Peak RSS per role in bytes, and how many processes of it ran. */
  rss: Record<string, { processes: number; peak: number }>;
  /** The pid of every process the run started (all gone by the end). */
  pids: number[];
}

/**
 * Runs the chaos schedule.
 *
 * @param args - the command line.
 * @param say - where progress and fault lines go (stderr).
 * @param progress - called with the running counts every second.
 */
export async function runChaos(args: ChaosArgs, say: (line: string) => void, progress: (line: string) => void): Promise<ChaosResult> {
  const startedAt = Date.now();
  const cluster = await HaCluster.create({ seed: args.seed, ...SETTINGS });
  const faults = new FaultSchedule(cluster, args.seed, startedAt, say);
  const problems = faults.problems;
  const stamp = (): string => `[+${((Date.now() - startedAt) / 1000).toFixed(3)}s]`;
  cluster.onSpawn = (proc) => say(`${stamp()} start ${proc.name} pid=${proc.pid}`);

  await cluster.startBroker("primary");
  await cluster.startBroker("backup");
  if (!(await until(() => cluster.settled(), 10_000))) problems.push("the pair did not settle after start");
  await Promise.all(Array.from({ length: args.workers }, () => cluster.startWorker()));
  await Promise.all(Array.from({ length: args.clients }, () => cluster.startClient()));
  const faultsFrom = Date.now();
  say(`${stamp()} cluster up: 2 brokers, ${args.workers} workers, ${args.clients} clients; faults for ${args.duration} s`);

  const ticker = setInterval(() => {
    const p = cluster.ledger.progress();
    progress(`chaos +${Math.round((Date.now() - startedAt) / 1000)}s: ${p.sent} sent, ${p.ok} ok, ${p.failed} failed, ${faults.log.length} faults, primary ${cluster.state.primary}, backup ${cluster.state.backup}`);
  }, 1000);
  try {
    await faults.run(faultsFrom + args.duration * 1000);
  } finally {
    clearInterval(ticker);
  }

  say(`${stamp()} faults over; settling`);
  for (const proc of cluster.all) if (proc.stopped) proc.cont();
  if (!(await until(() => cluster.settled(), 15_000))) problems.push(`the pair did not settle after the faults (primary ${cluster.state.primary}, backup ${cluster.state.backup})`);
  const probes = await probe(cluster.endpoints);
  if (probes.ok < probes.sent) problems.push(`${probes.sent - probes.ok} of ${probes.sent} probes failed${probes.error ? `: ${probes.error}` : ""}`);
  cluster.ledger.closeGap(Date.now());

  // Let every client finish what it has in flight, within its retry budget.
  const budget = SETTINGS.timeout * SETTINGS.attempts + 10_000;
  for (const client of cluster.clients) {
    client.terminated = true;
    client.send("stop");
  }
  await stopAll(cluster.clients, budget, "did not finish its requests", problems);
  if (!cluster.settled()) problems.push(`no single active broker at the end (primary ${cluster.state.primary}, backup ${cluster.state.backup})`);
  for (const proc of [...cluster.workers, cluster.brokers.primary, cluster.brokers.backup]) proc?.term();
  await stopAll([...cluster.workers, cluster.brokers.primary!, cluster.brokers.backup!], 5000, "did not exit after SIGTERM", problems);

  const rss: ChaosResult["rss"] = {};
  for (const proc of cluster.all) {
    const entry = (rss[proc.role] ??= { processes: 0, peak: 0 });
    entry.processes++;
    entry.peak = Math.max(entry.peak, proc.rss.peak);
  }
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const f of faults.log) counts[f.kind]++;
  return {
    seed: args.seed,
    duration: args.duration,
    topology: "ha-majordomo",
    elapsed: Date.now() - startedAt,
    requests: cluster.ledger.totals(),
    faults: counts,
    faultLog: faults.log,
    failovers: cluster.failovers,
    longestDualActive: cluster.longestDualActive,
    probes: { sent: probes.sent, ok: probes.ok },
    crashes: cluster.all.map((p) => p.crash()).filter((c): c is string => c !== undefined),
    problems,
    rss,
    pids: cluster.all.map((p) => p.pid),
  };
}

/** Waits for processes to exit; SIGKILLs (and reports) those still running after `timeout` ms. */
async function stopAll(procs: Proc[], timeout: number, what: string, problems: string[]): Promise<void> {
  await until(() => procs.every((p) => !p.running), timeout);
  for (const proc of procs) {
    if (!proc.running) continue;
    problems.push(`${proc.name} ${what} within ${timeout} ms`);
    await proc.kill();
  }
}

/** Sends {@link PROBES} echo requests, one after the other, through a client of our own. */
async function probe(endpoints: string[]): Promise<{ sent: number; ok: number; error?: string }> {
  const client = new MajordomoClient({ endpoint: endpoints, timeout: 500, attempts: 20 });
  let ok = 0;
  let error: string | undefined;
  try {
    for (let i = 0; i < PROBES; i++) {
      const body = `probe-${i}-${Date.now()}`;
      try {
        const reply = await client.request("echo", [`probe-${i}`, body]);
        if (reply.length === 2 && reply[1]!.toString() === body) ok++;
        else error = `probe ${i} got ${JSON.stringify(reply.map(String))}`;
      } catch (err) {
        error = `probe ${i}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  } finally {
    await client.close();
  }
  return { sent: PROBES, ok, error };
}
