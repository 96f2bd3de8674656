/**
 * The chaos harness's child processes: spawn a Node program, read its stdout
 * line by line, freeze, thaw, kill, terminate, sample its memory, and tell a
 * deliberate end (our SIGKILL, our SIGTERM) from a crash. Every process is
 * tracked so {@link killAll} leaves no orphan, whatever ends the harness.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { RssSampler } from "@zmq-reliable/core/testing";

/** How a process ended. */
export interface ProcExit {
  /** Exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
}

const live = new Set<Proc>();

/** One child process under the harness's control. */
export class Proc {
  /** The process. */
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcExit>;
  /** Peak resident memory sampler. */
  readonly rss: RssSampler;
  /** When it was started (epoch ms). */
  readonly startedAt = Date.now();
  /** Set when we SIGKILLed it on purpose. */
  killedByUs = false;
  /** Set when we asked it to stop (SIGTERM or `stop` on stdin): it must then exit 0. */
  terminated = false;
  /** Whether it is frozen by SIGSTOP right now. */
  stopped = false;
  /** How it ended, once it has. */
  exit: ProcExit | undefined;
  /** The last few KB of its stderr. */
  stderrTail = "";
  private readonly listeners: ((line: string) => void)[] = [];

  /**
   * @param name - a name for logs and reports (`primary`, `w3`, `c5`…).
   * @param role - what it is, for the RSS report (`broker`, `worker`, `client`).
   * @param script - the program to run with `node`.
   * @param args - its arguments.
   */
  constructor(readonly name: string, readonly role: string, script: string, args: readonly string[]) {
    this.child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdin?.on("error", () => undefined);
    live.add(this);
    this.rss = new RssSampler(this.child.pid ?? -1, 200);
    let buffer = "";
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        for (const listener of this.listeners) listener(line);
      }
    });
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4096);
    });
    // "close" (not "exit"): every stdout line has been read by then.
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.exit = { code, signal };
        this.rss.stop();
        live.delete(this);
        resolve(this.exit);
      });
    });
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Whether it has not exited yet. */
  get running(): boolean {
    return this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Calls `listener` with every stdout line, without its newline.
   *
   * @param listener - the callback.
   */
  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Resolves with the first stdout line from now on that matches `pattern`,
   * or rejects after `timeout` ms or when the process exits first.
   *
   * @param pattern - what to wait for.
   * @param timeout - deadline in ms.
   */
  waitForLine(pattern: RegExp, timeout: number): Promise<string> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => finish(new Error(`${this.name}: no line matching ${pattern} within ${timeout} ms; stderr: ${this.stderrTail.slice(-300)}`)), timeout);
      const finish = (result: string | Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (typeof result === "string") resolve(result);
        else reject(result);
      };
      this.onLine((line) => {
        if (pattern.test(line)) finish(line);
      });
      void this.exited.then((e) => finish(new Error(`${this.name} exited (code ${e.code}, signal ${e.signal}) before printing ${pattern}; stderr: ${this.stderrTail.slice(-300)}`)));
    });
  }

  /** SIGKILLs it on purpose and resolves when it is gone. */
  async kill(): Promise<ProcExit> {
    this.killedByUs = true;
    if (this.running) this.child.kill("SIGKILL");
    return this.exited;
  }

  /** Freezes it (SIGSTOP). */
  stop(): void {
    if (!this.running) return;
    this.stopped = true;
    this.child.kill("SIGSTOP");
  }

  /** Thaws it (SIGCONT). */
  cont(): void {
    this.stopped = false;
    if (this.running) this.child.kill("SIGCONT");
  }

  /** Asks it to exit (SIGCONT, then SIGTERM); it must then exit 0. */
  term(): void {
    this.terminated = true;
    this.cont();
    if (this.running) this.child.kill("SIGTERM");
  }

  /**
   * Writes one line to its stdin.
   *
   * @param line - the text, without newline.
   */
  send(line: string): void {
    if (this.running) this.child.stdin?.write(`${line}\n`);
  }

  /**
   * Why its end counts as a crash, or `undefined` when it does not (still
   * running, killed by us, or exited 0 after we asked it to stop).
   */
  crash(): string | undefined {
    if (!this.exit || this.killedByUs) return undefined;
    const how = this.exit.signal ? `signal ${this.exit.signal}` : `exit ${this.exit.code}`;
    if (!this.terminated) return `${this.name} ended by itself (${how})`;
    if (this.exit.code !== 0) return `${this.name} ended with ${how} after SIGTERM`;
    return undefined;
  }
}

/** Every process started and not yet gone. */
export function liveProcs(): Proc[] {
  return [...live];
}

/** SIGKILLs every process still running (synchronously: safe in an exit handler). */
export function killAll(): void {
  for (const proc of live) {
    try {
      proc.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
