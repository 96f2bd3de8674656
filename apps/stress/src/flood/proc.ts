/**
 * Child processes of the flood harness: spawned with piped output read line
 * by line (nothing accumulated but a short tail, so a verbose target cannot
 * grow the harness), tracked so every one is killed when the harness exits,
 * is interrupted or crashes.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CLIS } from "../clis.js";

/** Paths of the programs the harness runs, resolved from this file (in `apps/stress/dist/flood/`). */
export const PROGRAMS = {
  majordomo: CLIS.majordomoBroker,
  paranoidPirate: CLIS.paranoidPirateQueue,
  binaryStar: CLIS.binaryStarServer,
  lazyPirateTarget: fileURLToPath(new URL("./lazy-pirate-target.js", import.meta.url)),
  flooder: fileURLToPath(new URL("./flooder.js", import.meta.url)),
} as const;

const live = new Set<Proc>();
const TAIL = 20;

/** A line listener: `stream` says where the line came from. */
export type LineListener = (line: string, stream: "stdout" | "stderr") => void;

/** One child process, its output read line by line. */
export class Proc {
  /** The process. */
  readonly child: ChildProcess;
  /** The last lines of stdout and stderr, for error messages. */
  readonly tail: string[] = [];
  /** The last stdout lines (at most 500), so a wait sees a line that came before it. */
  private readonly stdoutTail: string[] = [];
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  private exitValue: number | string | undefined;
  private readonly listeners: LineListener[] = [];

  /**
   * @param name - a short name for messages.
   * @param script - the JavaScript file to run with this Node.js.
   * @param args - its arguments.
   */
  constructor(readonly name: string, script: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exitValue = code ?? signal ?? "?";
        live.delete(this);
        resolve(this.exitValue);
      });
    });
    for (const stream of ["stdout", "stderr"] as const) {
      let buffer = "";
      this.child[stream]!.setEncoding("utf8");
      this.child[stream]!.on("data", (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          this.tail.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
          if (this.tail.length > TAIL) this.tail.shift();
          if (stream === "stdout") {
            this.stdoutTail.push(line);
            if (this.stdoutTail.length > 500) this.stdoutTail.shift();
          }
          for (const listener of this.listeners) listener(line, stream);
        }
      });
    }
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Whether it still runs. */
  get running(): boolean {
    return this.exitValue === undefined;
  }

  /**
   * Calls `listener` with every line from now on.
   *
   * @param listener - the listener.
   */
  onLine(listener: LineListener): void {
    this.listeners.push(listener);
  }

  /**
   * Resolves with the first stdout line matching `pattern` (among the last
   * 500 already seen, or to come); rejects after
   * `timeout` ms or when the process exits first.
   *
   * @param pattern - what to wait for.
   * @param timeout - the deadline in ms.
   */
  waitForLine(pattern: RegExp, timeout: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${this.name}: no line matching ${pattern} within ${timeout} ms; last output: ${this.tail.slice(-5).join(" | ")}`)), timeout);
      let settled = false;
      const done = (result: string | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (typeof result === "string") resolve(result);
        else reject(result);
      };
      const seen = this.stdoutTail.find((line) => pattern.test(line));
      if (seen !== undefined) return done(seen);
      this.onLine((line, stream) => {
        if (stream === "stdout" && pattern.test(line)) done(line);
      });
      void this.exited.then((code) => done(new Error(`${this.name} exited (${code}) before a line matching ${pattern}; last output: ${this.tail.slice(-5).join(" | ")}`)));
    });
  }

  /**
   * Asks the process to stop with SIGTERM, waits up to `timeout` ms, then
   * SIGKILLs it. Resolves with how it ended.
   *
   * @param timeout - ms to wait after SIGTERM.
   */
  async stop(timeout = 5000): Promise<number | string> {
    if (!this.running) return this.exited;
    this.child.kill("SIGCONT");
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeout);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  /** SIGKILLs the process (if it still runs) and waits for it. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** SIGKILLs every child still running, at once and synchronously (for exit handlers). */
export function killAllNow(): void {
  for (const proc of live) {
    try {
      proc.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** SIGKILLs every child still running and waits for them. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

/**
 * Kills every child when this process exits, is interrupted (SIGINT,
 * SIGTERM: exit status 1) or crashes (an uncaught error: its message, exit 1).
 */
export function killChildrenOnExit(): void {
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      killAllNow();
      process.stderr.write(`\nflood: ${signal}, children killed\n`);
      process.exit(1);
    });
  }
  const crash = (err: unknown) => {
    killAllNow();
    process.stderr.write(`flood: crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
}
