/**
 * The processes under test: the real CLIs, spawned as child processes, with
 * their memory sampled and their stderr checked; and the guarantee that no
 * child outlives the harness (normal exit, SIGINT/SIGTERM or a crash).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { CLIS } from "../clis.js";
import { type ChildHandle, liveChildren, RssSampler, spawnNode } from "@zmq-reliable/core/testing";

/** Absolute paths of the CLIs under test (built `dist`). */
export const CLI = {
  queue: CLIS.paranoidPirateQueue,
  broker: CLIS.majordomoBroker,
  bstar: CLIS.binaryStarServer,
  ha: CLIS.haMajordomoBroker,
  lazyEcho: fileURLToPath(new URL("../targets/lazy-pirate-echo.js", import.meta.url)),
} as const;

/** Where every process under test binds: the loopback, a port the kernel picks (read back from the `started` line). */
export const ANY_PORT = "tcp://127.0.0.1:*";

/** What the stderr of a process looked like. */
export interface StderrFigures {
  /** Lines written. */
  lines: number;
  /** Bytes written. */
  bytes: number;
  /** Raw control characters other than `\n` (an unescaped peer string). */
  controls: number;
}

/** Counts lines, bytes and raw control characters (anything below 0x20 but `\n`, and DEL) of `text`. */
export function stderrFigures(text: string): StderrFigures {
  let lines = 0;
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) lines++;
    else if (c < 32 || c === 127) controls++;
  }
  if (text.length > 0 && !text.endsWith("\n")) lines++;
  return { lines, bytes: Buffer.byteLength(text), controls };
}

/** One process under test. */
export class TargetProcess {
  /** The running child, after {@link TargetProcess.start}. */
  child: ChildHandle | undefined;
  private sampler: RssSampler | undefined;
  /** Peak RSS in bytes, fixed by {@link TargetProcess.stop}. */
  peakRss = 0;
  /** Whether the process died or failed to exit 0 on SIGTERM. */
  crashed = false;
  /** How it ended, for the report. */
  exit = "";

  /**
   * @param name - a short name for the report (`queue`, `primary`, …).
   * @param script - the CLI's path.
   * @param args - its arguments.
   */
  constructor(readonly name: string, readonly script: string, readonly args: readonly string[]) {}

  /** The `key=value` fields of its `started` line (endpoints as bound), after {@link TargetProcess.start}. */
  fields: Record<string, string> = {};

  /** Spawns it and waits for its `started` line (deadline 15 s). */
  async start(): Promise<Record<string, string>> {
    this.child = spawnNode(this.script, this.args);
    const line = await this.child.waitForLine(/^started /, 15_000);
    this.sampler = new RssSampler(this.child.pid, 100);
    this.fields = Object.fromEntries([...line.matchAll(/(\S+?)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    return this.fields;
  }

  /** Whether it is running now. */
  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** Peak RSS so far, in bytes. */
  get rss(): number {
    return Math.max(this.peakRss, this.sampler?.peak ?? 0);
  }

  /** Stderr so far. */
  get stderr(): string {
    return this.child?.stderr ?? "";
  }

  /**
   * Reads its peak memory, then SIGTERMs it and waits (deadline `timeout`) for exit status 0;
   * anything else (already dead, another status, no exit in time: then SIGKILL) is a crash.
   */
  async stop(timeout = 5_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.peakRss = this.rss;
    this.sampler?.stop();
    if (!child.running) {
      const e = await child.exited;
      this.crashed = true;
      this.exit = `died before the end (code ${e.code}, signal ${e.signal})`;
      return;
    }
    child.process.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([child.exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeout)))]);
    clearTimeout(timer);
    if (outcome === undefined) {
      await child.kill("SIGKILL");
      this.crashed = true;
      this.exit = `no exit within ${timeout} ms of SIGTERM`;
    } else if (outcome.code !== 0) {
      this.crashed = true;
      this.exit = `exit code ${outcome.code} signal ${outcome.signal} on SIGTERM`;
    } else {
      this.exit = "exit 0 on SIGTERM";
    }
  }
}

/** SIGKILLs every child still running, synchronously (for `exit` and crash handlers). */
export function killChildrenNow(): void {
  for (const child of liveChildren()) {
    try {
      child.process.kill("SIGCONT");
      child.process.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * Makes sure no child outlives the harness: on SIGINT/SIGTERM, an uncaught
 * exception or an unhandled rejection every child is SIGKILLed and the
 * harness exits 1; on any exit the survivors are SIGKILLed.
 */
export function installChildReaper(): void {
  process.on("exit", killChildrenNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nfuzz: ${signal}: killing the processes under test\n`);
      killChildrenNow();
      process.exit(1);
    });
  }
  const crash = (error: unknown) => {
    process.stderr.write(`\nfuzz: harness crash: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killChildrenNow();
    process.exit(1);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
}
