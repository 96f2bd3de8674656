import { reservePort } from "@zmq-reliable/core/testing";
import type { Scenario, ScenarioContext } from "../scenario.js";
import { killWorkerMidRequest, waitForState } from "./steps.js";

const HEARTBEAT = 250;

/** The default story: an HA Majordomo pair, three workers, two clients; the primary dies and comes back; a worker dies mid-request. */
export const haMajordomo: Scenario = {
  title: "highly available Majordomo (Binary Star pair of brokers, 3 workers, 2 clients)",
  status: (ctx) => `workers ${ctx.cluster.running("mdp-worker").length}/3`,
  clients: () => ["client-1", "client-2"],
  async run(ctx: ScenarioContext) {
    const { cluster, options } = ctx;
    const [fp, fb, sp, sb] = [await reservePort(), await reservePort(), await reservePort(), await reservePort()];
    const primary = { role: "primary", frontend: `tcp://127.0.0.1:${fp}`, local: `tcp://127.0.0.1:${sp}`, remote: `tcp://127.0.0.1:${sb}`, heartbeat: HEARTBEAT };
    const backup = { role: "backup", frontend: `tcp://127.0.0.1:${fb}`, local: `tcp://127.0.0.1:${sb}`, remote: `tcp://127.0.0.1:${sp}`, heartbeat: HEARTBEAT };
    const endpoints = `${primary.frontend},${backup.frontend}`;

    ctx.say("starting the broker pair: primary and backup");
    await Promise.all([cluster.start("primary", "ha-broker", primary), cluster.start("backup", "ha-broker", backup)]);
    await waitForState(ctx, "primary", "active");
    ctx.say("starting 3 workers (registered with both brokers) and 2 clients");
    await Promise.all([1, 2, 3].map((i) => cluster.start(`worker-${i}`, "mdp-worker", { endpoints, all: 1, heartbeat: HEARTBEAT })));
    await Promise.all([1, 2].map((i) => cluster.start(`client-${i}`, "mdp-client", { endpoints, timeout: 2 * HEARTBEAT })));

    const t0 = Date.now();
    const at = (fraction: number) => ctx.wait(Math.max(0, t0 + fraction * options.duration - Date.now()));

    await at(0.25);
    await ctx.kill("primary", "the active broker dies");
    await waitForState(ctx, "backup", "active");

    await at(0.5);
    ctx.say("restarting the old primary");
    await cluster.start("primary", "ha-broker", primary);
    await waitForState(ctx, "primary", "passive");

    await at(0.7);
    await killWorkerMidRequest(ctx, "mdp-worker");

    await at(1);
  },
};
