import { describe, expect, it } from "vitest";
import { AbortError, TimeoutError, TypedEmitter, nextEvent, sleep } from "../src/index.js";
import { FakeClock } from "../src/testing/index.js";

class Thing extends TypedEmitter<{ tick: [n: number]; error: [Error] }> {
  fire(n: number) {
    return this.emit("tick", n);
  }
  fail() {
    return this.emit("error", new Error("x"));
  }
}

describe("TypedEmitter and nextEvent", () => {
  it("waits for a matching event", async () => {
    const t = new Thing();
    const p = nextEvent(t, "tick", { filter: (n) => n > 1, timeout: 1000 });
    t.fire(1);
    t.fire(2);
    expect(await p).toEqual([2]);
    expect(t.listenerCount("tick")).toBe(0);
  });

  it("does not throw on an unheard error event", () => {
    expect(new Thing().fail()).toBe(false);
  });

  it("times out and aborts with typed errors", async () => {
    const t = new Thing();
    await expect(nextEvent(t, "tick", { timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    const ac = new AbortController();
    const p = nextEvent(t, "tick", { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });

  it("sleep follows the clock and aborts", async () => {
    const clock = new FakeClock();
    let done = false;
    const p = sleep(100, { clock }).then(() => (done = true));
    clock.advance(100);
    await p;
    expect(done).toBe(true);
    const ac = new AbortController();
    const q = sleep(100, { clock, signal: ac.signal });
    ac.abort();
    await expect(q).rejects.toMatchObject({ code: "ERR_ABORTED" });
    expect(clock.pendingTimers).toBe(0);
  });
});
