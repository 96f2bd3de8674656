import { describe, expect, it } from "vitest";
import { formatMb, readCpuMs, readRss } from "../src/testing/process-stats.js";
import { formatTable } from "../src/testing/table.js";

describe("report helpers", () => {
  it("aligns numbers right and text left", () => {
    expect(formatTable(["role", "sent"], [["broker", 10], ["queue", 2000]])).toBe(
      ["role    sent", "------  ----", "broker    10", "queue   2000"].join("\n"),
    );
  });

  it("reads this process's resident memory", () => {
    const rss = readRss(process.pid);
    expect(rss?.current).toBeGreaterThan(1024 * 1024);
    expect(rss!.peak).toBeGreaterThanOrEqual(rss!.current);
    expect(formatMb(3 * 1024 * 1024)).toBe("3.0 MB");
  });

  it("reads this process's CPU time, which grows while it computes", () => {
    const before = readCpuMs(process.pid)!;
    expect(before).toBeGreaterThan(0);
    const until = performance.now() + 50;
    while (performance.now() < until) Math.sqrt(Math.random());
    expect(readCpuMs(process.pid)!).toBeGreaterThanOrEqual(before);
    expect(readCpuMs(2 ** 22 + 12345)).toBeUndefined();
  });
});
