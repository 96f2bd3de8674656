/**
 * Scenario 4, scale: one `majordomo-broker` with 1,000 connected raw MDP
 * workers (4 processes) and 1,000 clients (raw DEALERs, one request
 * outstanding each, connected for every run) ÷ the 4-worker figure of
 * scenario 3 (a second broker with 4 workers and the same pipelined load),
 * target ≥ 0.8; the broker's peak RSS (target < 200 MB), the CPU share its
 * heartbeats take while the 1,000 workers are idle, and its RSS after rounds
 * of fresh clients coming and going (both reported).
 *
 * @module
 */
import { readCpuMs, RssSampler } from "@zmq-reliable/core/testing";
import { delay } from "../programs/command-loop.js";
import { launch, majordomoBroker, mdpHeartbeat, rawWorkers } from "../launch.js";
import type { Scenario } from "../types.js";
import { PIPELINE } from "./3-mdp-throughput.js";

const MB = 1024 * 1024;

export const scale: Scenario = {
  id: 4,
  name: "scale",
  async run(ctx) {
    const workers = ctx.count(1000, 100);
    const clients = ctx.count(1000, 100);
    const processes = ctx.count(4, 1);
    ctx.progress(`starting two brokers, 4 + ${workers} workers`);
    const heartbeat = mdpHeartbeat(ctx);
    const flags = ["--heartbeat", String(heartbeat)];
    const [small, big, load] = await Promise.all([majordomoBroker(ctx, "broker-4", flags), majordomoBroker(ctx, `broker-${workers}`, flags), launch(ctx, "mdp-load", ctx.paths.program("mdp-load"))]);
    const rss = new RssSampler(big.proc.pid);
    await Promise.all([
      rawWorkers(ctx, { protocol: "mdp", endpoint: small.endpoint, count: 4, heartbeat }),
      ...Array.from({ length: processes }, () => rawWorkers(ctx, { protocol: "mdp", endpoint: big.endpoint, count: workers / processes, heartbeat })),
    ]);
    const window = ctx.count(1500, 500);
    const idle = await ctx.repeat(`idle CPU of the broker with ${workers} workers`, async () => {
      const before = readCpuMs(big.proc.pid)!;
      const started = performance.now();
      await delay(window);
      return { cpu: ((readCpuMs(big.proc.pid)! - before) / (performance.now() - started)) * 100 };
    });
    const timing = { warmup: ctx.count(500, 300), duration: ctx.count(1000, 300) };
    const { baseline, subject } = await ctx.alternate(
      "throughput",
      () => load.proc.call({ endpoint: small.endpoint, ...PIPELINE, ...timing }) as Promise<{ throughput: number }>,
      () => load.proc.call({ endpoint: big.endpoint, sockets: clients, window: 1, keep: true, ...timing }) as Promise<{ throughput: number }>,
    );
    const peak = rss.stop();
    // The same broker while clients come and go: each round connects a fresh set of clients, runs, and leaves.
    await load.proc.call({ release: true });
    const churn = new RssSampler(big.proc.pid);
    const rounds = ctx.count(3, 1);
    await ctx.repeat(`${rounds} rounds of ${clients} fresh clients`, () => load.proc.call({ endpoint: big.endpoint, sockets: clients, window: 1, warmup: 100, duration: ctx.count(500, 200) }) as Promise<{ throughput: number }>, rounds);
    const churned = churn.stop();
    return [
      ctx.figure({
        name: `MDP broker throughput, ${workers} workers and ${clients} clients`,
        subject: subject.throughput,
        baseline: baseline.throughput,
        unit: "req/s",
        target: { op: ">=", value: 0.8 },
        notes: `${clients} raw DEALER clients with one request outstanding each; baseline: a broker with 4 workers under scenario 3's pipelined load, in the same run (the big broker idles meanwhile)`,
      }),
      ctx.figure({ name: `MDP broker peak RSS, ${workers} workers and ${clients} clients`, subject: peak / MB, unit: "MB", target: { op: "<=", value: 200 }, notes: `VmHWM/VmRSS of the broker process from start through the throughput runs (the same ${clients} clients connected throughout)` }),
      ctx.figure({
        name: `MDP broker peak RSS after ${rounds} × ${clients} clients came and went`,
        subject: churned / MB,
        unit: "MB",
        notes: "the same broker afterwards: each round connects fresh clients, runs and disconnects them; what libzmq and the allocator keep grows with the connections seen (a raw zeromq.js ROUTER grows alike); reported, no target",
      }),
      ctx.figure({ name: `MDP broker idle CPU, ${workers} workers heartbeating`, subject: idle.cpu, unit: "% of a core", notes: `CPU time over ${window} ms windows from /proc/<pid>/stat (10 ms ticks), heartbeat ${heartbeat} ms; reported, no target` }),
    ];
  },
};
