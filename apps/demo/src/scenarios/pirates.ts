import { reservePort } from "@zmq-reliable/core/testing";
import type { Scenario, ScenarioContext } from "../scenario.js";
import { killWorkerMidRequest } from "./steps.js";

const HEARTBEAT = 250;
const at = (ctx: ScenarioContext, t0: number, fraction: number) => ctx.wait(Math.max(0, t0 + fraction * ctx.options.duration - Date.now()));

/** Lazy Pirate: a server is killed and restarted; clients retry through it. */
export const lazyPirate: Scenario = {
  title: "Lazy Pirate (one REP-style server, 2 retrying clients)",
  status: (ctx) => `server ${ctx.cluster.running("lp-server").length ? "up" : "DOWN"}`,
  clients: () => ["client-1", "client-2"],
  async run(ctx) {
    const frontend = `tcp://127.0.0.1:${await reservePort()}`;
    await ctx.cluster.start("server", "lp-server", { frontend });
    await Promise.all([1, 2].map((i) => ctx.cluster.start(`client-${i}`, "lp-client", { endpoints: frontend, timeout: 300 })));
    const t0 = Date.now();
    await at(ctx, t0, 0.3);
    await ctx.kill("server", "the server crashes");
    await ctx.wait(1000);
    ctx.say("restarting the server on the same endpoint");
    await ctx.cluster.start("server", "lp-server", { frontend });
    await at(ctx, t0, 1);
  },
};

/** Paranoid Pirate: a worker dies mid-request; later the queue restarts. */
export const paranoidPirate: Scenario = {
  title: "Paranoid Pirate (queue, 3 heartbeating workers, 2 Lazy Pirate clients)",
  status: (ctx) => `workers ${ctx.cluster.running("pp-worker").length}/3`,
  clients: () => ["client-1", "client-2"],
  async run(ctx) {
    const frontend = `tcp://127.0.0.1:${await reservePort()}`;
    const backend = `tcp://127.0.0.1:${await reservePort()}`;
    await ctx.cluster.start("queue", "pp-queue", { frontend, backend, heartbeat: HEARTBEAT });
    await Promise.all([1, 2, 3].map((i) => ctx.cluster.start(`worker-${i}`, "pp-worker", { backend, heartbeat: HEARTBEAT })));
    await Promise.all([1, 2].map((i) => ctx.cluster.start(`client-${i}`, "lp-client", { endpoints: frontend, timeout: 300 })));
    const t0 = Date.now();
    await at(ctx, t0, 0.3);
    await killWorkerMidRequest(ctx, "pp-worker");
    await at(ctx, t0, 0.6);
    await ctx.kill("queue", "the queue crashes");
    ctx.say("restarting the queue: workers re-register after their back-off");
    await ctx.cluster.start("queue", "pp-queue", { frontend, backend, heartbeat: HEARTBEAT });
    await at(ctx, t0, 1);
  },
};
