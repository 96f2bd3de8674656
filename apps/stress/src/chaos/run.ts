/**
 * One chaos run: for each topology asked for (concurrently, each with its
 * own cluster and schedule), start the cluster, run the seeded faults for
 * the duration, settle, probe, let the clients finish, SIGTERM everything,
 * and gather the figures.
 *
 * @module
 */
import type { ChaosArgs } from "./args.js";
import { Cluster, type ClusterSettings } from "./cluster.js";
import { FAULT_KINDS, type FaultKind, type FaultRecord, FaultSchedule, until } from "./faults.js";
import type { LedgerTotals } from "./ledger.js";
import { probe } from "./probe.js";
import type { Proc } from "./proc.js";
import { SPECS, type TopologyName } from "./topology.js";

/** Peak resident memory allowed per server process (broker, queue, Binary Star server). */
export const SERVER_RSS_BOUND = 256 * 1024 * 1024;

/** Timings of every cluster (short, so faults and failovers happen quickly). */
export const SETTINGS: Omit<ClusterSettings, "seed"> = {
  heartbeat: 100,
  liveness: 3,
  // 400 ms × 15 sends = 6 s: outlasts the longest server freeze (3 s) plus a failover or restart. `--timeout` overrides it.
  timeout: 400,
  attempts: 15,
  inFlight: 3,
  pause: 20,
};

/** Client and worker processes per topology (`--clients`/`--workers` size ha-majordomo; the others run half, at least 1). */
function sizes(name: TopologyName, args: ChaosArgs): { workers: number; clients: number } {
  if (name === "ha-majordomo") return { workers: args.workers, clients: args.clients };
  const half = (n: number): number => Math.max(1, Math.floor(n / 2));
  return { workers: SPECS[name].worker ? half(args.workers) : 0, clients: half(args.clients) };
}

/** Schedule seed per topology: ha-majordomo uses the seed itself, so adding topologies does not change its schedule. */
const SEED_SALT: Record<TopologyName, number> = { "ha-majordomo": 0, ppp: 0x5050, "binary-star": 0xb5b5 };

/** What a chaos run measured for one topology. */
export interface TopologyResult {
  /** The topology. */
  topology: TopologyName;
  /** What its server processes are (`broker`, `queue`, `server`). */
  serverRole: string;
  /** Whether executions are counted (topologies with workers). */
  countsRuns: boolean;
  /** The request accounting. */
  requests: LedgerTotals;
  /** Faults done, by kind. */
  faults: Record<FaultKind, number>;
  /** Every fault, in order. */
  faultLog: FaultRecord[];
  /** Transitions to active after the first (pairs). */
  failovers: number;
  /** Longest time (ms) both members of a pair said they were active (a frozen one included). */
  longestDualActive: number;
  /** The final probes: sent and answered correctly. */
  probes: { sent: number; ok: number };
  /** Processes that crashed, hung or exited non-zero when they should not have. */
  crashes: string[];
  /** Other invariant failures (not settled, a restart that failed, …). */
  problems: string[];
  /** Peak RSS per role in bytes, and how many processes of it ran. */
  rss: Record<string, { processes: number; peak: number }>;
  /** The pid of every process started (all gone by the end). */
  pids: number[];
}

/** Everything a chaos run measured. */
export interface ChaosResult {
  /** The seed. */
  seed: number;
  /** Seconds of faults. */
  duration: number;
  /** Wall time of the whole run in ms. */
  elapsed: number;
  /** Per topology. */
  topologies: TopologyResult[];
}

/** What {@link runChaos} reports while it runs. */
export interface ChaosOutput {
  /** A log line (fault, process start) for stderr. */
  say(line: string): void;
  /** The running counts, every second. */
  progress(line: string): void;
}

/**
 * Runs the chaos schedule on every topology of `args`, at the same time.
 *
 * @param args - the command line.
 * @param output - where progress and log lines go.
 */
