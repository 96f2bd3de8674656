/**
 * {@link BenchProcess}: a child process of a benchmark, on core's
 * `spawnNode` (which reads stdout line by line and tracks the child), with
 * stderr read by line too and the command protocol of the long-lived bench
 * programs (`src/programs/command-loop.ts`).
 *
 * @module
 */
import { type ChildHandle, spawnNode } from "@zmq-reliable/core/testing";
import type { BenchProcess, Stream } from "./types.js";

const RECENT = 500;

/** A child process started by the bench: see {@link BenchProcess}. */
export class BenchChild implements BenchProcess {
  /** The child, as core's testing helpers run it. */
  readonly handle: ChildHandle;
  /** Resolves with the exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
  private readonly recent: Record<Stream, string[]> = { stdout: [], stderr: [] };
  private readonly listeners: ((line: string, stream: Stream) => void)[] = [];

  /**
   * @param name - a short name for messages.
   * @param script - the JavaScript file to run with this Node.js.
   * @param args - its arguments.
   */
  constructor(readonly name: string, script: string, args: readonly string[] = []) {
    this.handle = spawnNode(script, args);
    this.exited = this.handle.exited.then(({ code, signal }) => code ?? signal ?? "?");
    this.handle.onLine((line) => this.line(line, "stdout"));
    let buffer = "";
    this.handle.process.stderr?.on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        this.line(buffer.slice(0, newline), "stderr");
        buffer = buffer.slice(newline + 1);
      }
      this.handle.stderr = ""; // lines are kept in `recent`; the handle's copy would only grow
    });
  }

  /** The process id. */
  get pid(): number {
    return this.handle.pid;
  }

  /** Whether it still runs. */
  get running(): boolean {
    return this.handle.running;
  }

  /** The last lines of both streams, for error messages. */
  tail(count = 5): string {
    return [...this.recent.stdout.slice(-count), ...this.recent.stderr.slice(-count)].join(" | ");
  }

  onLine(listener: (line: string, stream: Stream) => void): void {
    this.listeners.push(listener);
  }

  waitForLine(pattern: RegExp, timeout = 10_000, stream: Stream = "stdout"): Promise<string> {
    const seen = this.recent[stream].find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return this.nextLine((line, from) => from === stream && pattern.test(line), timeout, `a line matching ${pattern} on ${stream}`);
  }

  send(line: string): void {
    this.handle.send(line);
  }

  async call(command: Record<string, unknown>, timeout = 120_000): Promise<Record<string, number>> {
    const answer = this.nextLine((line, stream) => stream === "stdout" && /^(result|error) /.test(line), timeout, `an answer to ${JSON.stringify(command)}`);
    this.send(JSON.stringify(command));
    const line = await answer;
    if (line.startsWith("error ")) throw new Error(`${this.name}: ${line.slice(6)}`);
    return JSON.parse(line.slice(7)) as Record<string, number>;
  }

  async stop(timeout = 3000): Promise<number | string> {
    if (!this.running) return this.exited;
    const timer = setTimeout(() => this.handle.process.kill("SIGKILL"), timeout);
    await this.handle.kill("SIGTERM");
    clearTimeout(timer);
    return this.exited;
  }

  async kill(): Promise<void> {
    await this.handle.kill("SIGKILL");
  }

  private line(line: string, stream: Stream): void {
    const recent = this.recent[stream];
    recent.push(line);
    if (recent.length > RECENT) recent.shift();
    for (const listener of [...this.listeners]) listener(line, stream);
  }

  private nextLine(match: (line: string, stream: Stream) => boolean, timeout: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (result: string | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        if (typeof result === "string") resolve(result);
        else reject(result);
      };
      const listener = (line: string, stream: Stream) => {
        if (match(line, stream)) done(line);
      };
      const timer = setTimeout(() => done(new Error(`${this.name}: no ${what} within ${timeout} ms; last output: ${this.tail()}`)), timeout);
      this.listeners.push(listener);
      void this.exited.then((code) => done(new Error(`${this.name} exited (${code}) before ${what}; last output: ${this.tail()}`)));
    });
  }
}
