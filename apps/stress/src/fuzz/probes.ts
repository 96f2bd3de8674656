/**
 * Liveness probes: legitimate requests through a target while it is fuzzed;
 * each must come back with its own body within the deadline.
 *
 * @module
 */
import { seededRandom } from "@zmq-reliable/core";
import type { Target } from "./targets.js";

/** How long one probe may take, ms (the clients retry inside it). */
export const PROBE_DEADLINE = 10_000;
/** Probes spread over the fuzzing of one target. */
export const PROBES_DURING = 50;

/** Probes of one target and their outcome. */
export class Prober {
  /** Probes answered with their own body in time. */
  ok = 0;
  /** Probes sent. */
  total = 0;
  /** What went wrong, one line per failed probe (at most 20 kept). */
  readonly failures: string[] = [];
  private readonly random: () => number;

  /**
   * @param target - the target to probe.
   * @param seed - seed of the probe bodies.
   */
  constructor(private readonly target: Target, seed: number) {
    this.random = seededRandom(seed);
  }

  /** Sends one probe and records the outcome. */
  async one(): Promise<boolean> {
    this.total++;
    const body = `probe ${this.target.name} #${this.total} ${Math.floor(this.random() * 1e9)} ✓`;
    const started = Date.now();
    try {
      const reply = await this.target.probe(body, AbortSignal.timeout(PROBE_DEADLINE));
      if (reply.length === 1 && reply[0]!.toString("utf8") === body) {
        this.ok++;
        return true;
      }
      this.fail(`probe #${this.total}: wrong reply ${JSON.stringify(reply.map((f) => f.toString("utf8").slice(0, 60)))}`);
    } catch (error) {
      this.fail(`probe #${this.total}: ${(error as Error).message} after ${Date.now() - started} ms`);
    }
    return false;
  }

  private fail(text: string): void {
    if (this.failures.length < 20) this.failures.push(text);
  }

  /**
   * Sends {@link PROBES_DURING} probes, the k-th once `sent()` reaches k × `interval`
   * (or right away once `done()`), one at a time.
   *
   * @param sent - messages sent to the target so far.
   * @param interval - messages between probes.
   * @param done - whether the fuzzing is over.
   */
  async during(sent: () => number, interval: number, done: () => boolean): Promise<void> {
    for (let k = 1; k <= PROBES_DURING; k++) {
      while (!done() && sent() < k * interval) await new Promise((r) => setTimeout(r, 10));
      await this.one();
    }
  }
}
