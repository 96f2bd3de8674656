/**
 * Scenario 2, Paranoid Pirate queue throughput: many library
 * `LazyPirateClient`s (one load process) through the `paranoid-pirate-queue`
 * CLI to four library `ParanoidPirateWorker`s (a worker process), ÷ the same
 * clients and workers through the raw forwarder. Target ≥ 0.8.
 *
 * @module
 */
import { forwarder, launch, paranoidPirateQueue } from "../launch.js";
import type { Scenario } from "../types.js";

const WORKERS = 4;

export const pppThroughput: Scenario = {
  id: 2,
  name: "ppp-throughput",
  async run(ctx) {
    ctx.progress("starting the queue, the forwarder, workers and clients");
    const [queue, fwd, load] = await Promise.all([paranoidPirateQueue(ctx, "queue"), forwarder(ctx, "ppp"), launch(ctx, "ppp-load", ctx.paths.program("ppp-load"))]);
    const workers = (endpoint: string) => launch(ctx, "ppp-workers", ctx.paths.program("ppp-workers"), ["--endpoint", endpoint, "--count", String(WORKERS)]);
    await Promise.all([workers(queue.backend), workers(fwd.backend)]);
    const clients = ctx.count(16, 4);
    const run = (endpoint: string) => load.proc.call({ endpoint, clients, warmup: ctx.count(300, 200), duration: ctx.count(1000, 300) }) as Promise<{ throughput: number }>;
    const { baseline, subject } = await ctx.alternate("throughput", () => run(fwd.frontend), () => run(queue.frontend));
    return [
      ctx.figure({
        name: `PPP queue throughput, ${clients} LP clients, ${WORKERS} workers`,
        subject: subject.throughput,
        baseline: baseline.throughput,
        unit: "req/s",
        target: { op: ">=", value: 0.8 },
        notes: "library LazyPirateClients and ParanoidPirateWorkers in their own processes; baseline: raw ROUTER-ROUTER LRU forwarder",
      }),
    ];
  },
};
