/**
 * Every ts, js and sh block of every README and docs page runs here, against real sockets:
 * ts/js blocks as Node.js modules (types stripped), sh blocks line by line with the built CLIs
 * on PATH. A block tagged `no-run` (```sh no-run) is skipped and counted; `npm install` lines are
 * checked (every package is one of ours, one they depend on, or zeromq, and every package the file's code imports
 * is on its install line), not run.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CodeBlock, allBlocks, workspaces } from "./blocks.js";
import { type RunResult, runModule, runShell, shellLines, writeModule } from "./run.js";
import { SETUPS } from "./setups.js";

const blocks = allBlocks().filter((b) => b.index > 0);
const counts = { executed: 0, checked: 0, skipped: 0 };
const scratch = new Map<string, string>();
const chains = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after the earlier blocks of the same file (they share a scratch directory, and a
 * page's blocks follow each other); blocks of different files run at the same time.
 */
function inFileOrder<T>(file: string, task: () => Promise<T>): Promise<T> {
  const result = (chains.get(file) ?? Promise.resolve()).then(task);
  chains.set(file, result.catch(() => undefined));
  return result;
}

/** The setup-table key: the `packages/` or `apps/` prefix left out, so a moved package keeps its rows. */
function tableKey(block: CodeBlock): string {
  return block.key.replace(/^(packages|apps)\//, "");
}

/** One scratch directory per file, shared by its blocks (a keygen block's files feed the next block). */
function scratchFor(file: string): string {
  let dir = scratch.get(file);
  if (!dir) scratch.set(file, (dir = mkdtempSync(join(tmpdir(), "zmq-reliable-docs-"))));
  return dir;
}

/** Names of our packages (every workspace), and of what our packages depend on (`prom-client`, `pino`): a page may tell users to install those too. */
const ours = new Set(workspaces().flatMap((w) => [w.name, ...Object.keys((JSON.parse(readFileSync(join(w.dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> }).dependencies ?? {})]));

function applyReplacements(code: string, replace: Record<string, string> = {}): string {
  return Object.entries(replace).reduce((text, [from, to]) => text.split(from).join(to), code);
}

async function run(block: CodeBlock): Promise<RunResult[]> {
  const setup = SETUPS[tableKey(block)];
  if (setup) expect(block.code, `setup row ${tableKey(block)} no longer matches its block`).toContain(setup.contains);
  const peer = (await setup?.start?.()) ?? {};
  const options = { cwd: scratchFor(block.file), until: setup?.until, whileRunning: peer.whileRunning };
  try {
    const code = applyReplacements(block.code, peer.replace);
    if (block.lang !== "sh") {
      const path = writeModule(tableKey(block), block.lang, setup?.epilogue ? `${code}\n${setup.epilogue}\n` : code);
      return [await runModule(path, options)];
    }
    const results: RunResult[] = [];
    for (const line of shellLines(code)) {
      if (/^npm (ci|test|run)\b/.test(line)) throw new Error(`${line}: a whole-repository command; tag the block no-run`);
      results.push(await runShell(line, { ...options, mayExitFirst: true }));
    }
    return results;
  } finally {
    await peer.close?.();
  }
}

function installLines(block: CodeBlock): string[][] {
  return shellLines(block.code)
    .filter((line) => line.startsWith("npm install "))
    .map((line) => line.split(/\s+/).slice(2).filter((word) => !word.startsWith("-")));
}

describe("documentation code blocks", () => {
  afterAll(() => {
    for (const dir of scratch.values()) rmSync(dir, { recursive: true, force: true });
    console.log(`documentation blocks: ${counts.executed} executed, ${counts.checked} install lines checked, ${counts.skipped} skipped (no-run)`);
  });

  it("has a setup row only for blocks that exist", () => {
    const keys = new Set(blocks.map(tableKey));
    expect(Object.keys(SETUPS).filter((key) => !keys.has(key))).toEqual([]);
  });

  for (const block of blocks) {
    const title = `${block.file}:${block.line} (${block.lang} #${block.index})`;
    if (block.tags.includes("no-run")) {
      it.skip(title, () => undefined);
      counts.skipped++;
      continue;
    }
    const installs = block.lang === "sh" ? installLines(block) : [];
    if (installs.length > 0) {
      it(`${title}: install line`, () => {
        for (const name of installs.flat()) expect(name === "zeromq" || ours.has(name.replace(/@[^@/]*$/, "")), `${name} is not a package of ours`).toBe(true);
        const imported = blocks
          .filter((b) => b.file === block.file && b.lang !== "sh")
          .flatMap((b) => [...b.code.matchAll(/from "(@zmq-reliable\/[\w-]+)/g)].map((m) => m[1]!));
        const installed = blocks.filter((b) => b.file === block.file && b.lang === "sh").flatMap((b) => installLines(b).flat());
        expect([...new Set(imported)].filter((name) => !installed.includes(name)), "imported but on no install line").toEqual([]);
        counts.checked++;
      });
      continue;
    }
    it.concurrent(title, async () => {
      const [result] = await inFileOrder(block.file, () => run(block));
      const expected = SETUPS[tableKey(block)]?.stdout;
      if (typeof expected === "string") expect(result!.stdout.trim()).toBe(expected);
      else if (expected) expect(result!.stdout.trim()).toMatch(expected);
      counts.executed++;
    });
  }
});
