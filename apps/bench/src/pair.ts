/**
 * A Binary Star pair under test (the `binary-star-server` or the
 * `ha-majordomo-broker` CLI) on fixed loopback ports, so a killed node
 * restarts where its clients look for it, and a client that records when
 * each reply came.
 *
 * @module
 */
import { reservePort } from "@zmq-reliable/core/testing";
import type { BenchContext, BenchProcess } from "./types.js";

/** A node of the pair. */
export type PairRole = "primary" | "backup";

/** Two nodes of one CLI, started, killed and restarted by role. */
export class Pair {
  /** The running node of each role. */
  readonly nodes = new Map<PairRole, BenchProcess>();

  private constructor(
    private readonly ctx: BenchContext,
    private readonly cli: string,
    private readonly ports: Record<PairRole | "primaryState" | "backupState", number>,
    private readonly flags: readonly string[],
  ) {}

  /**
   * @param ctx - the scenario's context.
   * @param cli - the CLI's script.
   * @param flags - flags both nodes get (heartbeats).
   */
  static async create(ctx: BenchContext, cli: string, flags: readonly string[]): Promise<Pair> {
    const [primary, backup, primaryState, backupState] = await Promise.all([reservePort(), reservePort(), reservePort(), reservePort()]);
    return new Pair(ctx, cli, { primary: primary!, backup: backup!, primaryState: primaryState!, backupState: backupState! }, flags);
  }

  /** The client endpoints, `[primary, backup]`. */
  get endpoints(): [string, string] {
    return [`tcp://127.0.0.1:${this.ports.primary}`, `tcp://127.0.0.1:${this.ports.backup}`];
  }

  /**
   * Starts a node and waits until it has taken `state` (`ACTIVE` or `PASSIVE`).
   *
   * @param role - which node.
   * @param state - the state to wait for.
   */
  async start(role: PairRole, state: "ACTIVE" | "PASSIVE"): Promise<BenchProcess> {
    const [mine, peer] = role === "primary" ? [this.ports.primaryState, this.ports.backupState] : [this.ports.backupState, this.ports.primaryState];
    const frontend = this.endpoints[role === "primary" ? 0 : 1];
    const node = this.ctx.spawn(role, this.cli, [`--${role}`, "--frontend", frontend, "--local", `tcp://127.0.0.1:${mine}`, "--remote", `tcp://127.0.0.1:${peer}`, ...this.flags]);
    this.nodes.set(role, node);
    await node.waitForLine(new RegExp(`^state from=\\w+ to=${state}\\b`), 60_000);
    return node;
  }

  /**
   * SIGKILLs a node; resolves with the moment (`performance.now()`) of the kill.
   *
   * @param role - which node.
   */
  async kill(role: PairRole): Promise<number> {
    const at = performance.now();
    await this.nodes.get(role)?.kill();
    return at;
  }
}

/** Sends requests one after the other and notes when each reply came. */
export class ReplyClock {
  private running = true;
  private readonly waiters: { after: number; resolve: (at: number) => void }[] = [];
  private readonly loop: Promise<void>;

  /**
   * @param request - one request; resolves on its reply (a rejection is retried).
   * @param pace - ms between a reply and the next request.
   */
  constructor(request: () => Promise<unknown>, pace = 2) {
    this.loop = (async () => {
      while (this.running) {
        try {
          await request();
          const at = performance.now();
          for (const w of this.waiters.filter((w) => at > w.after)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(at);
          }
        } catch {
          // a failed call: the next one tries again
        }
        await new Promise((resolve) => setTimeout(resolve, pace));
      }
    })();
  }

  /**
   * Resolves with the time of the first reply after `after` (a `performance.now()` time).
   *
   * @param after - the moment.
   * @param timeout - ms before it rejects.
   */
  firstReplyAfter(after: number, timeout = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeout} ms`)), timeout);
      this.waiters.push({ after, resolve: (at) => (clearTimeout(timer), resolve(at)) });
    });
  }

  /** Stops sending; resolves once the call in flight has ended (close the client to end it at once). */
  stop(): Promise<void> {
    this.running = false;
    return this.loop;
  }
}
