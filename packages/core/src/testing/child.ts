import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { TimeoutError } from "../pure/errors.js";

/** How a child process ended. */
export interface ChildExit {
  /** Exit code, or `null` when killed by a signal. */
  code: number | null;
  /** The signal that killed it, or `null`. */
  signal: NodeJS.Signals | null;
}

const live = new Set<ChildHandle>();

/**
 * A Node.js child process under test control: read its output line by line,
 * wait for a line, freeze it (SIGSTOP), thaw it (SIGCONT), kill it.
 */
export class ChildHandle {
  /** The underlying process. */
  readonly process: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[] = [];
  /** Everything written to stderr so far. */
  stderr = "";
  /** Resolves when the process has exited. */
  readonly exited: Promise<ChildExit>;
  private waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  private lineListeners: ((line: string) => void)[] = [];
  private exitInfo: ChildExit | undefined;

  /** Watches `child` (already spawned): its lines, its exit; {@link spawnNode} spawns and wraps one. */
  constructor(child: ChildProcess) {
    this.process = child;
    live.add(this);
    let buffer = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        this.lines.push(line);
        for (const listener of this.lineListeners) listener(line);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pattern.test(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
  }

  /** The process id. */
  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /**
   * Resolves with the first stdout line (already seen or future) matching `pattern`.
   *
   * @param pattern - what to look for.
   * @param timeout - deadline in ms; default 10,000.
   */
  waitForLine(pattern: RegExp, timeout = 10_000): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new TimeoutError(`No line matching ${pattern} within ${timeout} ms; stdout: ${this.lines.slice(-5).join(" | ")}; stderr: ${this.stderr.slice(-500)}`));
      }, timeout);
      const waiter = {
        pattern,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Calls `listener` with every stdout line from now on.
   *
   * @param listener - called once per line, without the newline.
   */
  onLine(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
  }

  /** Sends `signal` (default SIGKILL) and resolves when the process is gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<ChildExit> {
    if (this.running) {
      if (signal !== "SIGKILL" && signal !== "SIGCONT") this.process.kill("SIGCONT");
      this.process.kill(signal);
    }
    return this.exited;
  }

  /** Freezes the process (SIGSTOP). */
  stop(): void {
    this.process.kill("SIGSTOP");
  }

  /** Thaws a frozen process (SIGCONT). */
  cont(): void {
    this.process.kill("SIGCONT");
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    this.process.stdin?.write(`${line}\n`);
  }
}

/** Options of {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/**
 * Starts `node script ...args` with piped stdio and tracks it so
 * {@link killAllChildren} can clean up after a test.
 *
 * @param script - path of a JavaScript file.
 * @param args - command-line arguments.
 * @param options - environment and working directory.
 */
export function spawnNode(script: string, args: readonly string[] = [], options: SpawnNodeOptions = {}): ChildHandle {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  return new ChildHandle(child);
}

/** Child processes started by {@link spawnNode} that are still running. */
export function liveChildren(): ChildHandle[] {
  return [...live];
}

/** SIGKILLs every child started by {@link spawnNode} that is still running, and waits for them. */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill("SIGKILL")));
}

/**
 * Finds a TCP port on 127.0.0.1 that is free right now, for tests that must
 * restart a process on the same endpoint.
 */
export function reservePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
