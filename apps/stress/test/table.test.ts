import { describe, expect, it } from "vitest";
import { formatMb, readRss } from "../src/rss.js";
import { formatTable } from "../src/table.js";

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
});
