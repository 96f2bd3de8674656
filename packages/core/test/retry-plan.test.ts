import { describe, expect, it } from "vitest";
import {
  AttemptSchedule,
  EndpointRotation,
  FailoverPlan,
  type FailoverTimings,
  type PlanAction,
  type PlanStep,
  RotationPolicy,
  type ServerIndex,
  Timer,
  VotingPolicy,
} from "../src/index.js";
import { FakeClock } from "../src/testing/index.js";

describe("attempt planning", () => {
  it("one endpoint: attempts=3 is three sends to the same endpoint, then give up after 3 × timeout", () => {
    const clock = new FakeClock(1000);
    const rotation = new EndpointRotation(["tcp://a:1"]);
    const schedule = new AttemptSchedule(rotation, { attempts: 3, timeout: 2500 });
    const sends: { attempt: number; at: number; endpoint: string; failover: boolean }[] = [];
    let gaveUpAt = -1;
    const timer = new Timer(clock, () => step());
    const step = () => {
      const a = schedule.next(clock.now());
      if (!a) {
        gaveUpAt = clock.now();
        return;
      }
      sends.push({ attempt: a.attempt, at: clock.now(), endpoint: a.endpoint, failover: a.failover });
      timer.at(a.deadline);
    };
    step();
    while (clock.runNext());
    expect(sends).toEqual([
      { attempt: 1, at: 1000, endpoint: "tcp://a:1", failover: false },
      { attempt: 2, at: 3500, endpoint: "tcp://a:1", failover: false },
      { attempt: 3, at: 6000, endpoint: "tcp://a:1", failover: false },
    ]);
    expect(gaveUpAt - 1000).toBe(3 * 2500);
    expect(schedule.attempts).toBe(3);
    expect(schedule.exhausted).toBe(true);
    expect(schedule.endpoints).toEqual(["tcp://a:1", "tcp://a:1", "tcp://a:1"]);
  });

  it("several endpoints: each retry moves to the next endpoint, wrapping around", () => {
    const rotation = new EndpointRotation(["A", "B", "C"]);
    const schedule = new AttemptSchedule(rotation, { attempts: 5, timeout: 10 });
    const plan = Array.from({ length: 6 }, (_, i) => schedule.next(i * 10));
    expect(plan.map((a) => a?.endpoint)).toEqual(["A", "B", "C", "A", "B", undefined]);
    expect(plan.map((a) => a?.failover)).toEqual([false, true, true, true, true, undefined]);
    expect(plan.map((a) => a?.previous)).toEqual([undefined, "A", "B", "C", "A", undefined]);
    expect(plan[1]!.deadline).toBe(20);
  });

  it("sticky: the next request starts where the last answer came from", () => {
    const rotation = new EndpointRotation(["A", "B"], "sticky");
    const first = new AttemptSchedule(rotation, { attempts: 3, timeout: 10 });
    expect(first.next(0)!.endpoint).toBe("A");
    expect(first.next(10)!.endpoint).toBe("B");
    first.answered();
    const second = new AttemptSchedule(rotation, { attempts: 3, timeout: 10 });
    expect(second.next(20)!.endpoint).toBe("B");
    expect(second.next(30)!.endpoint).toBe("A");
  });

  it("first: every request starts at the first endpoint", () => {
    const rotation = new EndpointRotation(["A", "B"], "first");
    const first = new AttemptSchedule(rotation, { attempts: 2, timeout: 10 });
    first.next(0);
    first.next(10);
    first.answered();
    expect(new AttemptSchedule(rotation, { attempts: 2, timeout: 10 }).next(20)!.endpoint).toBe("A");
  });

  it("round-robin: successive requests start on successive endpoints", () => {
    const rotation = new EndpointRotation(["A", "B", "C"], "round-robin");
    const starts = Array.from({ length: 4 }, () => new AttemptSchedule(rotation, { attempts: 1, timeout: 10 }).next(0)!.endpoint);
    expect(starts).toEqual(["A", "B", "C", "A"]);
  });

  it("rejects bad options", () => {
    expect(() => new EndpointRotation([])).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => new EndpointRotation([""])).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => new EndpointRotation(["A"], "random" as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    const rotation = new EndpointRotation(["A"]);
    expect(() => new AttemptSchedule(rotation, { attempts: 0, timeout: 10 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => new AttemptSchedule(rotation, { attempts: 1.5, timeout: 10 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => new AttemptSchedule(rotation, { attempts: 1, timeout: 0 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });
});



/** The Binary Star client's timings for a heartbeat, as `clientTimings()` of the binary-star package derives them. */
function clientTimings(heartbeat: number): FailoverTimings {
  return { timeout: heartbeat, settleDelay: 2 * heartbeat, voteInterval: Math.max(1, heartbeat / 4) };
}

const T: FailoverTimings = { timeout: 1000, settleDelay: 2000, voteInterval: 250 };

describe("FailoverPlan: the client's schedule", () => {
  it("first sends once to the server believed active and waits `timeout`", () => {
    const plan = new FailoverPlan(T, 1);
    expect(plan.begin(100)).toEqual([{ type: "send", server: 1, vote: false, window: 0 }]);
    expect(plan.wakeAt).toBe(1100);
    expect(plan.wake(1099)).toEqual([]);
    expect(plan.wake(1100)).toEqual([
      { type: "failover", from: 1, to: 0, reason: "timeout", window: 1 },
      { type: "send", server: 0, vote: true, window: 1 },
    ]);
  });

  it("votes every voteInterval for settleDelay, once more after it, then alternates", () => {
    const plan = new FailoverPlan(T, 0);
    plan.begin(0);
    const sends: number[] = [];
    let failover: PlanAction | undefined;
    const record = (now: number, actions: PlanAction[]) => {
      for (const a of actions) {
        if (a.type === "send") sends.push(now);
        else failover = a;
      }
    };
    record(1000, plan.wake(1000)); // timeout: fail over to the backup
    expect(failover).toMatchObject({ from: 0, to: 1, reason: "timeout" });
    failover = undefined;
    while (!failover) {
      const now = plan.wakeAt;
      record(now, plan.wake(now));
    }
    // Votes at the backup from 1000 to 3000 inclusive (the last one after the failover timeout).
    expect(sends).toEqual([1000, 1250, 1500, 1750, 2000, 2250, 2500, 2750, 3000, 3250]);
    expect(failover).toMatchObject({ from: 1, to: 0, reason: "settle", window: 2 });
  });

  it("fails over at once when the connection to the active server is lost or refused", () => {
    const plan = new FailoverPlan(T, 0);
    plan.begin(0);
    expect(plan.unreachable(1, 5)).toEqual([]); // not the server being tried
    expect(plan.unreachable(0, 10)[0]).toMatchObject({ type: "failover", from: 0, to: 1, reason: "unreachable" });
    expect(plan.unreachable(1, 20)).toEqual([]); // while voting, the window runs its course
    expect(plan.wakeAt).toBe(260);
  });

  it("skips the first attempt when the idle socket is known to be disconnected", () => {
    const plan = new FailoverPlan(T, 0);
    const actions = plan.begin(0, false);
    expect(actions).toEqual([
      { type: "failover", from: 0, to: 1, reason: "unreachable", window: 1 },
      { type: "send", server: 1, vote: true, window: 1 },
    ]);
  });

  it("still votes after the failover timeout when timers fire late", () => {
    const plan = new FailoverPlan({ timeout: 100, settleDelay: 200, voteInterval: 25 }, 0);
    plan.begin(0, false); // window starts at 0
    expect(plan.wake(190)).toHaveLength(1); // a late timer: vote at 190, next at 215
    const late = plan.wake(260); // way past the window end (225), but no vote since 200 yet
    expect(late).toEqual([{ type: "send", server: 1, vote: true, window: 1 }]);
    expect(plan.wake(plan.wakeAt)[0]).toMatchObject({ type: "failover", reason: "settle" });
  });

  it("alternates forever between two silent servers without a busy loop", () => {
    const plan = new FailoverPlan(T, 0);
    plan.begin(0);
    let sends = 0;
    let failovers = 0;
    let now = 0;
    while (now < 60_000) {
      now = plan.wakeAt;
      for (const a of plan.wake(now)) {
        if (a.type === "send") sends++;
        else failovers++;
      }
    }
    // Every window lasts settleDelay + voteInterval: at most one send per voteInterval.
    expect(failovers).toBeGreaterThanOrEqual(25);
    expect(failovers).toBeLessThanOrEqual(27);
    expect(sends).toBeLessThanOrEqual(60_000 / T.voteInterval + failovers + 1);
  });
});

/**
 * Simulates the failover after the active (server 0) dies at `death`. The passive (server 1)
 * last heard it at `lastHeard` ∈ [death - heartbeat, death], so it answers a vote that arrives at
 * or after lastHeard + 2 × heartbeat (its peer expiry), and drops earlier ones. The request in
 * flight was sent at `sentAt` ≤ death and died with the server. If `seesDisconnect`, the client learns of the death at once
 * (a killed process resets its TCP connections); otherwise only by its timeout.
 */
function failoverReplyAt(timings: FailoverTimings, heartbeat: number, o: { death: number; lastHeard: number; sentAt: number; seesDisconnect: boolean; rtt: number }): number {
  const expiry = o.lastHeard + 2 * heartbeat;
  const plan = new FailoverPlan(timings, 0);
  const replies: number[] = [];
  const perform = (now: number, actions: PlanAction[]) => {
    for (const a of actions) {
      if (a.type !== "send") continue;
      const arrives = now + o.rtt / 2;
      const answered = a.server === 1 && arrives >= expiry; // server 0 died before answering
      if (answered) replies.push(now + o.rtt);
    }
  };
  perform(o.sentAt, plan.begin(o.sentAt));
  if (o.seesDisconnect) perform(o.death, plan.unreachable(0 as ServerIndex, o.death));
  while (replies.length === 0) {
    const now = plan.wakeAt;
    perform(now, plan.wake(now));
  }
  return Math.min(...replies);
}

describe("failover time bound (see the failover module's reasoning)", () => {
  for (const heartbeat of [1000, 100]) {
    const timings = clientTimings(heartbeat);
    const target = heartbeat === 1000 ? 2500 : 500;
    it(`with heartbeat ${heartbeat} ms the next reply comes at most 2 x heartbeat + voteInterval after the death (target ${target} ms)`, () => {
      const rtt = 1;
      let worst = 0;
      for (let phase = 0; phase <= heartbeat; phase += heartbeat / 20) {
        for (const inFlight of [0, heartbeat / 3, timings.timeout]) {
          for (const seesDisconnect of [true, false]) {
            const death = 10_000;
            const sentAt = death - Math.min(inFlight, timings.timeout - 1);
            const replyAt = failoverReplyAt(timings, heartbeat, { death, lastHeard: death - phase, sentAt, seesDisconnect, rtt });
            worst = Math.max(worst, replyAt - death);
          }
        }
      }
      console.log(`heartbeat ${heartbeat} ms: worst simulated failover ${worst} ms (reference client: >= ${timings.timeout + timings.settleDelay} ms)`);
      expect(worst).toBeLessThanOrEqual(2 * heartbeat + timings.voteInterval + rtt);
      expect(worst).toBeLessThanOrEqual(target);
      // The reference bstarcli: timeout, then SETTLE_DELAY asleep, then one send.
      const reference = timings.timeout + timings.settleDelay;
      expect(worst).toBeLessThan(reference);
    });
  }
});

describe("RotationPolicy plans (Lazy Pirate, Majordomo)", () => {
  it("sticky: timeout, retire the old socket, fail over, send; give up after the last attempt", () => {
    const policy = new RotationPolicy(["A", "B"]);
    const plan = policy.plan({ attempts: 2, timeout: 100 });
    expect(plan.begin(0, true)).toEqual([{ type: "send", endpoint: 0, reuse: true, group: 1, reason: undefined }]);
    expect(plan.wakeAt()).toBe(100);
    expect(plan.wake(99)).toEqual([]);
    expect(plan.wake(100)).toEqual<PlanStep[]>([
      { type: "timeout" },
      { type: "retire", before: 2 },
      { type: "failover", from: 0, to: 1, reason: "timeout" },
      { type: "send", endpoint: 1, reuse: false, group: 2, reason: "timeout" },
    ]);
    expect(plan.wake(200)).toEqual<PlanStep[]>([{ type: "timeout" }, { type: "retire", before: 3 }, { type: "give-up" }]);
  });

  it("a failed send retries at once; a failure of an older attempt changes nothing", () => {
    const plan = new RotationPolicy(["A"]).plan({ attempts: 3, timeout: 100 });
    plan.begin(0, true);
    expect(plan.failed(0, 1, "send-failed", 10)).toEqual<PlanStep[]>([
      { type: "retire", before: 2 },
      { type: "send", endpoint: 0, reuse: false, group: 2, reason: "send-failed" },
    ]);
    expect(plan.failed(0, 1, "send-failed", 20)).toEqual([]);
    expect(plan.failed(0, 2, "unreachable", 20)).toEqual([]);
    expect(plan.wakeAt()).toBe(110);
  });

  it("follow (Majordomo): one current endpoint, moved once by the first timeout there; retries go to it", () => {
    const policy = new RotationPolicy(["A", "B"], "follow");
    const a = policy.plan({ attempts: 3, timeout: 100 });
    const b = policy.plan({ attempts: 3, timeout: 100 });
    a.begin(0, true);
    b.begin(0, true);
    expect(a.wake(100)).toEqual<PlanStep[]>([
      { type: "timeout" },
      { type: "failover", from: 0, to: 1, reason: "timeout" },
      { type: "retire", before: 2 },
      { type: "send", endpoint: 1, reuse: false, group: 2, reason: "timeout" },
    ]);
    // The second call's timeout at A moves nothing: the client is already on B.
    expect(b.wake(100)).toEqual<PlanStep[]>([{ type: "timeout" }, { type: "retire", before: 2 }, { type: "send", endpoint: 1, reuse: false, group: 2, reason: "timeout" }]);
    expect(policy.current).toBe(1);
    expect(policy.plan({ attempts: 1, timeout: 100 }).first).toBe(1);
  });

  it("follow moves even on the last attempt, before giving up", () => {
    const policy = new RotationPolicy(["A", "B"], "follow");
    const plan = policy.plan({ attempts: 1, timeout: 100 });
    plan.begin(0, true);
    expect(plan.wake(100)).toEqual<PlanStep[]>([
      { type: "timeout" },
      { type: "failover", from: 0, to: 1, reason: "timeout" },
      { type: "retire", before: 2 },
      { type: "give-up" },
    ]);
  });
});

describe("VotingPolicy plans (Binary Star)", () => {
  it("maps the failover plan to steps: keep the last window's sockets, votes are fresh retries", () => {
    const policy = new VotingPolicy(["P", "B"], T);
    const plan = policy.plan();
    expect(plan.begin(0, true)).toEqual([{ type: "send", endpoint: 0, reuse: true, group: 0, reason: undefined }]);
    expect(plan.wake(1000)).toEqual<PlanStep[]>([
      { type: "timeout" },
      { type: "failover", from: 0, to: 1, reason: "timeout" },
      { type: "retire", before: 0 },
      { type: "send", endpoint: 1, reuse: false, group: 1, reason: "timeout" },
    ]);
    expect(plan.wake(1250)).toEqual([{ type: "send", endpoint: 1, reuse: false, group: 1, reason: "vote" }]);
    plan.answered(1);
    expect(policy.current).toBe(1);
    expect(policy.plan().first).toBe(1);
  });

  it("a lost connection during the first attempt fails over at once", () => {
    const plan = new VotingPolicy(["P", "B"], T).plan();
    plan.begin(0, true);
    expect(plan.failed(0, 0, "send-failed", 5)).toEqual([]);
    expect(plan.failed(0, 0, "unreachable", 5)[0]).toEqual({ type: "failover", from: 0, to: 1, reason: "unreachable" });
  });
});
