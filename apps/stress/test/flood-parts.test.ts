/** The flood harness's parsing and report pieces, without processes. */
import { describe, expect, it } from "vitest";
import { countDrops, formatDrops } from "../src/flood/drops.js";
import { parseFields, type RowResult } from "../src/flood/harness.js";
import type { LineListener, Proc } from "../src/flood/proc.js";
import { formatReport, verdictLine } from "../src/flood/report.js";
import { percentile } from "../src/flood/wire.js";

function fakeProc(): { proc: Proc; emit: LineListener } {
  const listeners: LineListener[] = [];
  return { proc: { onLine: (l: LineListener) => listeners.push(l) } as unknown as Proc, emit: (line, stream) => listeners.forEach((l) => l(line, stream)) };
}

function row(partial: Partial<RowResult>): RowResult {
  return { row: 1, scenario: "s", sent: 10, sentBytes: 1024 * 1024, peakRss: 100 * 1024 * 1024, bound: 256 * 1024 * 1024, normal: undefined, drops: {}, dropsCounted: true, notes: [], checks: [], exit: 0, ...partial };
}

describe("flood harness parts", () => {
  it("counts drops from JSON drop lines, their summaries, Binary Star drop lines and the final tally", () => {
    const { proc, emit } = fakeProc();
    const drops = countDrops(proc);
    emit(`{"time":"t","level":"warn","tag":"mdp-broker","message":"drop (client-queue-full) service=\\"x\\" peer=ab"}`, "stderr");
    emit(`{"time":"t","level":"warn","tag":"mdp-broker","message":"9990 more drops (client-queue-full) not logged in 10000 ms"}`, "stderr");
    emit(`{"time":"t","level":"warn","message":"1 more drop (too-large) not logged in 3 ms"}`, "stderr");
    emit(`{"time":"t","level":"debug","tag":"ppp-queue","message":"dropped (expired) from client 00"}`, "stderr");
    emit("drop reason=overload state=ACTIVE at=1", "stdout");
    emit(`drops {"closed":3,"overload":2}`, "stdout");
    emit(`{"time":"t","level":"info","message":"worker 00 ready"}`, "stderr");
    expect(drops).toEqual({ "client-queue-full": 9991, "too-large": 1, expired: 1, overload: 3, closed: 3 });
    expect(formatDrops(drops)).toBe("client-queue-full=9991 closed=3 expired=1 overload=3 too-large=1");
    expect(formatDrops({})).toBe("0");
  });

  it("parses start lines, percentiles and the verdict", () => {
    expect(parseFields('started bind=tcp://127.0.0.1:5,tcp://127.0.0.1:6 note="a b" pid=7')).toEqual({ bind: "tcp://127.0.0.1:5,tcp://127.0.0.1:6", note: "a b", pid: "7" });
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(percentile([], 99)).toBeNaN();
    const ok = row({ checks: [{ name: "fine", ok: true }] });
    const miss = row({ row: 2, checks: [{ name: "peak RSS too high", ok: false }], dropsCounted: false });
    expect(verdictLine([ok], [])).toBe("verdict: PASS (1 of 1 scenarios held)");
    expect(verdictLine([ok, miss], [{ row: 3 }])).toBe("verdict: MISS (scenarios 2, 3 did not hold)");
    const report = formatReport([ok, miss], [{ row: 3, error: "boom" }]);
    expect(report).toMatch(/^1 +s +10 +1\.0 MB +100\.0 MB +256\.0 MB +n\/a +0 +PASS$/m);
    expect(report).toMatch(/^2 .* n\/a +n\/a +MISS$/m);
    expect(report).toContain("  2: MISS: peak RSS too high");
    expect(report).toContain("  3: ERROR: boom");
  });
});
