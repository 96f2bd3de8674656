/**
 * Scenario 7, concurrency on both ends of a broker.
 *
 * - Client: one library `MajordomoClient` (its own process, fresh per run)
 *   keeping 1, 64 and 1,024 requests outstanding through the
 *   `majordomo-broker` CLI to raw MDP echo workers: throughput per setting
 *   ÷ the 1-outstanding figure (target: it rises, ≥ 1), and the client
 *   process's peak RSS per setting (reported: bounded).
 * - Workers: ONE library `MajordomoWorker` / `ParanoidPirateWorker` process
 *   with a 10 ms handler at `concurrency` 4 and 16 ÷ the same at
 *   `concurrency` 1, each behind its own broker / queue CLI, driven in turn
 *   (1, 4, 16, 1, 4, 16, …) by the same load: target ≥ 0.8 × N.
 *
 * @module
 */
import { launch, majordomoBroker, paranoidPirateQueue, rawWorkers } from "../launch.js";
import type { BenchContext, BenchProcess, Figure, Scenario } from "../types.js";

/** Requests one client keeps outstanding, in the order measured (the first is the baseline). */
const OUTSTANDING = [1, 64, 1024] as const;
/** Raw echo workers behind the broker in the client part. */
const ECHO_WORKERS = 16;
/** Worker sessions measured against one session. */
const SESSIONS = [4, 16] as const;
/** The slow handler's time, ms. */
const HANDLER_MS = 10;
/** Requests the worker load keeps outstanding: twice the most sessions, so every session always has one waiting. */
const WORKER_LOAD = 32;

/** Part one: one client, 1 / 64 / 1,024 outstanding; every run a fresh client process, the settings in turn each round. */
async function clientConcurrency(ctx: BenchContext): Promise<Figure[]> {
  ctx.progress("client: starting the broker and raw echo workers");
  const broker = await majordomoBroker(ctx, "broker");
  const workers = await rawWorkers(ctx, { protocol: "mdp", endpoint: broker.endpoint, count: ECHO_WORKERS });
  const timing = ["--warmup", String(ctx.count(300, 100)), "--duration", String(ctx.count(800, 200))];
  const medians = await ctx.repeat("client 1 / 64 / 1,024 outstanding", async () => {
    const run: Record<string, number> = {};
    for (const n of OUTSTANDING) {
      const r = await ctx.runLoad(`client-${n}`, ctx.paths.program("7-client-load"), ["--endpoint", broker.endpoint, "--outstanding", String(n), ...timing], 60_000);
      run[`t${n}`] = r.throughput!;
      run[`rss${n}`] = r.rss!;
    }
    return run;
  });
  await Promise.all([broker.proc, workers].map((p) => p.kill()));
  const one = medians.t1!;
  const notes = `one library MajordomoClient (concurrency = outstanding, a process per run) through the majordomo-broker CLI to ${ECHO_WORKERS} raw MDP echo workers`;
  return [
    ctx.figure({ name: "MDP client throughput, 1 outstanding", subject: one, unit: "req/s", notes }),
    ...OUTSTANDING.slice(1).map((n) =>
      ctx.figure({ name: `MDP client throughput, ${n.toLocaleString("en-US")} outstanding`, subject: medians[`t${n}`]!, baseline: one, unit: "req/s", target: { op: ">=", value: 1 }, notes: `${notes}; baseline: 1 outstanding; target: it rises` }),
    ),
    ...OUTSTANDING.map((n) =>
      ctx.figure({ name: `MDP client peak RSS, ${n.toLocaleString("en-US")} outstanding`, subject: medians[`rss${n}`]!, unit: "MB", notes: "the client process's peak RSS (sampled every 20 ms); reported: it stays bounded" }),
    ),
  ];
}

/** A broker (MDP) or queue (PPP) CLI with one library worker process of `concurrency` sessions behind it; returns the clients' endpoint. */
async function workerBehind(ctx: BenchContext, protocol: "mdp" | "ppp", concurrency: number): Promise<{ endpoint: string; procs: BenchProcess[] }> {
  const peer = protocol === "mdp" ? await majordomoBroker(ctx, "broker") : await paranoidPirateQueue(ctx, "queue");
  const backend = "backend" in peer ? peer.backend : peer.endpoint;
  const worker = await launch(ctx, `${protocol}-worker-x${concurrency}`, ctx.paths.program("7-workers"), [
    ...["--protocol", protocol, "--endpoint", backend, "--concurrency", String(concurrency), "--delay", String(HANDLER_MS)],
  ]);
  return { endpoint: "frontend" in peer ? peer.frontend : peer.endpoint, procs: [peer.proc, worker.proc] };
}

/** Part two: one worker process at `concurrency` 1, 4 and 16 (each behind its own broker / queue), measured in turn each round. */
async function workerConcurrency(ctx: BenchContext, protocol: "mdp" | "ppp"): Promise<Figure[]> {
  const label = protocol === "mdp" ? "MajordomoWorker" : "ParanoidPirateWorker";
  ctx.progress(`${label}: starting the load, brokers and workers`);
  const load = await launch(ctx, `${protocol}-load`, ctx.paths.program(protocol === "mdp" ? "mdp-load" : "ppp-load"));
  const timing = { warmup: ctx.count(300, 100), duration: ctx.count(800, 300) };
  const shape = protocol === "mdp" ? { sockets: 1, window: WORKER_LOAD, service: "slow", latency: 0 } : { clients: WORKER_LOAD };
  const behind = await Promise.all([1, ...SESSIONS].map((n) => workerBehind(ctx, protocol, n)));
  const medians = await ctx.repeat(`${label} concurrency 1 / ${SESSIONS.join(" / ")}`, async () => {
    const round: Record<string, number> = {};
    for (const [i, n] of [1, ...SESSIONS].entries()) round[`x${n}`] = ((await load.proc.call({ endpoint: behind[i]!.endpoint, ...shape, ...timing })) as { throughput: number }).throughput;
    return round;
  });
  await Promise.all([...behind.flatMap((b) => b.procs), load.proc].map((p) => p.kill()));
  const one = medians.x1!;
  const notes = `one ${label} process, ${HANDLER_MS} ms handler, ${WORKER_LOAD} requests outstanding (${protocol === "mdp" ? "raw MDP DEALER load" : "library LazyPirateClients"}) through the ${protocol === "mdp" ? "majordomo-broker" : "paranoid-pirate-queue"} CLI`;
  return [
    ctx.figure({ name: `${label} throughput, concurrency 1`, subject: one, unit: "req/s", notes: `${notes}; ideal ${Math.round(1000 / HANDLER_MS)} req/s` }),
    ...SESSIONS.map((n) =>
      ctx.figure({ name: `${label} throughput, concurrency ${n}`, subject: medians[`x${n}`]!, baseline: one, unit: "req/s", target: { op: ">=", value: 0.8 * n }, notes: `${notes}; baseline: concurrency 1; target 0.8 × ${n}` }),
    ),
  ];
}

export const concurrency: Scenario = {
  id: 7,
  name: "concurrency",
  async run(ctx) {
    return [...(await clientConcurrency(ctx)), ...(await workerConcurrency(ctx, "mdp")), ...(await workerConcurrency(ctx, "ppp"))];
  },
};
