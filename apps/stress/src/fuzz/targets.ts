/**
 * The fuzz targets: which CLIs run (with short heartbeats), which of their
 * server-side sockets are fuzzed and in which dialect, the legitimate
 * traffic (library clients and workers in the harness process) that proves
 * each keeps serving, and the Binary Star pairs' "exactly one active" check.
 *
 * @module
 */
import { BinaryStarClient } from "@zmq-reliable/binary-star";
import { LazyPirateClient } from "@zmq-reliable/lazy-pirate";
import { MajordomoClient, MajordomoWorker } from "@zmq-reliable/majordomo";
import { ParanoidPirateWorker } from "@zmq-reliable/paranoid-pirate";
import * as zmq from "zeromq";
import { ANY_PORT, CLI, TargetProcess } from "./processes.js";
import type { RowSpec } from "./senders.js";

/** Target names, as `--targets` takes them, in report order. */
export const TARGET_NAMES = ["paranoid-pirate-queue", "majordomo-broker", "binary-star-server", "ha-majordomo-broker", "lazy-pirate-server"] as const;

/** One target name. */
export type TargetName = (typeof TARGET_NAMES)[number];

/** The probes' Majordomo service; the generators never register a fake worker for it. */
export const PROBE_SERVICE = "fuzz-probe";

/** Broker/queue ↔ worker heartbeat of the targets, ms. */
const HEARTBEAT = 100;
/** Binary Star state heartbeat of the pairs, ms (the peer is presumed dead after two). */
const PAIR_HEARTBEAT = 250;

/** Something to close at the end. */
interface Closable {
  close(options?: { timeout?: number }): Promise<void>;
}

/** A target ready to be fuzzed. */
export interface Target {
  /** Its name. */
  name: TargetName;
  /** Its processes. */
  processes: TargetProcess[];
  /** Its fuzzed sockets (one report row each). */
  rows: RowSpec[];
  /**
   * Relays a Binary Star node's genuine state messages through the state-link
   * impostors: called once the rows are open, with a function that sends a
   * message through connection `index` of row `row` (ahead of the fuzz).
   */
  relay?(forward: (row: number, index: number, frames: Buffer[]) => void): void;
  /** Sends one legitimate request with `body` and resolves with the reply. */
  probe(body: string, signal: AbortSignal): Promise<Buffer[]>;
  /** For a pair: resolves with a failure text unless exactly one node is ACTIVE (polls until `deadline` ms). */
  checkPair?(deadline: number): Promise<string | undefined>;
  /** Closes the probes' clients and workers and the relays. */
  close(): Promise<void>;
}

async function closeAll(items: readonly Closable[]): Promise<void> {
  await Promise.all(items.map((c) => c.close({ timeout: 200 }).catch(() => undefined)));
}

function lastState(process: TargetProcess): string {
  let state = "";
  for (const line of process.child?.lines ?? []) {
    const m = /^(?:state from=\S+ to=|started .*?\bstate=)(\S+)/.exec(line);
    if (m) state = m[1]!.toUpperCase();
  }
  return state;
}

