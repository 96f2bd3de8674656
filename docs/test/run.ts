/**
 * Runs one documentation block: a ts/js block as a Node.js module, a sh block line by line,
 * each in a scratch directory with the repository's bins on PATH.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { ROOT, workspaces } from "./blocks.js";

/** How a run should end. */
export interface RunOptions {
  /** Working directory (a scratch directory shared by the blocks of one file). */
  cwd: string;
  /** Stop the process (SIGTERM, exit 0 expected) once its output matches this. */
  until?: RegExp;
  /** Called once the process runs; the process gets SIGTERM when it resolves (exit 0 expected). */
  whileRunning?: () => Promise<void>;
  /** Milliseconds before the run fails. */
  timeout?: number;
  /** A process that exits 0 by itself before `until` matches passes too (a `--help` line). */
  mayExitFirst?: boolean;
  /** Dying of the SIGTERM it was stopped with passes (a script with no SIGTERM handler). */
  diesOfStop?: boolean;
}

/** What a finished run printed. */
export interface RunResult {
  /** stdout and stderr, interleaved as they came. */
  output: string;
  /** stdout alone. */
  stdout: string;
}

/** Where transpiled blocks are written: inside the repository, so workspace packages resolve. */
const MODULES = join(ROOT, "docs", ".run");

/**
 * A directory with one executable per `bin` of every workspace (and an `npx` that runs a bin
 * by name), so a block's `npx majordomo-broker` or `majordomo-broker` runs the built CLI.
 */
export function binDirectory(): string {
  const dir = join(MODULES, "bin");
  mkdirSync(dir, { recursive: true });
  for (const workspace of workspaces()) {
    for (const [bin, target] of Object.entries(workspace.bin)) {
      writeScript(join(dir, bin), `exec node ${JSON.stringify(join(workspace.dir, target))} "$@"`);
    }
  }
  writeScript(join(dir, "npx"), 'exec "$@"');
  return dir;
}

function writeScript(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** Writes a ts or js block as an ES module (types stripped) and returns its path. */
export function writeModule(name: string, lang: string, code: string): string {
  mkdirSync(MODULES, { recursive: true });
  const js =
    lang === "ts"
      ? ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
      : code;
  const path = join(MODULES, `${name.replace(/[^\w.-]+/g, "_")}.mjs`);
  writeFileSync(path, js);
  return path;
}

/** Runs `node <module>`; see {@link runProcess}. */
export function runModule(path: string, options: RunOptions): Promise<RunResult> {
  return runProcess(spawn(process.execPath, [path], spawnOptions(options.cwd)), { diesOfStop: true, ...options });
}

/** Runs one shell command line; see {@link runProcess}. */
export function runShell(line: string, options: RunOptions): Promise<RunResult> {
  return runProcess(spawn("bash", ["-c", line], spawnOptions(options.cwd)), options);
}

function spawnOptions(cwd: string) {
  const env = { ...process.env, PATH: `${binDirectory()}:${process.env.PATH ?? ""}`, NO_COLOR: "1", FORCE_COLOR: "0" };
  return { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"] };
}

/**
 * Waits for a process to exit with code 0 by itself, or, with `until` / `whileRunning`, to be
 * stopped with SIGTERM and then exit with code 0 (as every CLI and long-running block must).
 * Rejects with everything it printed otherwise.
 */
export function runProcess(child: ChildProcess, options: RunOptions): Promise<RunResult> {
  let output = "";
  let stdout = "";
  let stopping = false;
  const stop = (): void => {
    if (stopping || child.exitCode !== null) return;
    stopping = true;
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
  };
  return new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      reject(new Error(`no exit within ${options.timeout ?? 15_000} ms${stopping ? " of SIGTERM" : ""}; output:\n${output}`));
    }, options.timeout ?? 15_000);
    const take = (chunk: Buffer, toStdout: boolean): void => {
      output += String(chunk);
      if (toStdout) stdout += String(chunk);
      if (options.until?.test(output)) stop();
    };
    child.stdout!.on("data", (c: Buffer) => take(c, true));
    child.stderr!.on("data", (c: Buffer) => take(c, false));
    options.whileRunning?.().then(stop, (error: unknown) => {
      stop();
      reject(error as Error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const expected = options.until || options.whileRunning ? stopping || options.mayExitFirst === true : true;
      const stopped = stopping && signal === "SIGTERM" && options.diesOfStop === true;
      if ((code === 0 || stopped) && expected) resolve({ output, stdout });
      else reject(new Error(`exit ${code ?? signal}${stopping ? " after SIGTERM" : ""}${expected ? "" : " before its stop condition"}; output:\n${output}`));
    });
  });
}

/** The command lines of a sh block: comments and blank lines out, `\` continuations joined. */
export function shellLines(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}
