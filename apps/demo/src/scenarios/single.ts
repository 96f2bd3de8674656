import { reservePort } from "@zmq-reliable/core/testing";
import type { Scenario, ScenarioContext } from "../scenario.js";
import { killWorkerMidRequest, waitForState } from "./steps.js";

const HEARTBEAT = 250;
const at = (ctx: ScenarioContext, t0: number, fraction: number) => ctx.wait(Math.max(0, t0 + fraction * ctx.options.duration - Date.now()));

/** Majordomo: a worker dies mid-request; later the broker restarts. */
export const majordomo: Scenario = {
  title: "Majordomo (one broker, 3 echo workers, 2 clients)",
  status: (ctx) => `workers ${ctx.cluster.running("mdp-worker").length}/3`,
  clients: () => ["client-1", "client-2"],
  async run(ctx) {
    const frontend = `tcp://127.0.0.1:${await reservePort()}`;
    await ctx.cluster.start("broker", "mdp-broker", { frontend, heartbeat: HEARTBEAT });
    await Promise.all([1, 2, 3].map((i) => ctx.cluster.start(`worker-${i}`, "mdp-worker", { endpoints: frontend, heartbeat: HEARTBEAT })));
    await Promise.all([1, 2].map((i) => ctx.cluster.start(`client-${i}`, "mdp-client", { endpoints: frontend, timeout: 500 })));
    const t0 = Date.now();
    await at(ctx, t0, 0.3);
    await killWorkerMidRequest(ctx, "mdp-worker");
    await at(ctx, t0, 0.6);
    await ctx.kill("broker", "the broker crashes");
    ctx.say("restarting the broker: workers re-register, clients retry");
    await ctx.cluster.start("broker", "mdp-broker", { frontend, heartbeat: HEARTBEAT });
    await at(ctx, t0, 1);
  },
};

/** Binary Star: the active echo server dies, the backup takes over, the primary rejoins. */
export const binaryStar: Scenario = {
  title: "Binary Star (primary/backup echo servers, 2 failover clients)",
  status: (ctx) => `servers ${ctx.cluster.running("bstar-server").length}/2`,
  clients: () => ["client-1", "client-2"],
  async run(ctx) {
    const [fp, fb, sp, sb] = [await reservePort(), await reservePort(), await reservePort(), await reservePort()];
    const primary = { role: "primary", frontend: `tcp://127.0.0.1:${fp}`, local: `tcp://127.0.0.1:${sp}`, remote: `tcp://127.0.0.1:${sb}`, heartbeat: HEARTBEAT };
    const backup = { role: "backup", frontend: `tcp://127.0.0.1:${fb}`, local: `tcp://127.0.0.1:${sb}`, remote: `tcp://127.0.0.1:${sp}`, heartbeat: HEARTBEAT };
    await Promise.all([ctx.cluster.start("primary", "bstar-server", primary), ctx.cluster.start("backup", "bstar-server", backup)]);
    await waitForState(ctx, "primary", "active");
    const endpoints = `${primary.frontend},${backup.frontend}`;
    await Promise.all([1, 2].map((i) => ctx.cluster.start(`client-${i}`, "bstar-client", { endpoints, heartbeat: HEARTBEAT })));
    const t0 = Date.now();
    await at(ctx, t0, 0.3);
    await ctx.kill("primary", "the active server dies");
    await waitForState(ctx, "backup", "active");
    await at(ctx, t0, 0.6);
    ctx.say("restarting the old primary");
    await ctx.cluster.start("primary", "bstar-server", primary);
    await waitForState(ctx, "primary", "passive");
    await at(ctx, t0, 1);
  },
};
