import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { killAllChildren, spawnNode } from "@zmq-reliable/core/testing";
import type { Summary } from "../src/tally.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** Role processes of the demo still alive anywhere on the machine. */
function leftoverRoles(): string[] {
  try {
    return execFileSync("pgrep", ["-f", "apps/demo/dist/roles/main.js"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

afterEach(async () => {
  await killAllChildren();
});

describe("the failover demo", () => {
  it("default story (short): failover happens, nothing fails, nothing is duplicated, no process left", async () => {
    const demo = spawnNode(MAIN, ["--duration", "6", "--json", "--seed", "7"]);
    const exit = await demo.exited;
    const summary = JSON.parse(demo.lines.join("\n")) as Summary;
    console.log(`demo: sent ${summary.sent}, answered ${summary.answered}, retried ${summary.retried}, failover gap ${summary.failoverGapMs} ms`);
    expect(summary.scenario).toBe("ha-majordomo");
    expect(summary.failovers).toBeGreaterThanOrEqual(1);
    expect(summary.events.some((e) => /backup is now ACTIVE/.test(e.text))).toBe(true);
    expect(summary.events.some((e) => /primary is passive/.test(e.text))).toBe(true);
    expect(summary.events.some((e) => /worker-\d \(SIGKILL\)/.test(e.text))).toBe(true);
    expect(summary.sent).toBeGreaterThan(50);
    expect(summary.failed).toBe(0);
    expect(summary.lost).toBe(0);
    expect(summary.duplicates).toBe(0);
    expect(summary.answered).toBe(summary.sent);
    expect(summary.childrenLeft).toBe(0);
    expect(summary.ok).toBe(true);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(leftoverRoles()).toEqual([]);
  });

  it("prints help, and exits 2 on bad usage", async () => {
    const help = spawnNode(MAIN, ["--help"]);
    expect((await help.exited).code).toBe(0);
    expect(help.lines.join("\n")).toContain("--scenario");
    const bad = spawnNode(MAIN, ["--scenario", "nope"]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toContain("--scenario must be one of");
  });
});
