import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnNode } from "@zmq-reliable/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { completeFigure } from "../src/context.js";
import { formatReport, readmeSection, writeReadme } from "../src/report.js";
import type { BenchReport } from "../src/report.js";
import { SCENARIOS } from "../src/scenarios/index.js";

const BENCH = fileURLToPath(new URL("../dist/bench.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The figures every scenario reports, by scenario id (names as they start). */
const EXPECTED: Record<number, string[]> = {
  1: ["Lazy Pirate round trip"],
  2: ["PPP queue throughput"],
  3: ["MDP broker throughput, 1 worker", "MDP broker throughput, 4 worker", "MDP broker throughput, 16 worker", "MDP sync request latency p50", "MDP sync request latency p99"],
  4: ["MDP broker throughput, 100 workers", "MDP broker peak RSS", "MDP broker idle CPU"],
  5: ["Binary Star echo pair: SIGKILL of the active to the next reply, heartbeat 1000", "Binary Star echo pair: SIGKILL of the active to the next reply, heartbeat 100 ", "HA Majordomo pair: SIGKILL of the active to the next reply, heartbeat 1000", "HA Majordomo pair: SIGKILL of the active to the next reply, heartbeat 100 "],
  6: ["PPP queue: idle", "PPP queue: busy", "MDP broker: idle", "MDP broker: busy"],
  7: ["MDP client throughput, ", "MDP client peak RSS, ", "MajordomoWorker throughput, concurrency ", "ParanoidPirateWorker throughput, concurrency "],
};

describe("npm run bench -- --quick", () => {
  it("runs every scenario and writes every figure with a number", async () => {
    const json = join(dir, "quick.json");
    const child = spawnNode(BENCH, ["--quick", "--json", json]);
    const exit = await child.exited;
    expect(exit.code, child.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(readFileSync(json, "utf8")) as BenchReport;
    expect(report.errors).toEqual([]);
    expect(report.mode).toBe("quick");
    for (const scenario of SCENARIOS.filter((s) => EXPECTED[s.id])) {
      const figures = report.figures.filter((f) => f.scenario === scenario.id);
      for (const name of EXPECTED[scenario.id]!) {
        const figure = figures.find((f) => f.name.startsWith(name));
        expect(figure, `scenario ${scenario.id}: ${name}`).toBeDefined();
        expect(Number.isFinite(figure!.subject), `${figure!.name}: subject ${figure!.subject}`).toBe(true);
        if (figure!.baseline !== undefined) expect(Number.isFinite(figure!.ratio), `${figure!.name}: ratio`).toBe(true);
        if (figure!.target) expect(typeof figure!.pass).toBe("boolean");
      }
    }
    expect(child.lines.join("\n")).toMatch(/targets met, 0 crashed/);
  });

  it("rejects bad usage with exit 2 and prints help with exit 0", async () => {
    const bad = spawnNode(BENCH, ["--only", "99"]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toMatch(/--only must list scenarios/);
    const help = spawnNode(BENCH, ["--help"]);
    expect((await help.exited).code).toBe(0);
    expect(help.lines.join("\n")).toMatch(/--write-readme/);
  });
});

describe("figures and reports", () => {
  it("computes the ratio against the baseline and pass/miss against the target", () => {
    expect(completeFigure(3, { name: "t", subject: 90, baseline: 100, unit: "req/s", target: { op: ">=", value: 0.8 } })).toMatchObject({ scenario: 3, ratio: 0.9, pass: true });
    expect(completeFigure(1, { name: "l", subject: 120, baseline: 100, unit: "µs", target: { op: "<=", value: 1.1 } })).toMatchObject({ ratio: 1.2, pass: false });
    expect(completeFigure(4, { name: "rss", subject: 150, unit: "MB", target: { op: "<=", value: 200 } })).toMatchObject({ pass: true });
    expect(completeFigure(4, { name: "cpu", subject: 1, unit: "%" })).not.toHaveProperty("pass");
    expect(completeFigure(2, { name: "nan", subject: NaN, baseline: 1, unit: "req/s", target: { op: ">=", value: 0.8 } }).pass).toBe(false);
  });

  it("prints the table and the README section with the machine", () => {
    const report: BenchReport = {
      date: "2026-01-02T03:04:05.000Z",
      machine: { cpu: "Test CPU", cores: 2, node: "v20.0.0", zeromq: "6.8.0", os: "Linux 6" },
      mode: "full",
      runs: 5,
      seconds: 120,
      figures: [completeFigure(1, { name: "Lazy Pirate round trip vs raw Request", subject: 105, baseline: 100, unit: "µs", target: { op: "<=", value: 1.1 } })],
      errors: [{ scenario: 2, error: "boom" }],
      samples: [],
    };
    expect(formatReport(report)).toMatch(/Lazy Pirate round trip vs raw Request\s+105 µs\s+100 µs\s+1\.05\s+<= 1\.1\s+pass/);
    expect(formatReport(report)).toMatch(/scenario 2 CRASHED: boom/);
    const section = readmeSection(report);
    expect(section).toMatch(/2026-01-02.*Test CPU, 2 cores, Node\.js v20\.0\.0, zeromq 6\.8\.0, Linux 6/);
    expect(section).toMatch(/\| 1 \| Lazy Pirate round trip vs raw Request \| 105 µs \| 100 µs \| 1\.05 \| <= 1\.1 \| pass \|/);
    const readme = join(dir, "README.md");
    writeFileSync(readme, "# x\n\n## Performance\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\n## Next\n");
    writeReadme(readme, report);
    writeReadme(readme, report); // idempotent
    const text = readFileSync(readme, "utf8");
    expect(text).not.toMatch(/old table/);
    expect(text.split(section).length).toBe(2);
    expect(text).toMatch(/<!-- bench:end -->\n\n## Next\n$/);
  });
});
