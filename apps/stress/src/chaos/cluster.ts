/**
 * The chaos run's production-like cluster: an HA Majordomo pair (two
 * `ha-majordomo-broker` CLI processes), echo workers registered with both,
 * and clients listing both endpoints, each a child process. Tracks each
 * broker's Binary Star state from its `state from=… to=…` lines, the time
 * both were active at once, and feeds every client and worker line to the
 * {@link Ledger}.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { reservePort } from "@zmq-reliable/core/testing";
import type { ChaosClientConfig } from "./client.js";
import { Ledger } from "./ledger.js";
import { Proc } from "./proc.js";
import type { ChaosWorkerConfig } from "./worker.js";

const BROKER_CLI = fileURLToPath(new URL("../../../ha-majordomo/dist/cli.js", import.meta.url));
const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));
const CLIENT = fileURLToPath(new URL("./client.js", import.meta.url));

/** A broker of the pair. */
export type BrokerRole = "primary" | "backup";

/** Timings and sizes of the cluster. */
export interface ClusterSettings {
  /** Seed of the clients' bodies. */
  seed: number;
  /** Binary Star heartbeat (ms). */
  heartbeat: number;
  /** MDP heartbeat (ms), brokers and workers. */
  mdpHeartbeat: number;
  /** MDP liveness. */
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

/** The running cluster. */
export class HaCluster {
  /** The request ledger. */
  readonly ledger = new Ledger();
  /** The broker process of each role (the latest one started). */
  readonly brokers: Partial<Record<BrokerRole, Proc>> = {};
  /** Each broker's last Binary Star state. */
  readonly state: Record<BrokerRole, string> = { primary: "down", backup: "down" };
  /** Workers now running (killed ones are removed). */
  readonly workers: Proc[] = [];
  /** Clients now running (killed ones are removed). */
  readonly clients: Proc[] = [];
  /** Every process ever started, for crashes and RSS. */
  readonly all: Proc[] = [];
  /** Transitions to active after the first one. */
  failovers = 0;
  /** Longest time (ms) both brokers said they were active. */
  longestDualActive = 0;
  private activations = 0;
  private dualSince: number | undefined;
  private names = { worker: 0, client: 0 };

  private constructor(
    readonly settings: ClusterSettings,
    private readonly ports: { primary: number; backup: number; primaryState: number; backupState: number },
  ) {}

  /** Reserves the pair's ports. */
  static async create(settings: ClusterSettings): Promise<HaCluster> {
    return new HaCluster(settings, { primary: await reservePort(), backup: await reservePort(), primaryState: await reservePort(), backupState: await reservePort() });
  }

  /** Both broker endpoints, primary first. */
  get endpoints(): string[] {
    return [`tcp://127.0.0.1:${this.ports.primary}`, `tcp://127.0.0.1:${this.ports.backup}`];
  }

  /** The broker that says it is active, when exactly one does. */
  get active(): BrokerRole | undefined {
    const actives = (["primary", "backup"] as const).filter((r) => this.state[r] === "active");
    return actives.length === 1 ? actives[0] : undefined;
  }

  /** Both brokers running and not frozen, one active and the other passive. */
  settled(): boolean {
    const up = (["primary", "backup"] as const).every((r) => this.brokers[r]?.running && !this.brokers[r]!.stopped);
    const states = [this.state.primary, this.state.backup].sort().join(",");
    return up && states === "active,passive";
  }

  /**
   * Starts a broker (again) on its endpoints and waits for its `started` line.
   *
   * @param role - which one.
   */
  async startBroker(role: BrokerRole): Promise<Proc> {
    const mine = role === "primary" ? this.ports.primaryState : this.ports.backupState;
    const peer = role === "primary" ? this.ports.backupState : this.ports.primaryState;
    const s = this.settings;
    const proc = new Proc(role, "broker", BROKER_CLI, [
      `--${role}`,
      "--frontend", this.endpoints[role === "primary" ? 0 : 1]!,
      "--local", `tcp://127.0.0.1:${mine}`,
      "--remote", `tcp://127.0.0.1:${peer}`,
      "--heartbeat", String(s.heartbeat),
      "--mdp-heartbeat", String(s.mdpHeartbeat),
      "--liveness", String(s.liveness),
    ]);
    this.brokers[role] = proc;
    this.track(proc);
    proc.onLine((line) => {
      const m = /^(?:started .*\bstate=(\w+)|state from=\w+ to=(\w+))/.exec(line);
      if (m) this.setState(role, (m[1] ?? m[2]!).toLowerCase());
    });
    void proc.exited.then(() => {
      if (this.brokers[role] === proc) this.setState(role, "down");
    });
    await proc.waitForLine(/^started /, 10_000);
    return proc;
  }

  /** Starts one more echo worker and waits for its `up` line. */
  async startWorker(): Promise<Proc> {
    const config: ChaosWorkerConfig = { endpoints: this.endpoints, heartbeat: this.settings.mdpHeartbeat, liveness: this.settings.liveness };
    const proc = new Proc(`w${++this.names.worker}`, "worker", WORKER, [JSON.stringify(config)]);
    this.workers.push(proc);
    this.track(proc);
    proc.onLine((line) => this.ledger.workerLine(line));
    await proc.waitForLine(/^up$/, 10_000);
    return proc;
  }

  /** Starts one more client and waits for its `up` line. */
  async startClient(): Promise<Proc> {
    const s = this.settings;
    const name = `c${++this.names.client}`;
    const config: ChaosClientConfig = {
      endpoints: this.endpoints, name, seed: s.seed * 1000 + this.names.client,
      inFlight: s.inFlight, timeout: s.timeout, attempts: s.attempts, pause: s.pause,
    };
    const proc = new Proc(name, "client", CLIENT, [JSON.stringify(config)]);
    this.clients.push(proc);
    this.track(proc);
    proc.onLine((line) => this.ledger.clientLine(name, line, Date.now()));
    await proc.waitForLine(/^\{"up"/, 10_000);
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

  /** Called with every process the cluster starts (the run logs its pid). */
  onSpawn: (proc: Proc) => void = () => undefined;

  private track(proc: Proc): void {
    this.all.push(proc);
    this.onSpawn(proc);
  }

  private setState(role: BrokerRole, state: string): void {
    const before = this.state[role];
    this.state[role] = state;
    if (state === "active" && before !== "active" && this.activations++ > 0) this.failovers++;
    const dual = this.state.primary === "active" && this.state.backup === "active";
    const now = Date.now();
    if (dual && this.dualSince === undefined) this.dualSince = now;
    if (!dual && this.dualSince !== undefined) {
      this.longestDualActive = Math.max(this.longestDualActive, now - this.dualSince);
      this.dualSince = undefined;
    }
  }
}