async function pairCheck(nodes: readonly TargetProcess[], deadline: number): Promise<string | undefined> {
  const end = Date.now() + deadline;
  for (;;) {
    const states = nodes.map(lastState);
    const active = states.filter((s) => s === "ACTIVE").length;
    if (active === 1 && nodes.every((n) => n.running)) return undefined;
    if (Date.now() >= end) return `${active} active (${nodes.map((n, i) => `${n.name}=${states[i]}`).join(" ")})`;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const CLIENT_CONNECTIONS = ["dealer-reader", "dealer-silent", "dealer-reader", "req-relaxed"] as const;
const WORKER_CONNECTIONS = ["dealer-reader", "dealer-silent", "dealer-reader", "dealer-silent"] as const;

async function paranoidPirateQueue(): Promise<Target> {
  const queue = new TargetProcess("queue", CLI.queue, ["--frontend", ANY_PORT, "--backend", ANY_PORT, "--heartbeat", `${HEARTBEAT}`, "--liveness", "3"]);
  const { frontend, backend } = await queue.start();
  const worker = new ParanoidPirateWorker({ endpoint: backend!, heartbeatInterval: HEARTBEAT, liveness: 3, reconnect: { initial: 50, max: 500 }, handler: (body) => body });
  const client = new LazyPirateClient({ endpoint: frontend!, timeout: 400, attempts: 20 });
  await worker.start();
  await client.start();
  return {
    name: "paranoid-pirate-queue",
    processes: [queue],
    rows: [
      { target: "paranoid-pirate-queue", socket: "frontend", dialect: "req-client", endpoints: [frontend!], connections: CLIENT_CONNECTIONS },
      { target: "paranoid-pirate-queue", socket: "backend", dialect: "ppp-worker", endpoints: [backend!], connections: WORKER_CONNECTIONS },
    ],
    probe: (body, signal) => client.request(body, { signal }),
    close: () => closeAll([client, worker]),
  };
}

async function majordomoBroker(): Promise<Target> {
  const broker = new TargetProcess("broker", CLI.broker, ["--bind", ANY_PORT, "--heartbeat", `${HEARTBEAT}`, "--liveness", "3"]);
  const bind = (await broker.start()).bind!;
  const worker = new MajordomoWorker({ endpoint: bind, service: PROBE_SERVICE, heartbeatInterval: HEARTBEAT, liveness: 3, reconnect: { initial: 50, max: 500 }, handler: (body) => body });
  const client = new MajordomoClient({ endpoint: bind, timeout: 1_000, attempts: 10 });
  await worker.start();
  await client.start();
  const reserved = [PROBE_SERVICE];
  return {
    name: "majordomo-broker",
    processes: [broker],
    rows: [
      { target: "majordomo-broker", socket: "router as client (MDPC01)", dialect: "mdp-client", endpoints: [bind], connections: CLIENT_CONNECTIONS, reserved },
      { target: "majordomo-broker", socket: "router as worker (MDPW01)", dialect: "mdp-worker", endpoints: [bind], connections: WORKER_CONNECTIONS, reserved },
    ],
    probe: (body, signal) => client.request(PROBE_SERVICE, body, { signal }),
    close: () => closeAll([client, worker]),
  };
}

/**
 * The state link of a pair goes through the harness: each node's `--remote`
 * is a PUB the harness binds first (on a port the kernel picks), and a SUB on
 * the other node's state PUB feeds it that node's genuine state messages.
 */
class StateRelay {
  private sub: zmq.Subscriber | undefined;

  private constructor(readonly pub: zmq.Publisher, readonly endpoint: string) {}

  /** Binds the impostor PUB. */
  static async bind(): Promise<StateRelay> {
    const pub = new zmq.Publisher({ linger: 0, sendHighWaterMark: 1000 });
    await pub.bind(ANY_PORT);
    return new StateRelay(pub, pub.lastEndpoint!);
  }

  /**
   * Subscribes to a node's state PUB and hands each message to `forward`
   * (by default: sends it on this relay's PUB, one at a time).
   */
  follow(endpoint: string, forward?: (frames: Buffer[]) => void): void {
    const sub = (this.sub = new zmq.Subscriber({ linger: 0 }));
    sub.connect(endpoint);
    sub.subscribe();
    void (async () => {
      try {
        for await (const frames of sub) {
          if (forward) forward(frames);
          else await this.pub.send(frames);
        }
      } catch {
        // closed
      }
    })();
  }

  close(): void {
    this.sub?.close();
    this.pub.close();
  }
}

/** Starts a pair whose nodes take `relays[i]` for their peer, then has each relay follow the other node. */
async function startPair(script: string, relays: readonly StateRelay[], extra: readonly string[], forward?: (to: number, frames: Buffer[]) => void): Promise<TargetProcess[]> {
  const nodes = (["primary", "backup"] as const).map(
    (role, i) => new TargetProcess(role, script, [`--${role}`, "--frontend", ANY_PORT, "--local", ANY_PORT, "--remote", relays[i]!.endpoint, "--heartbeat", `${PAIR_HEARTBEAT}`, ...extra]),
  );
  for (const node of nodes) await node.start();
  relays.forEach((relay, i) => relay.follow(nodes[1 - i]!.fields.local!, forward && ((frames) => forward(i, frames))));
  return nodes;
}

async function binaryStarServer(): Promise<Target> {
  const relays = [await StateRelay.bind(), await StateRelay.bind()];
  let forward: ((row: number, index: number, frames: Buffer[]) => void) | undefined;
  // Row 1 (the state link) sends through the relays' PUBs: connection i feeds node i; genuine messages go ahead of the fuzz.
  const nodes = await startPair(CLI.bstar, relays, [], (to, frames) => forward?.(1, to, frames));
  const frontends = nodes.map((n) => n.fields.frontend!) as [string, string];
  const client = new BinaryStarClient({ endpoint: frontends, heartbeatInterval: PAIR_HEARTBEAT });
  await client.start();
  return {
    name: "binary-star-server",
    processes: nodes,
    rows: [
      { target: "binary-star-server", socket: "frontend (both nodes)", dialect: "req-client", endpoints: frontends, connections: CLIENT_CONNECTIONS },
      { target: "binary-star-server", socket: "state link (impostor PUB)", dialect: "bstar-state", endpoints: [], connections: ["pub", "pub"], sockets: relays.map((r) => r.pub) },
    ],
    relay: (f) => (forward = f),
    probe: (body, signal) => client.request(body, { signal }),
    checkPair: (deadline) => pairCheck(nodes, deadline),
    close: async () => {
      await closeAll([client]);
      for (const relay of relays) relay.close();
    },
  };
}

async function haMajordomoBroker(): Promise<Target> {
  // Only relayed here (the binary-star-server target fuzzes the state link).
  const relays = [await StateRelay.bind(), await StateRelay.bind()];
  const nodes = await startPair(CLI.ha, relays, ["--mdp-heartbeat", `${HEARTBEAT}`, "--liveness", "3"]);
  const frontends = nodes.map((n) => n.fields.frontend!);
  const worker = new MajordomoWorker({ endpoint: frontends, brokers: "all", service: PROBE_SERVICE, heartbeatInterval: HEARTBEAT, liveness: 3, reconnect: { initial: 50, max: 500 }, handler: (body) => body });
  const client = new MajordomoClient({ endpoint: frontends, timeout: 1_000, attempts: 10 });
  await worker.start();
  await client.start();
  const reserved = [PROBE_SERVICE];
  return {
    name: "ha-majordomo-broker",
    processes: nodes,
    rows: [
      { target: "ha-majordomo-broker", socket: "frontend as client (MDPC01)", dialect: "mdp-client", endpoints: frontends, connections: CLIENT_CONNECTIONS, reserved },
      { target: "ha-majordomo-broker", socket: "frontend as worker (MDPW01)", dialect: "mdp-worker", endpoints: frontends, connections: WORKER_CONNECTIONS, reserved },
    ],
    probe: (body, signal) => client.request(PROBE_SERVICE, body, { signal }),
    checkPair: (deadline) => pairCheck(nodes, deadline),
    close: async () => {
      await closeAll([client, worker]);
      for (const relay of relays) relay.close();
    },
  };
}

async function lazyPirateServer(): Promise<Target> {
  const server = new TargetProcess("server", CLI.lazyEcho, ["--bind", ANY_PORT]);
  const bind = (await server.start()).bind!;
  const client = new LazyPirateClient({ endpoint: bind, timeout: 500, attempts: 10 });
  await client.start();
  return {
    name: "lazy-pirate-server",
    processes: [server],
    rows: [{ target: "lazy-pirate-server", socket: "router (echo)", dialect: "req-client", endpoints: [bind], connections: CLIENT_CONNECTIONS }],
    probe: (body, signal) => client.request(body, { signal }),
    close: () => closeAll([client]),
  };
}

/** Starts one target: its processes (waiting for their `started` lines) and its probes. */
export function startTarget(name: TargetName): Promise<Target> {
  switch (name) {
    case "paranoid-pirate-queue":
      return paranoidPirateQueue();
    case "majordomo-broker":
      return majordomoBroker();
    case "binary-star-server":
      return binaryStarServer();
    case "ha-majordomo-broker":
      return haMajordomoBroker();
    case "lazy-pirate-server":
      return lazyPirateServer();
  }
}
