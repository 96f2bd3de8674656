/**
 * Scenario 6, dead-worker detection: SIGKILL of an idle and of a busy raw
 * worker (100 ms heartbeat, liveness 3; 250 ms in a quick run) to its expiry line in the
 * `paranoid-pirate-queue` and the `majordomo-broker` CLIs, ÷ liveness ×
 * heartbeat. Target ≤ 1.1.
 *
 * @module
 */
import * as zmq from "zeromq";
import { eachConfig } from "../context.js";
import { majordomoBroker, nextLine, paranoidPirateQueue, rawWorkers } from "../launch.js";
import type { BenchContext, BenchProcess, Figure, Scenario } from "../types.js";

const LIVENESS = 3;
const flags = (heartbeat: number) => ["--heartbeat", String(heartbeat), "--liveness", String(LIVENESS)];

/** A role under test: where its workers and clients connect, and the request a client sends. */
interface Role {
  proc: BenchProcess;
  workers: string;
  clients: string;
  request: Buffer[];
}

const ROLES: Record<"ppp" | "mdp", { label: string; start: (ctx: BenchContext, heartbeat: number) => Promise<Role> }> = {
  ppp: {
    label: "PPP queue",
    start: async (ctx, heartbeat) => {
      const q = await paranoidPirateQueue(ctx, "queue", flags(heartbeat));
      return { proc: q.proc, workers: q.backend, clients: q.frontend, request: [Buffer.alloc(0), Buffer.from("hold me")] };
    },
  },
  mdp: {
    label: "MDP broker",
    start: async (ctx, heartbeat) => {
      const b = await majordomoBroker(ctx, "broker", flags(heartbeat));
      return { proc: b.proc, workers: b.endpoint, clients: b.endpoint, request: [Buffer.alloc(0), Buffer.from("MDPC01"), Buffer.from("echo"), Buffer.from("hold me")] };
    },
  },
};

/**
 * Runs of one kind: each takes a registered worker (busy: holding a request),
 * starts the next run's worker, kills this one and measures the ms from the
 * SIGKILL to the role's expiry line.
 */
function detections(ctx: BenchContext, role: Role, protocol: "ppp" | "mdp", busy: boolean, client: zmq.Dealer, heartbeat: number): () => Promise<{ detection: number }> {
  const start = () => {
    const worker = rawWorkers(ctx, { protocol, endpoint: role.workers, count: 1, heartbeat, mode: "hold" });
    worker.catch(() => undefined); // the last one is killed unstarted at the end
    return worker;
  };
  let next = start();
  return async () => {
    const worker = await next;
    if (busy) {
      const received = worker.waitForLine(/^received/, 10_000); // a request re-dispatched from the last run's worker counts too
      await client.send(role.request);
      await received;
    }
    next = start();
    const expired = nextLine(role.proc, /expired/, "stderr", 10_000);
    const killed = performance.now();
    await worker.kill();
    return { detection: (await expired).at - killed };
  };
}

export const deadWorker: Scenario = {
  id: 6,
  name: "dead-worker",
  async run(ctx) {
    const kinds = (["ppp", "mdp"] as const).flatMap((protocol) => [false, true].map((busy) => ({ protocol, busy })));
    return eachConfig(ctx, kinds, async ({ protocol, busy }): Promise<Figure> => {
      // A fresh queue or broker for each kind, so its rate-limited log (10 lines of a kind per 10 s) shows every expiry.
      const heartbeat = ctx.count(100, 250); // a quick run measures its kinds at once: a longer heartbeat keeps a starved worker alive
      const role = await ROLES[protocol].start(ctx, heartbeat);
      const client = new zmq.Dealer({ linger: 0 });
      client.connect(role.clients);
      const state = busy ? "busy" : "idle";
      try {
        const { detection: ms } = await ctx.repeat(`${ROLES[protocol].label}, ${state} worker`, detections(ctx, role, protocol, busy, client, heartbeat));
        return ctx.figure({
          name: `${ROLES[protocol].label}: ${state} worker killed to its expiry`,
          subject: ms,
          baseline: LIVENESS * heartbeat,
          unit: "ms",
          target: { op: "<=", value: 1.1 },
          notes: `raw worker, heartbeat ${heartbeat} ms, liveness ${LIVENESS}; baseline: liveness × heartbeat; expiry read from the role's log line`,
        });
      } finally {
        client.close();
        await role.proc.kill();
      }
    });
  },
};
