import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../dist/fuzz.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "fuzz-test-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: readonly string[], deadline: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGINT"); // the harness kills its children on SIGINT
      reject(new Error(`fuzz did not finish within ${deadline} ms; stderr: ${stderr.slice(-2000)}`));
    }, deadline);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("npm run fuzz", () => {
  it("fuzzes every target with a short seed: 0 crashes, every probe served, memory bounded (exit 0)", async () => {
    const json = join(dir, "fuzz.json");
    const { code, stdout, stderr } = await run(["--count", "3000", "--seed", "1", "--json", json], 100_000);
    expect(code, `${stdout}\n${stderr.slice(-3000)}`).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^fuzz: 0 crashes, 0 failed probes, peak RSS [\d.]+ MB \(bound 256 MB\): PASS$/);
    const total = lines.find((l) => l.startsWith("total "))!;
    // target socket sent probes crashes stderr-lines peak-RSS verdict
    expect(total).toMatch(/^total\s+9 sockets\s+3000\s+(\d+)\/\1\s+0\s+\d+\s+[\d.]+ MB\s+PASS$/);
    const figures = JSON.parse(readFileSync(json, "utf8")) as { sent: number; pass: boolean; targets: { target: string; crashes: number; probes: { ok: number; total: number } }[] };
    expect(figures.pass).toBe(true);
    expect(figures.sent).toBe(3000);
    expect(figures.targets.map((t) => t.target)).toEqual(["paranoid-pirate-queue", "majordomo-broker", "binary-star-server", "ha-majordomo-broker", "lazy-pirate-server"]);
    for (const t of figures.targets) {
      expect(t.crashes).toBe(0);
      expect(t.probes.ok).toBe(t.probes.total);
      expect(t.probes.total).toBeGreaterThanOrEqual(52);
    }
  });

  it("exits 2 on bad usage", async () => {
    const { code, stderr } = await run(["--count", "-5"], 20_000);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Usage: npm run fuzz/);
  });
});
