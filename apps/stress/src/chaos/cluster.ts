/**
 * The chaos run's production-like cluster for one topology (see
 * {@link TopologySpec}): the server processes (a Binary Star pair or a
 * queue), workers and clients, each a child process. Tracks each server's
 * state from its stdout (`state from=… to=…`), the time both members of a
 * pair were active at once, and feeds every client and worker line to the
 * {@link Ledger}.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { reservePort } from "@zmq-reliable/core/testing";
import type { ChaosClientConfig } from "./client.js";
import { Ledger } from "./ledger.js";
import { Proc } from "./proc.js";
import type { ServerPorts, TopologySpec } from "./topology.js";
import type { ChaosWorkerConfig } from "./worker.js";

const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));
const CLIENT = fileURLToPath(new URL("./client.js", import.meta.url));

/** How long (ms) a process may take to say it is up (a loaded 2-core machine can take seconds). */
const START_TIMEOUT = 30_000;

/** Timings and sizes of the cluster. */
export interface ClusterSettings {
  /** Seed of the clients' bodies. */
  seed: number;
  /** Heartbeat (ms) of every server and worker (Binary Star, MDP, PPP). */
  heartbeat: number;
  /** Liveness of workers and queue/broker. */
  liveness: number;
  /** Client per-attempt timeout (ms). */
  timeout: number;
  /** Client sends per request. */
  attempts: number;
  /** Requests in flight per client. */
  inFlight: number;
  /** Mean pause (ms) between one client slot's requests. */
  pause: number;
}

/** The running cluster of one topology. */
export class Cluster {
  /** The request ledger. */
  readonly ledger = new Ledger();
  /** The server process of each name (the latest one started). */
  readonly servers: Record<string, Proc | undefined> = {};
  /** Each server's last state (`down` when not running). */
  readonly state: Record<string, string> = {};
  /** Workers now running (killed ones are removed). */
  readonly workers: Proc[] = [];
  /** Clients now running (killed ones are removed). */
  readonly clients: Proc[] = [];
  /** Every process ever started, for crashes and RSS. */
  readonly all: Proc[] = [];
  /** Transitions to active after the first one (pairs). */
  failovers = 0;
  /** Longest time (ms) both members of a pair said they were active. */
  longestDualActive = 0;
  /** Called with every process the cluster starts (the run logs its pid). */
  onSpawn: (proc: Proc) => void = () => undefined;
  /** Called with every server state change (the run logs it). */
  onState: (server: string, from: string, to: string) => void = () => undefined;
  private activations = 0;
  private dualSince: number | undefined;
  private names = { worker: 0, client: 0 };

  private constructor(readonly spec: TopologySpec, readonly settings: ClusterSettings, private readonly ports: Record<string, ServerPorts>) {
    for (const server of spec.servers) this.state[server] = "down";
  }

  /**
   * Reserves the servers' ports.
   *
   * @param spec - the topology.
   * @param settings - timings and sizes.
   */
  static async create(spec: TopologySpec, settings: ClusterSettings): Promise<Cluster> {
    const ports: Record<string, ServerPorts> = {};
    for (const server of spec.servers) ports[server] = { frontend: await reservePort(), second: await reservePort() };
    return new Cluster(spec, settings, ports);
  }

  /** Where clients connect. */
  get endpoints(): string[] {
    return this.spec.clientEndpoints(this.ports);
  }

  /** Whether the topology is a Binary Star pair. */
  get paired(): boolean {
    return this.spec.servers.length === 2;
  }

  /** The server serving now: the one active member of a pair, or the queue when up. */
  get active(): string | undefined {
    if (!this.paired) return this.state[this.spec.servers[0]!] === "up" ? this.spec.servers[0] : undefined;
    const actives = this.spec.servers.filter((s) => this.state[s] === "active");
    return actives.length === 1 ? actives[0] : undefined;
  }

