/**
 * Scenario 5, failover gap: a Binary Star echo pair (`binary-star-server`
 * CLI, library `BinaryStarClient`) and the HA Majordomo pair
 * (`ha-majordomo-broker` CLI, a library `MajordomoWorker` registered with
 * both, a `MajordomoClient` listing both): time from the SIGKILL of the
 * active node to the next reply, at the default heartbeat (target ≤ 2.5 s)
 * and at 100 ms (target ≤ 0.5 s). Each run kills the active node and
 * restarts it as the passive one, so the next run kills the other.
 *
 * @module
 */
import { BinaryStarClient } from "@zmq-reliable/binary-star";
import { MajordomoClient } from "@zmq-reliable/majordomo";
import { eachConfig } from "../context.js";
import { launch } from "../launch.js";
import { Pair, type PairRole, ReplyClock } from "../pair.js";
import type { BenchContext, BenchProcess, Figure, Scenario } from "../types.js";

const DEFAULT_HEARTBEAT = 1000;

/** A pair's client side: a request function and how to close it. */
interface Client {
  request(): Promise<unknown>;
  close(): Promise<void>;
}

/** How to run each pair at a heartbeat: its CLI, flags, the workers it needs, its client. */
interface PairKind {
  label: string;
  cli: (ctx: BenchContext) => string;
  flags: (heartbeat: number | undefined) => string[];
  /** Starts what the pair needs besides its nodes (workers); waits until `node` has them. */
  prepare?: (ctx: BenchContext, pair: Pair, heartbeat: number) => Promise<void>;
  /** Waits until a restarted node is ready to serve once active. */
  rejoined?: (node: BenchProcess) => Promise<unknown>;
  client: (pair: Pair, heartbeat: number) => Client;
}

/** The HA pair's broker-worker heartbeat: the Binary Star one, so a restarted broker has its worker back within about a heartbeat. */
const HA_MDP_HEARTBEAT = (heartbeat: number) => heartbeat;

const KINDS: PairKind[] = [
  {
    label: "Binary Star echo pair",
    cli: (ctx) => ctx.paths.cli.binaryStarServer,
    flags: (heartbeat) => (heartbeat ? ["--heartbeat", String(heartbeat)] : []),
    client: (pair, heartbeat) => {
      const client = new BinaryStarClient({ endpoint: pair.endpoints, heartbeatInterval: heartbeat });
      return { request: () => client.request("ping"), close: () => client.close() };
    },
  },
  {
    label: "HA Majordomo pair",
    cli: (ctx) => ctx.paths.cli.haMajordomoBroker,
    flags: (heartbeat) => ["--mdp-heartbeat", String(HA_MDP_HEARTBEAT(heartbeat ?? DEFAULT_HEARTBEAT)), ...(heartbeat ? ["--heartbeat", String(heartbeat)] : [])],
    prepare: async (ctx, pair, heartbeat) => {
      const [primary, backup] = pair.endpoints;
      await launch(ctx, "ha-worker", ctx.paths.program("ha-worker"), ["--primary", primary, "--backup", backup, "--heartbeat", String(HA_MDP_HEARTBEAT(heartbeat))]);
      await Promise.all([...pair.nodes.values()].map((node) => node.waitForLine(/ready for/, 30_000, "stderr")));
    },
    rejoined: (node) => node.waitForLine(/ready for/, 30_000, "stderr"),
    client: (pair, heartbeat) => {
      const client = new MajordomoClient({ endpoint: pair.endpoints, timeout: 2 * heartbeat, attempts: 1000 });
      return { request: () => client.request("echo", "ping"), close: () => client.close() };
    },
  },
];

async function gaps(ctx: BenchContext, kind: PairKind, heartbeat: number, isDefault: boolean): Promise<number> {
  const pair = await Pair.create(ctx, kind.cli(ctx), kind.flags(isDefault ? undefined : heartbeat));
  await Promise.all([pair.start("primary", "ACTIVE"), pair.start("backup", "PASSIVE")]);
  await kind.prepare?.(ctx, pair, heartbeat);
  const client = kind.client(pair, heartbeat);
  const clock = new ReplyClock(() => client.request());
  let active: PairRole = "primary";
  let first = true;
  try {
    await clock.firstReplyAfter(performance.now());
    const { gap } = await ctx.repeat(`${kind.label}, heartbeat ${heartbeat} ms`, async () => {
      if (!first) {
        const passive: PairRole = active === "primary" ? "backup" : "primary";
        const node = await pair.start(passive, "PASSIVE");
        await kind.rejoined?.(node);
      }
      first = false;
      const killedAt = await pair.kill(active);
      active = active === "primary" ? "backup" : "primary";
      return { gap: (await clock.firstReplyAfter(killedAt + 5)) - killedAt };
    });
    return gap;
  } finally {
    const stopped = clock.stop();
    await client.close();
    await stopped;
    await Promise.all([...pair.nodes.values()].map((node) => node.kill()));
  }
}

export const failover: Scenario = {
  id: 5,
  name: "failover",
  async run(ctx) {
    const configs = KINDS.flatMap((kind) => ([[DEFAULT_HEARTBEAT, 2500], [100, 500]] as const).map(([heartbeat, target]) => ({ kind, heartbeat, target })));
    return eachConfig(ctx, configs, async ({ kind, heartbeat, target }): Promise<Figure> => {
      const isDefault = heartbeat === DEFAULT_HEARTBEAT;
      const gap = await gaps(ctx, kind, heartbeat, isDefault);
      return ctx.figure({
        name: `${kind.label}: SIGKILL of the active to the next reply, heartbeat ${heartbeat} ms${isDefault ? " (default)" : ""}`,
        subject: gap,
        unit: "ms",
        target: { op: "<=", value: target },
        notes: `the passive may take over 1-2 heartbeats after the death (floor ${2 * heartbeat} ms at worst); ${kind.label === "HA Majordomo pair" ? `MajordomoClient timeout ${2 * heartbeat} ms, MDP heartbeat ${HA_MDP_HEARTBEAT(heartbeat)} ms` : "BinaryStarClient defaults for the heartbeat"}`,
      });
    });
  },
};
