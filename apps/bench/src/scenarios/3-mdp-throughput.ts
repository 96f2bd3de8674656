/**
 * Scenario 3, Majordomo broker throughput with 1, 4 and 16 raw MDP echo
 * workers: pipelined load over raw DEALER sockets through the
 * `majordomo-broker` CLI ÷ through the raw forwarder (target ≥ 0.8), and
 * synchronous request latency p50/p99 beside the forwarder's (4 workers).
 *
 * @module
 */
import { forwarder, launch, majordomoBroker, mdpHeartbeat, rawWorkers } from "../launch.js";
import { eachConfig } from "../context.js";
import type { Scenario } from "../types.js";

/** The load every throughput figure of scenarios 3 and 4 uses: sockets × window requests outstanding. */
export const PIPELINE = { sockets: 4, window: 50 } as const;

export const mdpThroughput: Scenario = {
  id: 3,
  name: "mdp-throughput",
  async run(ctx) {
    const perConfig = await eachConfig(ctx, [1, 4, 16], async (workers) => {
      ctx.progress(`${workers} worker(s): starting the broker, the forwarder, workers and the load`);
      const heartbeat = mdpHeartbeat(ctx);
      const [broker, fwd, load] = await Promise.all([majordomoBroker(ctx, "broker", ["--heartbeat", String(heartbeat)]), forwarder(ctx, "mdp"), launch(ctx, "mdp-load", ctx.paths.program("mdp-load"))]);
      const started = await Promise.all([broker.endpoint, fwd.frontend].map((endpoint) => rawWorkers(ctx, { protocol: "mdp", endpoint, count: workers, heartbeat })));
      const latency = workers === 4 ? ctx.count(500, 100) : 0;
      const run = (endpoint: string) => load.proc.call({ endpoint, ...PIPELINE, warmup: ctx.count(200, 100), duration: ctx.count(800, 300), latency }) as Promise<Record<"throughput" | "p50" | "p99", number>>;
      const { baseline, subject } = await ctx.alternate(`${workers} worker(s)`, () => run(fwd.frontend), () => run(broker.endpoint));
      const figures = [
        ctx.figure({
          name: `MDP broker throughput, ${workers} worker(s)`,
          subject: subject.throughput,
          baseline: baseline.throughput,
          unit: "req/s",
          target: { op: ">=", value: 0.8 },
          notes: `${PIPELINE.sockets} raw DEALER generators × ${PIPELINE.window} outstanding, raw MDP echo workers, broker heartbeat ${heartbeat} ms; baseline: raw ROUTER LRU forwarder`,
        }),
      ];
      if (latency > 0) {
        for (const p of ["p50", "p99"] as const) {
          figures.push(ctx.figure({ name: `MDP sync request latency ${p}, 4 workers`, subject: subject[p], baseline: baseline[p], unit: "µs", notes: `requests one at a time for ${latency} ms; reported beside the forwarder's, no target` }));
        }
      }
      await Promise.all([broker.proc, fwd.proc, load.proc, ...started].map((p) => p.kill()));
      return figures;
    });
    return perConfig.flat();
  },
};
