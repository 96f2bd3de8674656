/**
 * The published packages of this repository, read from `packages/*`, and
 * `npm pack` for them: what the packaging checks and tests work on.
 *
 * @module
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The repository root (absolute path). */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** One published package of the repository. */
export interface PublishedPackage {
  /** npm name, `@zmq-reliable/<dir>`. */
  readonly name: string;
  /** Absolute path of its folder. */
  readonly dir: string;
  /** Its `bin` field: command name → path inside the package. */
  readonly bins: Readonly<Record<string, string>>;
}

/** Every package under `packages/` that is not private, in folder order. */
export function publishedPackages(): PublishedPackage[] {
  const dirs = readdirSync(join(ROOT, "packages"), { withFileTypes: true }).filter((d) => d.isDirectory());
  return dirs
    .map((d) => join(ROOT, "packages", d.name))
    .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; private?: boolean; bin?: Record<string, string> } }))
    .filter(({ json }) => json.private !== true)
    .map(({ dir, json }) => ({ name: json.name, dir, bins: json.bin ?? {} }));
}

/** Runs a program to its end; rejects with its output when it exits non-zero. */
export async function run(file: string, args: readonly string[], options: { cwd?: string; timeout?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await promisify(execFile)(file, args, { cwd: options.cwd ?? ROOT, timeout: options.timeout ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`, { cause: error });
  }
}

/** The npm command line client (`npm` on PATH). */
export const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** npm's package runner (`npx` on PATH). */
export const NPX = process.platform === "win32" ? "npx.cmd" : "npx";

/** `npm pack`s every published package into `dest`; returns package name → absolute tarball path. */
export async function packAll(dest: string, packages: readonly PublishedPackage[] = publishedPackages()): Promise<Map<string, string>> {
  const args = ["pack", "--json", "--pack-destination", dest, ...packages.flatMap((p) => ["-w", p.name])];
  const { stdout } = await run(NPM, args);
  const packed = JSON.parse(stdout) as { name: string; filename: string }[];
  return new Map(packed.map((p) => [p.name, join(dest, p.filename)]));
}