  /** Every server running and not frozen; for a pair, one active and the other passive. */
  settled(): boolean {
    const up = this.spec.servers.every((s) => this.servers[s]?.running && !this.servers[s]!.stopped);
    if (!up) return false;
    if (!this.paired) return this.state[this.spec.servers[0]!] === "up";
    return this.spec.servers.map((s) => this.state[s]).sort().join(",") === "active,passive";
  }

  /**
   * Starts a server (again) on its endpoints and waits for its `started` line.
   *
   * @param server - which one.
   */
  async startServer(server: string): Promise<Proc> {
    const args = this.spec.args(server, this.ports, { heartbeat: this.settings.heartbeat, liveness: this.settings.liveness });
    const proc = new Proc(`${this.spec.prefix}${server}`, this.spec.serverRole, this.spec.script, args);
    this.servers[server] = proc;
    proc.onLine((line) => {
      const state = this.spec.parseState(line);
      if (state) this.setState(server, state);
    });
    void proc.exited.then(() => {
      if (this.servers[server] === proc) this.setState(server, "down");
    });
    this.track(proc);
    await proc.waitForLine(/^started /, START_TIMEOUT);
    return proc;
  }

  /** Starts one more echo worker and waits for its `up` line. */
  async startWorker(): Promise<Proc> {
    const { heartbeat, liveness } = this.settings;
    const config: ChaosWorkerConfig = { kind: this.spec.worker!, endpoints: this.spec.workerEndpoints(this.ports), heartbeat, liveness };
    const proc = new Proc(`${this.spec.prefix}w${++this.names.worker}`, "worker", WORKER, [JSON.stringify(config)]);
    this.workers.push(proc);
    proc.onLine((line) => this.ledger.workerLine(line));
    this.track(proc);
    await proc.waitForLine(/^up$/, START_TIMEOUT);
    return proc;
  }

  /** Starts one more client and waits for its `up` line. */
  async startClient(): Promise<Proc> {
    const s = this.settings;
    const name = `${this.spec.prefix}c${++this.names.client}`;
    const config: ChaosClientConfig = {
      kind: this.spec.client, endpoints: this.endpoints, name, seed: s.seed * 1000 + this.names.client,
      inFlight: s.inFlight, timeout: s.timeout, attempts: s.attempts, pause: s.pause, heartbeat: s.heartbeat,
    };
    const proc = new Proc(name, "client", CLIENT, [JSON.stringify(config)]);
    this.clients.push(proc);
    proc.onLine((line) => this.ledger.clientLine(name, line, Date.now()));
    this.track(proc);
    await proc.waitForLine(/^\{"up"/, START_TIMEOUT);
    return proc;
  }

  /**
   * SIGKILLs a worker or client on purpose and takes it out of the running list.
   *
   * @param proc - the process.
   */
  async kill(proc: Proc): Promise<void> {
    for (const list of [this.workers, this.clients]) {
      const at = list.indexOf(proc);
      if (at >= 0) list.splice(at, 1);
    }
    await proc.kill();
    if (proc.role === "client") this.ledger.clientGone(proc.name);
  }

  /** The server states, for logs: `primary active, backup passive`. */
  describe(): string {
    return this.spec.servers.map((s) => `${s} ${this.state[s]}`).join(", ");
  }

  private track(proc: Proc): void {
    this.all.push(proc);
    this.onSpawn(proc);
  }

  private setState(server: string, state: string): void {
    const before = this.state[server]!;
    this.state[server] = state;
    if (before !== state) this.onState(server, before, state);
    if (!this.paired) return;
    if (state === "active" && before !== "active" && this.activations++ > 0) this.failovers++;
    const dual = this.spec.servers.every((s) => this.state[s] === "active");
    const now = Date.now();
    if (dual && this.dualSince === undefined) this.dualSince = now;
    if (!dual && this.dualSince !== undefined) {
      this.longestDualActive = Math.max(this.longestDualActive, now - this.dualSince);
      this.dualSince = undefined;
    }
  }
}
