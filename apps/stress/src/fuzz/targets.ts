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
import { CLI, freeEndpoint, TargetProcess } from "./processes.js";
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
   * impostors: called once the rows are open, with a function that forwards a
   * message through connection `index` of row `row`.
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
  const [frontend, backend] = [await freeEndpoint(), await freeEndpoint()];
  const queue = new TargetProcess("queue", CLI.queue, ["--frontend", frontend, "--backend", backend, "--heartbeat", `${HEARTBEAT}`, "--liveness", "3"]);
  await queue.start();
  const worker = new ParanoidPirateWorker({ endpoint: backend, heartbeatInterval: HEARTBEAT, liveness: 3, reconnect: { initial: 50, max: 500 }, handler: (body) => body });
  const client = new LazyPirateClient({ endpoint: frontend, timeout: 400, attempts: 20 });
  await worker.start();
  await client.start();
  return {
    name: "paranoid-pirate-queue",
    processes: [queue],
    rows: [
      { target: "paranoid-pirate-queue", socket: "frontend", dialect: "req-client", endpoints: [frontend], connections: CLIENT_CONNECTIONS },
      { target: "paranoid-pirate-queue", socket: "backend", dialect: "ppp-worker", endpoints: [backend], connections: WORKER_CONNECTIONS },
    ],
    probe: (body, signal) => client.request(body, { signal }),
    close: () => closeAll([client, worker]),
  };
}

async function majordomoBroker(): Promise<Target> {
  const bind = await freeEndpoint();
  const broker = new TargetProcess("broker", CLI.broker, ["--bind", bind, "--heartbeat", `${HEARTBEAT}`, "--liveness", "3"]);
  await broker.start();
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

/** A SUB on a node's state PUB whose messages are relayed to the other node through an impostor PUB. */
function subscribe(endpoint: string, onMessage: (frames: Buffer[]) => void): zmq.Subscriber {
  const sub = new zmq.Subscriber({ linger: 0 });
  sub.connect(endpoint);
  sub.subscribe();
  void (async () => {
    try {
      for await (const frames of sub) onMessage(frames);
    } catch {
      // closed
    }
  })();
  return sub;
}

/** Endpoints of one pair: each node's frontend and state PUB, and the impostor PUB each node takes for its peer. */
async function pairEndpoints() {
  return {
    frontend: [await freeEndpoint(), await freeEndpoint()] as const,
    local: [await freeEndpoint(), await freeEndpoint()] as const,
    impostor: [await freeEndpoint(), await freeEndpoint()] as const,
  };
}

/** A node's flags; `impostor`: its `--remote` is the harness's impostor PUB, else the peer's own state PUB. */
function pairArgs(ep: Awaited<ReturnType<typeof pairEndpoints>>, i: 0 | 1, extra: readonly string[], impostor: boolean): string[] {
  const remote = impostor ? ep.impostor[i] : ep.local[1 - i]!;
  return [i === 0 ? "--primary" : "--backup", "--frontend", ep.frontend[i], "--local", ep.local[i], "--remote", remote, "--heartbeat", `${PAIR_HEARTBEAT}`, ...extra];
}

/**
 * Both nodes of a pair take an impostor PUB (bound by the harness) for their
 * peer; the harness relays each node's genuine state messages to the other
 * through it, and mixes in the fuzz. Row `stateRow`'s connection 0 feeds the
 * primary, connection 1 the backup.
 */
function relayPair(ep: Awaited<ReturnType<typeof pairEndpoints>>, stateRow: number, subs: zmq.Subscriber[]) {
  return (forward: (row: number, index: number, frames: Buffer[]) => void) => {
    subs.push(subscribe(ep.local[1], (frames) => forward(stateRow, 0, frames)));
    subs.push(subscribe(ep.local[0], (frames) => forward(stateRow, 1, frames)));
  };
}

async function binaryStarServer(): Promise<Target> {
  const ep = await pairEndpoints();
  const subs: zmq.Subscriber[] = [];
  const nodes = [new TargetProcess("primary", CLI.bstar, pairArgs(ep, 0, [], true)), new TargetProcess("backup", CLI.bstar, pairArgs(ep, 1, [], true))];
  return {
    name: "binary-star-server",
    processes: nodes,
    rows: [
      { target: "binary-star-server", socket: "frontend (both nodes)", dialect: "req-client", endpoints: ep.frontend, connections: CLIENT_CONNECTIONS },
      { target: "binary-star-server", socket: "state link (impostor PUB)", dialect: "bstar-state", endpoints: [], connections: ["pub", "pub"], bindEach: ep.impostor },
    ],
    relay: relayPair(ep, 1, subs),
    ...(await pairProbes(nodes, async () => {
      const client = new BinaryStarClient({ endpoint: ep.frontend, heartbeatInterval: PAIR_HEARTBEAT });
      await client.start();
      return { probe: (body, signal) => client.request(body, { signal }), closables: [client] };
    }, subs)),
  };
}

async function haMajordomoBroker(): Promise<Target> {
  const ep = await pairEndpoints();
  const extra = ["--mdp-heartbeat", `${HEARTBEAT}`, "--liveness", "3"];
  const nodes = [new TargetProcess("primary", CLI.ha, pairArgs(ep, 0, extra, false)), new TargetProcess("backup", CLI.ha, pairArgs(ep, 1, extra, false))];
  const reserved = [PROBE_SERVICE];
  return {
    name: "ha-majordomo-broker",
    processes: nodes,
    rows: [
      { target: "ha-majordomo-broker", socket: "frontend as client (MDPC01)", dialect: "mdp-client", endpoints: ep.frontend, connections: CLIENT_CONNECTIONS, reserved },
      { target: "ha-majordomo-broker", socket: "frontend as worker (MDPW01)", dialect: "mdp-worker", endpoints: ep.frontend, connections: WORKER_CONNECTIONS, reserved },
    ],
    ...(await pairProbes(nodes, async () => {
      const worker = new MajordomoWorker({ endpoint: [...ep.frontend], brokers: "all", service: PROBE_SERVICE, heartbeatInterval: HEARTBEAT, liveness: 3, reconnect: { initial: 50, max: 500 }, handler: (body) => body });
      const client = new MajordomoClient({ endpoint: [...ep.frontend], timeout: 1_000, attempts: 10 });
      await worker.start();
      await client.start();
      return { probe: (body, signal) => client.request(PROBE_SERVICE, body, { signal }), closables: [client, worker] };
    }, [])),
  };
}

type Probe = (body: string, signal: AbortSignal) => Promise<Buffer[]>;

/** Starts a pair (primary first, then backup) and its probes. */
async function pairProbes(nodes: TargetProcess[], makeProbes: () => Promise<{ probe: Probe; closables: Closable[] }>, subs: zmq.Subscriber[]) {
  for (const node of nodes) await node.start();
  const { probe, closables } = await makeProbes();
  return {
    probe,
    checkPair: (deadline: number) => pairCheck(nodes, deadline),
    close: async () => {
      await closeAll(closables);
      for (const sub of subs) sub.close();
    },
  };
}

async function lazyPirateServer(): Promise<Target> {
  const bind = await freeEndpoint();
  const server = new TargetProcess("server", CLI.lazyEcho, ["--bind", bind]);
  await server.start();
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
