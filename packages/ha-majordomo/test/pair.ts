import { fileURLToPath } from "node:url";
import { type ChildHandle, reservePort, spawnNode } from "@zmq-reliable/core/testing";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const WORKER = fileURLToPath(new URL("./fixtures/worker.mjs", import.meta.url));
const CLIENT = fileURLToPath(new URL("./fixtures/client.mjs", import.meta.url));

/** Binary Star heartbeat used by the tests (ms): the failover target is 500 ms at 100 ms. */
export const HEARTBEAT = 100;

/** A state interval of one broker process: active from `from` to `to` (epoch ms). */
export interface ActiveSpan {
  node: string;
  from: number;
  to: number;
}

/** Ports and processes of an HA Majordomo pair under test. */
export class Pair {
  readonly brokers = new Map<"primary" | "backup", ChildHandle>();
  readonly history: { node: string; child: ChildHandle; killedAt?: number }[] = [];

  private constructor(
    readonly ports: { primary: number; backup: number; primaryState: number; backupState: number },
  ) {}

  static async create(): Promise<Pair> {
    return new Pair({ primary: await reservePort(), backup: await reservePort(), primaryState: await reservePort(), backupState: await reservePort() });
  }

  endpoint(role: "primary" | "backup"): string {
    return `tcp://127.0.0.1:${this.ports[role]}`;
  }

  /** Starts one broker and waits for its `started` line. */
  async startBroker(role: "primary" | "backup"): Promise<ChildHandle> {
    const mine = role === "primary" ? this.ports.primaryState : this.ports.backupState;
    const peer = role === "primary" ? this.ports.backupState : this.ports.primaryState;
    const child = spawnNode(CLI, [
      `--${role}`,
      "--frontend", this.endpoint(role),
      "--local", `tcp://127.0.0.1:${mine}`,
      "--remote", `tcp://127.0.0.1:${peer}`,
      "--heartbeat", String(HEARTBEAT),
      "--mdp-heartbeat", "100",
    ]);
    this.brokers.set(role, child);
    this.history.push({ node: role, child });
    await child.waitForLine(/^started /);
    return child;
  }

  /** SIGKILLs a broker and records when. */
  async kill(role: "primary" | "backup"): Promise<number> {
    const child = this.brokers.get(role)!;
    const entry = this.history.find((h) => h.child === child)!;
    entry.killedAt = Date.now();
    await child.kill("SIGKILL");
    return entry.killedAt;
  }

  async startWorker(name: string): Promise<ChildHandle> {
    const child = spawnNode(WORKER, [this.endpoint("primary"), this.endpoint("backup"), name]);
    await child.waitForLine(/^up /);
    return child;
  }

  async startClient(timeout = 2 * HEARTBEAT): Promise<ChildHandle> {
    const child = spawnNode(CLIENT, [this.endpoint("primary"), this.endpoint("backup"), String(timeout)]);
    await child.waitForLine(/^up client/);
    return child;
  }

  /** Every span during which some broker process said it was active. */
  activeSpans(): ActiveSpan[] {
    const spans: ActiveSpan[] = [];
    for (const { node, child, killedAt } of this.history) {
      let since: number | undefined;
      for (const line of child.lines) {
        const m = /^state from=(\w+) to=(\w+) at=([\d.]+)/.exec(line);
        if (!m) continue;
        const at = Number(m[3]);
        if (m[2]!.toLowerCase() === "active") since = at;
        else if (since !== undefined) {
          spans.push({ node, from: since, to: at });
          since = undefined;
        }
      }
      if (since !== undefined) spans.push({ node, from: since, to: killedAt ?? Number.POSITIVE_INFINITY });
    }
    return spans;
  }
}

/** Replies a client process printed so far. */
export function replies(client: ChildHandle): { id: number; t: number; attempts: number; by: string }[] {
  return client.lines.filter((l) => l.startsWith('{"id"') && !l.includes('"error"')).map((l) => JSON.parse(l));
}

/** Stops a client politely and returns its totals. */
export async function stopClient(client: ChildHandle): Promise<{ sent: number; answered: number; failed: number; mismatched: number }> {
  client.send("stop");
  const line = await client.waitForLine(/^totals /, 15_000);
  await client.exited;
  return JSON.parse(line.slice("totals ".length));
}

/**
 * The longest time between consecutive replies in the `window` ms after `at`
 * (a reply already in flight when the fault hit may land just after it, so
 * the failover gap can start a little later).
 */
export function gapAround(list: { t: number }[], at: number, window = 3000): number {
  let gap = 0;
  for (let i = 1; i < list.length; i++) {
    if (list[i]!.t >= at && list[i - 1]!.t <= at + window) gap = Math.max(gap, list[i]!.t - list[i - 1]!.t);
  }
  return gap;
}
