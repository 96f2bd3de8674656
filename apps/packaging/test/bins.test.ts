/**
 * Every bin of every published package runs from the repository after
 * `npm ci && npm run build`: npm linked it at install time (its target is a
 * committed `bin/<name>.js`, not the `dist/` file built later).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NPX, publishedPackages, ROOT, run } from "../src/workspace.js";

const bins = publishedPackages().flatMap((p) => Object.entries(p.bins).map(([bin, target]) => ({ pkg: p, bin, target })));

describe("bins in the repository", () => {
  it("every published bin is listed (majordomo-broker, paranoid-pirate-queue, binary-star-server, ha-majordomo-broker, zmq-reliable-keygen)", () => {
    expect(bins.map((b) => b.bin).sort()).toEqual(["binary-star-server", "ha-majordomo-broker", "majordomo-broker", "paranoid-pirate-queue", "zmq-reliable-keygen"]);
  });

  it.each(bins)("$bin targets a committed bin/$bin.js that imports the built CLI, shipped in files", ({ pkg, bin, target }) => {
    expect(target).toBe(`./bin/${bin}.js`);
    const text = readFileSync(join(pkg.dir, target), "utf8");
    expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
    const imported = /^import "(\.\.\/dist\/[\w/-]+\.js)";$/m.exec(text)?.[1];
    expect(imported).toBeDefined();
    expect(existsSync(join(pkg.dir, "bin", imported!))).toBe(true);
    const files = (JSON.parse(readFileSync(join(pkg.dir, "package.json"), "utf8")) as { files: string[] }).files;
    expect(files).toContain("bin");
  });

  // Concurrent: each is mostly npx starting up.
  it.concurrent.each(bins)("npx --no-install $bin --help exits 0 with a usage line", async ({ bin }) => {
    const { stdout } = await run(NPX, ["--no-install", bin, "--help"], { cwd: ROOT });
    expect(stdout.split("\n")[0]).toMatch(new RegExp(`^Usage: ${bin} `));
  });
});
