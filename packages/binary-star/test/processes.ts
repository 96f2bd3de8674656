import { fileURLToPath } from "node:url";
import { type ChildHandle, spawnNode } from "@zmq-reliable/core/testing";
import type { BinaryStarClient } from "../src/index.js";
import { endpoints } from "./helpers.js";

/** The built CLI: fault tests run real `binary-star-server` processes. */
export const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** Wall-clock milliseconds with sub-ms precision, comparable with the CLI's `at=` stamps. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

export interface PairLayout {
  primary: string[];
  backup: string[];
  frontends: [string, string];
}

/** CLI arguments for both servers on fresh ports (reusable to restart either on the same ports). */
export async function pairLayout(heartbeat: number): Promise<PairLayout> {
  const [pFront, bFront, pLocal, bLocal] = await endpoints(4);
  const common = ["--heartbeat", String(heartbeat)];
  return {
    primary: ["--primary", "--frontend", pFront!, "--local", pLocal!, "--remote", bLocal!, ...common],
    backup: ["--backup", "--frontend", bFront!, "--local", bLocal!, "--remote", pLocal!, ...common],
    frontends: [pFront!, bFront!],
  };
}

export function startServer(args: string[], extra: string[] = []): ChildHandle {
  return spawnNode(CLI, [...args, ...extra]);
}

export interface StateLine {
  from: string;
  to: string;
  event: string;
  at: number;
}

/** The `state ...` lines a server printed, parsed. */
export function stateLines(child: ChildHandle): StateLine[] {
  return child.lines.flatMap((line) => {
    const m = /^state from=(\w+) to=(\w+) event=(\w+) at=([\d.]+)/.exec(line);
    return m ? [{ from: m[1]!, to: m[2]!, event: m[3]!, at: Number(m[4]) }] : [];
  });
}

/** When a server printed that it became `state`, or undefined. */
export function becameAt(child: ChildHandle, state: string): number | undefined {
  return stateLines(child).find((l) => l.to === state)?.at;
}

/** Steady request traffic from one client: one request every `period` ms, each reply checked against its request. */
export class Traffic {
  readonly replies: { seq: number; sentAt: number; at: number }[] = [];
  readonly errors: unknown[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly client: BinaryStarClient,
    private readonly period = 10,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let seq = 0; this.running; seq++) {
      const sentAt = wallNow();
      try {
        const reply = await this.client.request(`req-${seq}`);
        if (reply.length !== 1 || String(reply[0]) !== `req-${seq}`) throw new Error(`request ${seq} got reply ${reply.map(String).join("|")}`);
        this.replies.push({ seq, sentAt, at: wallNow() });
      } catch (err) {
        if (this.running) this.errors.push(err);
        return;
      }
      await new Promise((r) => setTimeout(r, this.period));
    }
  }

  /** Replies received after wall time `t`. */
  after(t: number): number {
    return this.replies.filter((r) => r.at > t).length;
  }

  /** Time from `t` to the first reply to a request sent at or after... any request, received after `t`. */
  firstReplyAfter(t: number): number | undefined {
    return this.replies.find((r) => r.at > t)?.at;
  }

  /** The longest time between two consecutive replies within [from, to]. */
  maxGap(from = 0, to = Number.POSITIVE_INFINITY): number {
    let gap = 0;
    for (let i = 1; i < this.replies.length; i++) {
      const a = this.replies[i - 1]!;
      const b = this.replies[i]!;
      if (b.at >= from && a.at <= to) gap = Math.max(gap, b.at - a.at);
    }
    return gap;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.client.close();
    await this.loop;
  }
}
