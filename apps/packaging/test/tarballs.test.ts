/**
 * What a user gets from npm: every published package packed, the tarballs
 * installed into a fresh project outside the workspace (zeromq, their peer,
 * from npm's cache, its install script not run), then one request completed
 * through each package imported alone, each bin run from the install, and
 * every public `.d.ts` type-checked with the lowest supported TypeScript.
 */
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { reservePort } from "@zmq-reliable/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NPM, NPX, packAll, publishedPackages, ROOT, run } from "../src/workspace.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/consumers/", import.meta.url));
const packages = publishedPackages();
const version = (pkg: string, from = ROOT): string => (JSON.parse(readFileSync(createRequire(join(from, "x.js")).resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version;

/** The lowest TypeScript the packages support, as stated in the READMEs. */
const LOWEST_TYPESCRIPT = "5.0.4";

let project = "";

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "zmq-reliable-consumer-"));
  expect(project.startsWith(ROOT)).toBe(false);
  const tarballDir = join(project, "tarballs");
  mkdirSync(tarballDir);
  const tarballs = await packAll(tarballDir, packages);
  const dependencies: Record<string, string> = { zeromq: version("zeromq") };
  for (const [name, tarball] of tarballs) dependencies[name] = `file:${tarball}`;
  const manifest = { name: "consumer", version: "1.0.0", private: true, type: "module", dependencies, devDependencies: { "@types/node": version("@types/node") } };
  writeFileSync(join(project, "package.json"), JSON.stringify(manifest, null, 2));
  // --prefer-offline: zeromq and @types/node come from npm's cache, filled by the repository's own install.
  await run(NPM, ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project, timeout: 110_000 });
  for (const file of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, file), join(project, file));
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("tarballs installed into a fresh project", () => {
  it("installs every published package as a copy, with one zeromq", () => {
    const scope = join(project, "node_modules", "@zmq-reliable");
    expect(readdirSync(scope).sort()).toEqual(packages.map((p) => p.name.replace("@zmq-reliable/", "")).sort());
    for (const dir of readdirSync(scope)) {
      expect(lstatSync(join(scope, dir)).isSymbolicLink()).toBe(false);
      expect(readdirSync(join(scope, dir))).toContain("LICENSE");
      expect(() => lstatSync(join(scope, dir, "node_modules", "zeromq"))).toThrow();
    }
  });

  it.concurrent.each([
    { pkg: "core", ports: 0, reply: "reply hello core" },
    { pkg: "lazy-pirate", ports: 0, reply: "reply hello lazy-pirate" },
    { pkg: "paranoid-pirate", ports: 0, reply: "reply hello paranoid-pirate" },
    { pkg: "majordomo", ports: 0, reply: "reply hello majordomo" },
    { pkg: "binary-star", ports: 4, reply: "reply hello binary-star" },
    { pkg: "ha-majordomo", ports: 4, reply: "reply hello ha-majordomo" },
  ])("@zmq-reliable/$pkg alone completes one request", async ({ pkg, ports, reply }) => {
    const args = await Promise.all(Array.from({ length: ports }, async () => String(await reservePort())));
    const { stdout } = await run(process.execPath, [`${pkg}.mjs`, ...args], { cwd: project, timeout: 30_000 });
    expect(stdout.trim()).toBe(reply);
  });

  // As a user runs a package's command after installing it: `npx <package>` finds its one bin in node_modules/.bin.
  it.concurrent.each(packages.flatMap((p) => Object.keys(p.bins).map((bin) => ({ name: p.name, bin }))))("npx --no-install $name --help runs $bin from the install", async ({ name, bin }) => {
    const { stdout } = await run(NPX, ["--no-install", name, "--help"], { cwd: project });
    expect(stdout.split("\n")[0]).toMatch(new RegExp(`^Usage: ${bin} `));
  });

  it("no @internal declaration and no generic Buffer<…> (TypeScript ≥ 5.7 only) in any shipped .d.ts", () => {
    const scope = join(project, "node_modules", "@zmq-reliable");
    const declarations = readdirSync(scope, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".d.ts"));
    expect(declarations.length).toBeGreaterThan(packages.length);
    const offending = declarations.filter((f) => /@internal|\bBuffer<|\bUint8Array</.test(readFileSync(join(scope, f), "utf8")));
    expect(offending).toEqual([]);
  });

  it(`type-checks every public .d.ts with TypeScript ${LOWEST_TYPESCRIPT} (skipLibCheck: false)`, async () => {
    const here = fileURLToPath(import.meta.url);
    expect(version("typescript", here)).toBe(LOWEST_TYPESCRIPT);
    const tsc = createRequire(here).resolve("typescript/bin/tsc");
    const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["consumer.ts"] }));
    await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project });
  });
});
