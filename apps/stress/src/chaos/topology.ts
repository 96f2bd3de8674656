/**
 * The topologies a chaos run can build: which server processes (the real
 * CLIs), how their state shows on stdout, and which workers and clients
 * talk to them.
 *
 * - `ha-majordomo`: two `ha-majordomo-broker` processes (primary, backup),
 *   Majordomo echo workers registered with both, Majordomo clients listing both.
 * - `ppp`: one `paranoid-pirate-queue`, Paranoid Pirate echo workers on its
 *   backend, Lazy Pirate clients on its frontend (no failover: while the
 *   queue is down, calls retry and may fail, and the caller is told).
 * - `binary-star`: two `binary-star-server` processes (echo servers; no
 *   workers), Binary Star clients.
 *
 * @module
 */
import { CLIS } from "../clis.js";
import type { ChaosClientConfig } from "./client.js";
import type { ChaosWorkerConfig } from "./worker.js";

/** A topology's name, as `--topology` takes it. */
export type TopologyName = "ha-majordomo" | "ppp" | "binary-star";

/** Every topology, in report order. */
export const TOPOLOGIES: readonly TopologyName[] = ["ha-majordomo", "ppp", "binary-star"];

/** The two ports each server process binds: where clients (and workers) connect, and its second socket. */
export interface ServerPorts {
  /** Clients (HA: and workers) connect here. */
  frontend: number;
  /** The Binary Star state PUB, or the PPP queue's backend. */
  second: number;
}

/** How one topology is built. */
export interface TopologySpec {
  /** Its name. */
  name: TopologyName;
  /** Prefix of its process names and request ids (`""`, `"ppp-"`, `"bs-"`). */
  prefix: string;
  /** The server processes: a Binary Star pair or one queue. */
  servers: readonly string[];
  /** What a server process is, for the RSS report. */
  serverRole: string;
  /** The CLI a server runs. */
  script: string;
  /** The CLI's arguments. */
  args(server: string, ports: Record<string, ServerPorts>, timing: { heartbeat: number; liveness: number }): string[];
  /** The state a stdout line announces (lower case: `active`, `passive`, `up`…), if any. */
  parseState(line: string): string | undefined;
  /** Worker kind, if the topology has workers. */
  worker: ChaosWorkerConfig["kind"] | undefined;
  /** Where workers connect. */
  workerEndpoints(ports: Record<string, ServerPorts>): string[];
  /** Client kind. */
  client: ChaosClientConfig["kind"];
  /** Where clients connect. */
  clientEndpoints(ports: Record<string, ServerPorts>): string[];
}

const tcp = (port: number): string => `tcp://127.0.0.1:${port}`;
const pairEndpoints = (ports: Record<string, ServerPorts>): string[] => [tcp(ports.primary!.frontend), tcp(ports.backup!.frontend)];

/** `--primary|--backup`, `--frontend`, `--local`, `--remote`, `--heartbeat` for a Binary Star pair member. */
function pairArgs(server: string, ports: Record<string, ServerPorts>, heartbeat: number): string[] {
  const peer = server === "primary" ? "backup" : "primary";
  return [
    `--${server}`,
    "--frontend", tcp(ports[server]!.frontend),
    "--local", tcp(ports[server]!.second),
    "--remote", tcp(ports[peer]!.second),
    "--heartbeat", String(heartbeat),
  ];
}

/** `started … state=X` or `state from=… to=X`, lower-cased. */
function pairState(line: string): string | undefined {
  const m = /^(?:started .*\bstate=(\w+)|state from=\w+ to=(\w+))/.exec(line);
  return m ? (m[1] ?? m[2]!).toLowerCase() : undefined;
}

/** The specs by name. */
export const SPECS: Record<TopologyName, TopologySpec> = {
  "ha-majordomo": {
    name: "ha-majordomo",
    prefix: "",
    servers: ["primary", "backup"],
    serverRole: "broker",
    script: CLIS.haMajordomoBroker,
    args: (server, ports, t) => [...pairArgs(server, ports, t.heartbeat), "--mdp-heartbeat", String(t.heartbeat), "--liveness", String(t.liveness)],
    parseState: pairState,
    worker: "majordomo",
    workerEndpoints: pairEndpoints,
    client: "majordomo",
    clientEndpoints: pairEndpoints,
  },
  ppp: {
    name: "ppp",
    prefix: "ppp-",
    servers: ["queue"],
    serverRole: "queue",
    script: CLIS.paranoidPirateQueue,
    args: (_server, ports, t) => [
      "--frontend", tcp(ports.queue!.frontend),
      "--backend", tcp(ports.queue!.second),
      "--heartbeat", String(t.heartbeat),
      "--liveness", String(t.liveness),
    ],
    parseState: (line) => (line.startsWith("started ") ? "up" : undefined),
    worker: "paranoid-pirate",
    workerEndpoints: (ports) => [tcp(ports.queue!.second)],
    client: "lazy-pirate",
    clientEndpoints: (ports) => [tcp(ports.queue!.frontend)],
  },
  "binary-star": {
    name: "binary-star",
    prefix: "bs-",
    servers: ["primary", "backup"],
    serverRole: "server",
    script: CLIS.binaryStarServer,
    args: (server, ports, t) => pairArgs(server, ports, t.heartbeat),
    parseState: pairState,
    worker: undefined,
    workerEndpoints: () => [],
    client: "binary-star",
    clientEndpoints: pairEndpoints,
  },
};
