import { describe, expect, it } from "vitest";
import { EMPTY_LATENCY, InvalidOptionError, LatencyWindow, percentile } from "../src/index.js";
import { FakeClock } from "../src/testing/index.js";

describe("LatencyWindow", () => {
  it("gives nearest-rank percentiles of the samples in the window", () => {
    const clock = new FakeClock();
    const window = new LatencyWindow({ size: 1000 });
    for (let ms = 100; ms >= 1; ms--) window.record(ms, clock.now());
    expect(window.summary(clock.now())).toEqual({ window: 100, p50: 50, p90: 90, p99: 99, max: 100, count: 100, sum: 5050 });
  });

  it("is empty before any sample, and counts negative samples as 0", () => {
    const window = new LatencyWindow();
    expect(window.summary(0)).toEqual(EMPTY_LATENCY);
    window.record(-5, 0);
    expect(window.summary(0)).toMatchObject({ window: 1, p50: 0, max: 0, count: 1, sum: 0 });
  });

  it("keeps only the newest `size` samples: memory is fixed whatever is recorded", () => {
    const window = new LatencyWindow({ size: 10 });
    for (let i = 1; i <= 1000; i++) window.record(i, 0);
    expect(window.summary(0)).toMatchObject({ window: 10, p50: 995, p99: 1000, max: 1000, count: 1000 });
  });

  it("forgets samples older than maxAge on the clock", () => {
    const clock = new FakeClock();
    const window = new LatencyWindow({ size: 100, maxAge: 1000 });
    window.record(500, clock.now());
    clock.advance(600);
    window.record(10, clock.now());
    expect(window.summary(clock.now())).toMatchObject({ window: 2, p50: 10, max: 500 });
    clock.advance(401); // the first sample is now 1001 ms old
    expect(window.summary(clock.now())).toMatchObject({ window: 1, p50: 10, p99: 10, max: 10, count: 2, sum: 510 });
    clock.advance(1000);
    expect(window.summary(clock.now())).toEqual({ ...EMPTY_LATENCY, count: 2, sum: 510 });
  });

  it("refuses a size below 1 or a negative maxAge", () => {
    expect(() => new LatencyWindow({ size: 0 })).toThrow(InvalidOptionError);
    expect(() => new LatencyWindow({ maxAge: -1 })).toThrow(InvalidOptionError);
  });

  it("percentile() takes the nearest rank", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(percentile([7], 0.01)).toBe(7);
  });
});
