import { describe, expect, it } from "vitest";
import { FailoverPlan, type FailoverTimings, type PlanAction, type ServerIndex, clientTimings } from "../src/index.js";

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
