import { describe, expect, it } from "vitest";
import {
  Backoff,
  ExpiryQueue,
  IdMap,
  Fifo,
  Heartbeat,
  InvalidOptionError,
  Timer,
  describeFrame,
  joinEnvelope,
  splitEnvelope,
  toBuffer,
  toBuffers,
} from "../src/index.js";
import { FakeClock } from "../src/testing/index.js";

describe("frames", () => {
  it("converts frames without copying buffers", () => {
    const b = Buffer.from("x");
    expect(toBuffer(b)).toBe(b);
    expect(toBuffer("héllo").toString()).toBe("héllo");
    const u = new Uint8Array([1, 2, 3]);
    const wrapped = toBuffer(u);
    u[0] = 9;
    expect(wrapped[0]).toBe(9);
    expect(toBuffers("a")).toEqual([Buffer.from("a")]);
  });

  it("splits and joins ROUTER envelopes", () => {
    const msg = [Buffer.from("id1"), Buffer.from("id2"), Buffer.alloc(0), Buffer.from("a"), Buffer.from("b")];
    const split = splitEnvelope(msg)!;
    expect(split.envelope.map(String)).toEqual(["id1", "id2"]);
    expect(split.body.map(String)).toEqual(["a", "b"]);
    expect(toBuffers(joinEnvelope(split.envelope, split.body))).toEqual(msg);
    expect(splitEnvelope([Buffer.from("no-delimiter")])).toBeUndefined();
  });

  it("describes frames for logs", () => {
    expect(describeFrame("MDPC01")).toBe('"MDPC01"');
    expect(describeFrame(Buffer.from([0, 1]))).toBe("0x0001");
  });
});

describe("Backoff", () => {
  it("doubles from initial up to max and resets", () => {
    const b = new Backoff({ initial: 1000, max: 32_000 });
    expect(Array.from({ length: 8 }, () => b.next())).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 32_000, 32_000]);
    expect(b.attempts).toBe(8);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it("applies jitter as a fraction below the step", () => {
    const b = new Backoff({ initial: 100, max: 400, jitter: 0.5, random: () => 1 });
    expect(b.next()).toBe(50);
    expect(b.next()).toBe(100);
  });

  it("rejects bad options", () => {
    expect(() => new Backoff({ initial: -1 })).toThrow(InvalidOptionError);
    expect(() => new Backoff({ initial: 10, max: 5 })).toThrow(InvalidOptionError);
  });
});

describe("Heartbeat", () => {
  it("schedules sends and expiry from the last traffic", () => {
    const hb = new Heartbeat({ interval: 1000, liveness: 3 }, 0);
    expect(hb.ttl).toBe(3000);
    expect(hb.shouldSend(999)).toBe(false);
    expect(hb.shouldSend(1000)).toBe(true);
    hb.sent(1000);
    expect(hb.nextSendAt).toBe(2000);
    expect(hb.isExpired(2999)).toBe(false);
    expect(hb.isExpired(3000)).toBe(true);
    hb.received(2500);
    expect(hb.isExpired(5499)).toBe(false);
    expect(hb.remaining(2500)).toBe(3);
    expect(hb.remaining(4600)).toBe(1);
    expect(hb.nextDeadline()).toBe(2000);
  });
});

/** A `Timer` on a fresh `FakeClock` that records the clock time of every firing. */
function recordingTimer(): { clock: FakeClock; fired: number[]; t: Timer } {
  const clock = new FakeClock();
  const fired: number[] = [];
  return { clock, fired, t: new Timer(clock, () => fired.push(clock.now())) };
}

