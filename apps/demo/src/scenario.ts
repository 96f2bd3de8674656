import type { Cluster } from "./cluster.js";
import type { DemoOptions } from "./options.js";
import type { StoryEvent, Tally } from "./tally.js";

/** What a scenario can do while it runs. */
export interface ScenarioContext {
  /** The role processes. */
  cluster: Cluster;
  /** The counters. */
  tally: Tally;
  /** Parsed options (duration, seed). */
  options: DemoOptions;
  /** Seeded randomness. */
  random: () => number;
  /** Tells the story: records and prints a line. */
  say(text: string, kind?: StoryEvent["kind"]): void;
  /** Waits `ms` of story time. */
  wait(ms: number): Promise<void>;
  /**
   * Kills a process with SIGKILL and tells it. With `measureGap` (for the
   * process that serves everyone: a broker, a queue, a server) the time until
   * the next reply is the failover gap.
   */
  kill(name: string, why: string, options?: { measureGap?: boolean }): Promise<void>;
}

/** A story the demo can tell. */
export interface Scenario {
  /** One line shown at the start. */
  title: string;
  /** Extra status for the once-a-second line (e.g. workers alive). */
  status(ctx: ScenarioContext): string;
  /** Starts the roles, runs the faults, and returns when the clients should stop. */
  run(ctx: ScenarioContext): Promise<void>;
  /** Names of the client processes, stopped first so they can report totals. */
  clients(ctx: ScenarioContext): string[];
}
