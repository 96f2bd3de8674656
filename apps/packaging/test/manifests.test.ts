/** What every published package.json declares (licence, links, engines, zeromq as a peer, shipped files) and its README states. */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { publishedPackages, ROOT } from "../src/workspace.js";

const LICENSE = readFileSync(join(ROOT, "LICENSE"), "utf8");
const REPO = "https://github.com/zmq-reliable/zmq-reliable";

describe("changesets", () => {
  it("write a CHANGELOG.md per package at release and version every published package", () => {
    const config = JSON.parse(readFileSync(join(ROOT, ".changeset", "config.json"), "utf8")) as { changelog: unknown; ignore: string[] };
    expect(config.changelog).toBe("@changesets/cli/changelog");
    for (const { name } of publishedPackages()) expect(config.ignore).not.toContain(name);
  });
});

describe.each(publishedPackages())("$name package.json", ({ dir }) => {
  const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown> & {
    files: string[];
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };

  it("is MIT with the repository's LICENSE shipped", () => {
    expect(LICENSE).toMatch(/^MIT License\n\nCopyright \(c\) 2026 zmq-reliable contributors\n/);
    expect(json.license).toBe("MIT");
    expect(readFileSync(join(dir, "LICENSE"), "utf8")).toBe(LICENSE);
    expect(json.files).toEqual(expect.arrayContaining(["dist", "README.md", "LICENSE", "CHANGELOG.md"]));
  });

  it("links its repository folder, home page and issues, and has keywords", () => {
    expect(json.repository).toEqual({ type: "git", url: `git+${REPO}.git`, directory: relative(ROOT, dir) });
    expect(json.homepage).toBe(`${REPO}/tree/main/${relative(ROOT, dir)}#readme`);
    expect(json.bugs).toEqual({ url: `${REPO}/issues` });
    expect(json.keywords).toEqual(expect.arrayContaining(["zeromq", "zmq"]));
    expect(json.name).toBe(`@zmq-reliable/${relative(join(ROOT, "packages"), dir)}`);
  });

  it("takes zeromq as a peer (a range), never as a dependency; is ESM without side effects on Node ≥ 20.19", () => {
    expect(json.peerDependencies).toEqual({ zeromq: "^6.8.0" });
    expect(json.dependencies?.zeromq).toBeUndefined();
    expect(json.devDependencies?.zeromq).toBe("6.8.0");
    expect(json.type).toBe("module");
    expect(json.sideEffects).toBe(false);
    expect(json.engines).toEqual({ node: ">=20.19" });
    expect(json.private).toBeUndefined();
  });

  it("states the supported TypeScript and zeromq in its README", () => {
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).toContain("TypeScript ≥ 5.0");
    expect(readme).toContain("`zeromq` ^6.8.0");
  });
});