describe("Timer and FakeClock", () => {
  it("fires once at the armed time and can be re-armed", () => {
    const clock = new FakeClock();
    let fired = 0;
    const t = new Timer(clock, () => fired++);
    t.after(100);
    clock.advance(99);
    expect(fired).toBe(0);
    t.at(150); // re-arm replaces
    clock.advance(1);
    expect(fired).toBe(0);
    clock.advance(50);
    expect(fired).toBe(1);
    expect(t.pending).toBe(false);
    t.after(10);
    t.cancel();
    clock.advance(100);
    expect(fired).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it("re-arms lazily: a later deadline keeps the clock timer, which re-arms itself when it fires early", () => {
    const { clock, fired, t } = recordingTimer();
    t.at(100);
    expect(clock.pendingTimers).toBe(1);
    for (let i = 1; i <= 50; i++) {
      t.at(100 + i); // a request's deadline moving later: no setTimeout/clearTimeout pair each time
      t.at(Number.POSITIVE_INFINITY); // and its reply disarming it
      expect(t.pending).toBe(false);
    }
    t.at(120);
    expect(clock.pendingTimers).toBe(1);
    expect(t.deadline).toBe(120);
    clock.advance(100); // the clock timer fires early, re-arms for 120
    expect(fired).toEqual([]);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(20);
    expect(fired).toEqual([120]);
    t.at(200);
    t.at(Number.POSITIVE_INFINITY);
    clock.advance(100); // disarmed: fires into nothing
    expect(fired).toEqual([120]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("re-arms at once for an earlier deadline, and cancel() clears the clock timer", () => {
    const { clock, fired, t } = recordingTimer();
    t.at(100);
    t.at(30);
    clock.advance(30);
    expect(fired).toEqual([30]);
    t.at(500);
    t.at(Number.POSITIVE_INFINITY);
    expect(clock.pendingTimers).toBe(1); // kept lazily
    t.cancel();
    expect(clock.pendingTimers).toBe(0); // close: nothing left to hold the process
  });

  it("runs timers scheduled by timers within the same advance, in order", () => {
    const clock = new FakeClock(1000);
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 10);
    }, 5);
    clock.setTimeout(() => seen.push(clock.now()), 20);
    clock.advance(30);
    expect(seen).toEqual([1005, 1015, 1020]);
  });
});

describe("collections", () => {
  it("Fifo keeps order across compaction", () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) expect(q.shift()).toBe(i);
    expect(q.length).toBe(2000);
    expect(q.peek()).toBe(3000);
    expect([...q][0]).toBe(3000);
    expect(q.drain().length).toBe(2000);
    expect(q.shift()).toBeUndefined();
  });

  it("ExpiryQueue pops only expired keys, oldest first, and touch moves keys back", () => {
    const e = new ExpiryQueue<string>(100);
    e.touch("a", 0);
    e.touch("b", 10);
    e.touch("c", 20);
    e.touch("a", 50); // a now expires at 150
    expect(e.nextDeadline()).toBe(110);
    expect(e.popExpired(115)).toEqual(["b"]);
    expect(e.popExpired(150)).toEqual(["c", "a"]);
    expect(e.size).toBe(0);
    expect(e.nextDeadline()).toBe(Infinity);
  });

  it.each([
    ["a Map", () => new ExpiryQueue<number>(100)],
    ["an IdMap", () => new ExpiryQueue<number>(100, new IdMap())],
  ] as const)("ExpiryQueue over %s: delete, has, deadlineOf and keys in deadline order; touching the last key keeps it last", (_, make) => {
    const e = make();
    e.touch(1, 0);
    e.touch(2, 10);
    e.touch(2, 20); // already last: stays last
    e.touch(3, 30);
    expect([...e.keys()]).toEqual([1, 2, 3]);
    expect(e.deadlineOf(2)).toBe(120);
    expect(e.delete(2)).toBe(true);
    expect(e.delete(2)).toBe(false);
    expect(e.has(2)).toBe(false);
    expect(e.deadlineOf(2)).toBeUndefined();
    e.touch(1, 40);
    expect([...e.keys()]).toEqual([3, 1]);
    expect(e.popExpired(130)).toEqual([3]);
    expect(e.size).toBe(1);
  });

  it("IdMap agrees with a Map under random sets, deletes and gets (collisions, wrap-around, growth)", () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const ids = new IdMap<number>();
    const model = new Map<number, number>();
    for (let step = 0; step < 20_000; step++) {
      // keys from a small range (many collisions and probe runs) plus some large ones (above 2^31)
      const id = random() < 0.9 ? Math.floor(random() * 64) : 2 ** 40 + Math.floor(random() * 8) * 16;
      const r = random();
      if (r < 0.45) {
        ids.set(id, step);
        model.set(id, step);
      } else if (r < 0.9) expect(ids.delete(id)).toBe(model.delete(id));
      else {
        expect(ids.get(id)).toBe(model.get(id));
        expect(ids.has(id)).toBe(model.has(id));
      }
      expect(ids.size).toBe(model.size);
    }
    for (const [id, value] of model) expect(ids.get(id)).toBe(value);
    const byId = [...model.entries()].sort(([a], [b]) => a - b);
    expect(ids.keys()).toEqual(byId.map(([id]) => id));
    expect(ids.values()).toEqual(byId.map(([, value]) => value));
    ids.clear();
    expect(ids.size).toBe(0);
    expect(ids.get([...model.keys()][0]!)).toBeUndefined();
  });

  it("IdMap keeps sequential ids (one set and one delete per request) without growing", () => {
    const ids = new IdMap<{ id: number }>();
    for (let id = 1; id <= 100_000; id++) {
      ids.set(id, { id });
      if (id > 3) expect(ids.delete(id - 3)).toBe(true); // three in flight at a time
    }
    expect(ids.size).toBe(3);
    expect(ids.values().map((v) => v.id)).toEqual([99_998, 99_999, 100_000]); // in the order added, across the wrap of the table
    expect((ids as unknown as { slots: unknown[] }).slots.length).toBe(8);
  });
});