export async function runChaos(args: ChaosArgs, output: ChaosOutput): Promise<ChaosResult> {
  const startedAt = Date.now();
  const clusters = new Map<TopologyName, { cluster: Cluster; faults: FaultSchedule }>();
  const ticker = setInterval(() => {
    const parts = [...clusters.values()].map(({ cluster, faults }) => {
      const p = cluster.ledger.progress();
      return `${cluster.spec.name} ${p.sent} sent, ${p.ok} ok, ${p.failed} failed, ${faults.log.length} faults (${cluster.describe()})`;
    });
    output.progress(`chaos +${Math.round((Date.now() - startedAt) / 1000)}s: ${parts.join("; ")}`);
  }, 1000);
  try {
    const topologies = await Promise.all(
      args.topology.map((name) => runTopology(name, args, startedAt, output, (c, f) => clusters.set(name, { cluster: c, faults: f }))),
    );
    return { seed: args.seed, duration: args.duration, elapsed: Date.now() - startedAt, topologies };
  } finally {
    clearInterval(ticker);
  }
}

async function runTopology(
  name: TopologyName,
  args: ChaosArgs,
  startedAt: number,
  output: ChaosOutput,
  register: (cluster: Cluster, faults: FaultSchedule) => void,
): Promise<TopologyResult> {
  const spec = SPECS[name];
  const size = sizes(name, args);
  const cluster = await Cluster.create(spec, { seed: args.seed + SEED_SALT[name], ...SETTINGS, timeout: args.timeout });
  const faults = new FaultSchedule(cluster, args.seed + SEED_SALT[name], startedAt, output.say, args.faults);
  register(cluster, faults);
  const problems = faults.problems;
  const stamp = (): string => `[+${((Date.now() - startedAt) / 1000).toFixed(3)}s] ${name}`;
  cluster.onSpawn = (proc) => output.say(`${stamp()} start ${proc.name} pid=${proc.pid}`);
  cluster.onState = (server, from, to) => output.say(`${stamp()} ${server} ${from} -> ${to}`);

  // A process that fails to start is a problem of the run, not a harness crash.
  const started = (what: Promise<unknown>): Promise<unknown> => what.catch((err: unknown) => problems.push(`start: ${err instanceof Error ? err.message : String(err)}`));
  for (const server of spec.servers) await started(cluster.startServer(server));
  if (!(await until(() => cluster.settled(), 10_000))) problems.push(`not settled after start (${cluster.describe()})`);
  await Promise.all(Array.from({ length: size.workers }, () => started(cluster.startWorker())));
  await Promise.all(Array.from({ length: size.clients }, () => started(cluster.startClient())));
  const faultsFrom = Date.now();
  output.say(`${stamp()} cluster up: ${spec.servers.length} ${spec.serverRole}s, ${size.workers} workers, ${size.clients} clients; faults for ${args.duration} s`);
  await faults.run(faultsFrom + args.duration * 1000);

  output.say(`${stamp()} faults over; settling`);
  for (const proc of cluster.all) if (proc.stopped) proc.cont();
  if (!(await until(() => cluster.settled(), 15_000))) problems.push(`not settled after the faults (${cluster.describe()})`);
  const probes = await probe(spec.client, cluster.endpoints, SETTINGS.heartbeat);
  if (probes.ok < probes.sent) problems.push(`${probes.sent - probes.ok} of ${probes.sent} probes failed${probes.error ? `: ${probes.error}` : ""}`);
  cluster.ledger.closeGap(Date.now());

  // Let every client finish what it has in flight, within its retry budget.
  for (const client of cluster.clients) {
    client.terminated = true;
    client.send("stop");
  }
  await stopAll(cluster.clients, args.timeout * SETTINGS.attempts + 10_000, "did not finish its requests", problems);
  if (!cluster.settled()) problems.push(`not settled at the end (${cluster.describe()})`);
  const rest = [...cluster.workers, ...spec.servers.flatMap((s) => cluster.servers[s] ?? [])];
  for (const proc of rest) proc.term();
  await stopAll(rest, 5000, "did not exit after SIGTERM", problems);
  output.say(`${stamp()} stopped`);

  const rss: TopologyResult["rss"] = {};
  for (const proc of cluster.all) {
    const entry = (rss[proc.role] ??= { processes: 0, peak: 0 });
    entry.processes++;
    entry.peak = Math.max(entry.peak, proc.rss.peak);
  }
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const f of faults.log) counts[f.kind]++;
  return {
    topology: name,
    serverRole: spec.serverRole,
    countsRuns: spec.worker !== undefined,
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
