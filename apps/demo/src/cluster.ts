import { fileURLToPath } from "node:url";
import { type ChildHandle, spawnNode } from "@zmq-reliable/core/testing";
import { parseEvent, type RoleEvent } from "./report.js";

const ROLE_MAIN = fileURLToPath(new URL("./roles/main.js", import.meta.url));

/** A role running in its own child process. */
export interface RoleProcess {
  /** Unique name, e.g. `"worker-2"`. */
  name: string;
  /** Role kind passed to the role entry point, e.g. `"mdp-worker"`. */
  role: string;
  /** The child process. */
  child: ChildHandle;
}

/** Starts, stops and kills the demo's role processes and forwards their events. */
export class Cluster {
  private readonly processes = new Map<string, RoleProcess>();
  private readonly all = new Set<ChildHandle>();

  /** @param onEvent - called for every event any role reports. */
  constructor(private readonly onEvent: (event: RoleEvent & { t: number }, process: RoleProcess) => void) {}

  /**
   * Starts `role` as process `name` and resolves when it reports `up`.
   *
   * @param name - unique process name.
   * @param role - the role kind (see roles/main.ts).
   * @param args - role arguments.
   */
  async start(name: string, role: string, args: Record<string, string | number> = {}): Promise<RoleProcess> {
    const argv = [role, "--name", name, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])];
    const child = spawnNode(ROLE_MAIN, argv);
    const proc = { name, role, child };
    this.processes.set(name, proc);
    this.all.add(child);
    child.onLine((line) => {
      const event = parseEvent(line);
      if (event) this.onEvent(event, proc);
    });
    await Promise.race([
      child.waitForLine(/"kind":"up"/, 15_000),
      child.exited.then((exit) => {
        throw new Error(`${name} exited during start-up (${JSON.stringify(exit)}): ${child.stderr.slice(-400)}`);
      }),
    ]);
    return proc;
  }

  /** The process called `name`, if it is running. */
  get(name: string): RoleProcess | undefined {
    const proc = this.processes.get(name);
    return proc?.child.running ? proc : undefined;
  }

  /** Names of running processes whose role is `role`. */
  running(role?: string): string[] {
    return [...this.processes.values()].filter((p) => p.child.running && (!role || p.role === role)).map((p) => p.name);
  }

  /** Kills `name` with `signal` (default SIGKILL) and waits until it is gone. */
  async kill(name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.processes.get(name)?.child.kill(signal);
  }

  /**
   * Asks `name` to finish politely (a `stop` line on stdin) and waits; SIGKILLs it
   * after `graceMs`.
   */
  async stop(name: string, graceMs = 10_000): Promise<void> {
    const proc = this.processes.get(name);
    if (!proc?.child.running) return;
    proc.child.send("stop");
    const timer = setTimeout(() => void proc.child.kill("SIGKILL"), graceMs);
    await proc.child.exited;
    clearTimeout(timer);
  }

  /** Stops every process (politely, in parallel) and returns how many had to be killed or were left. */
  async shutdown(graceMs = 5000): Promise<void> {
    await Promise.all(this.running().map((name) => this.stop(name, graceMs)));
  }

  /** How many processes this cluster ever started are still running. */
  leftRunning(): number {
    return [...this.all].filter((c) => c.running).length;
  }
}
