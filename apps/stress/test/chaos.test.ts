import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { REQUEST_HEADER } from "../src/chaos/report.js";

const CHAOS = fileURLToPath(new URL("../dist/chaos.js", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ReturnType<typeof spawn>>();
const dirs: string[] = [];

afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the harness; `onStderr` may act on its progress (e.g. interrupt it). */
function chaos(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHAOS, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
      onStderr?.(stderr, child);
    });
    child.on("close", (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The pids the harness said it started. */
function startedPids(stderr: string): number[] {
  return [...stderr.matchAll(/ start [\w-]+ pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** The pids still alive after at most 2 s (SIGKILLed children take a moment to go). */
async function survivors(pids: number[]): Promise<number[]> {
  await waitFor(() => !pids.some(alive), { timeout: 2000 }).catch(() => undefined);
  return pids.filter(alive);
}

describe("npm run chaos", () => {
  it("seed 1, 20 s: every request accounted, 0 lost, 0 misdelivered, 0 crashes; no child left", async () => {
    const dir = mkdtempSync(join(tmpdir(), "chaos-"));
    dirs.push(dir);
    const run = await chaos(["--seed", "1", "--duration", "20", "--json", join(dir, "chaos.json")]);
    expect(run.code, `${run.stdout}\n${run.stderr.slice(-3000)}`).toBe(0);

    const lines = run.stdout.split("\n");
    const header = lines.findIndex((l) => l.startsWith("topology "));
    expect(header).toBeGreaterThanOrEqual(0);
    const cells = lines[header + 2]!.trim().split(/\s+/);
    const cell = (name: (typeof REQUEST_HEADER)[number]) => cells[REQUEST_HEADER.indexOf(name)]!;
    expect(cell("topology")).toBe("ha-majordomo");
    expect(cell("lost")).toBe("0");
    expect(cell("misdelivered")).toBe("0");
    expect(cell("crashes")).toBe("0");
    expect(cell("probes")).toBe("20/20");
    expect(Number(cell("ok"))).toBeGreaterThan(0);
    expect(Number(cell("sent"))).toBe(Number(cell("ok")) + Number(cell("failed")) + Number(cell("gone")));
    expect(lines.find((l) => l.startsWith("chaos: seed 1, 20 s, "))).toMatch(/: PASS$/);

    const json = JSON.parse(readFileSync(join(dir, "chaos.json"), "utf8")) as { pass: boolean; topologies: { faultLog: unknown[]; pids: number[] }[] };
    expect(json.pass).toBe(true);
    expect(json.topologies).toHaveLength(1);
    expect(json.topologies[0]!.faultLog.length).toBeGreaterThanOrEqual(3);
    expect(await survivors(json.topologies[0]!.pids)).toEqual([]);
  });

  it("SIGINT mid-run (ppp and binary-star up) kills every child process and exits 1", async () => {
    let interrupted = false;
    const run = await chaos(["--seed", "2", "--duration", "30", "--topology", "ppp,binary-star"], (stderr, child) => {
      if (!interrupted && stderr.split("cluster up").length === 3) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    expect(run.code).toBe(1);
    const pids = startedPids(run.stderr);
    expect(pids.length).toBeGreaterThanOrEqual(5 + 4); // faults may have started replacements already
    expect(await survivors(pids)).toEqual([]);
  });

  it("bad usage exits 2 with one line and the usage", async () => {
    const run = await chaos(["--duration", "x"]);
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe("chaos: --duration needs an integer");
  });
});
