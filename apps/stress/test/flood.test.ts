/**
 * `npm run flood -- --quick` as CI runs it: the harness (built dist) as a
 * child process; it must exit 0 with every scenario within its bound, the
 * normal client answered in full, and leave no process behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { killAllChildren, spawnNode } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";

const FLOOD = fileURLToPath(new URL("../dist/flood.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Scenarios CI runs: all six (`--quick` sizes). Rows 5 and 6 held only once
 * core's `RequestServer` counted bytes (finding 5: hung handlers and its queue)
 * and kept 16 replies per connection that never reads (libzmq's mark counts
 * messages, so 1000 echoed 768 KB requests were 750 MB).
 */
const CI_ROWS = [1, 2, 3, 4, 5, 6];

interface Report {
  rows: { row: number; peakRss: number; bound: number; normal: { sent: number; answered: number } | null; checks: { name: string; ok: boolean }[]; verdict: string; exit: number | string }[];
  failures: { row: number; error: string }[];
  verdict: string;
}

/** Processes still running one of this checkout's targets or flooders. */
function leftovers(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue;
    }
    if (cmdline.includes(`${ROOT}apps/stress/dist/flood/`) || new RegExp(`${ROOT}(packages|apps)/[^/ ]+/dist/cli\\.js`).test(cmdline)) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

const dirs: string[] = [];
afterEach(async () => {
  await killAllChildren();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("npm run flood", () => {
  it("--quick: every scenario stays under 256 MB, serves the normal client and exits 0, leaving no process behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flood-"));
    dirs.push(dir);
    const file = join(dir, "flood.json");
    const child = spawnNode(FLOOD, ["--quick", "--json", file, "--rows", CI_ROWS.join(",")]);
    const exit = await child.exited;
    const out = child.lines.join("\n");
    expect(exit.code, `${out}\n${child.stderr}`).toBe(0);
    expect(child.lines.at(-1)).toMatch(/^verdict: PASS/);
    expect(out).toMatch(/^#\s+scenario\s+sent\s+sent bytes\s+peak RSS\s+bound\s+normal client \(p99\)\s+target drops\s+verdict$/m);
    const report = JSON.parse(readFileSync(file, "utf8")) as Report;
    expect(report.failures).toEqual([]);
    expect(report.rows.map((r) => r.row)).toEqual(CI_ROWS);
    for (const row of report.rows) {
      expect(row.peakRss, `row ${row.row}`).toBeGreaterThan(0);
      expect(row.peakRss, `row ${row.row}`).toBeLessThanOrEqual(row.bound);
      expect(row.exit, `row ${row.row}`).toBe(0);
      if (row.normal) expect(row.normal.answered, `row ${row.row}`).toBe(row.normal.sent);
      expect(row.checks.filter((c) => !c.ok), `row ${row.row}`).toEqual([]);
      expect(row.verdict).toBe("PASS");
    }
    expect(report.verdict).toBe("PASS");
    expect(leftovers()).toEqual([]);
  });


  it("exits 2 on bad usage and 0 on --help", async () => {
    const bad = spawnNode(FLOOD, ["--rows", "9"]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toMatch(/--rows must list scenarios 1\.\.6/);
    const help = spawnNode(FLOOD, ["--help"]);
    expect((await help.exited).code).toBe(0);
    expect(help.lines.join("\n")).toMatch(/^Usage: npm run flood/);
  });
});
