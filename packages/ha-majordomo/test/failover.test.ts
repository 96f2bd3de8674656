import { afterEach, describe, expect, it } from "vitest";
import { killAllChildren, waitFor } from "@zmq-reliable/core/testing";
import { HEARTBEAT, Pair, gapAround, replies, stopClient } from "./pair.js";

/** The failover target at a 100 ms heartbeat is 500 ms; the tests allow 3×. */
const GAP_LIMIT = 3 * 500;

afterEach(async () => {
  await killAllChildren();
});

const activeLine = /^state from=\w+ to=active/i;

describe("highly available Majordomo pair (child processes)", () => {
  it("kill the active under traffic: every request answered; the restarted primary rejoins passive; never two actives", async () => {
    const pair = await Pair.create();
    const primary = await pair.startBroker("primary");
    await pair.startBroker("backup");
    await primary.waitForLine(activeLine);
    await pair.startWorker("w1");
    await pair.startWorker("w2");
    const client = await pair.startClient();
    await waitFor(() => replies(client).length >= 20, { timeout: 10_000 });

    const killedAt = await pair.kill("primary");
    const backup = pair.brokers.get("backup")!;
    await backup.waitForLine(activeLine, 10_000);
    await waitFor(() => replies(client).filter((r) => r.t > killedAt).length >= 20, { timeout: 10_000 });
    const gap = gapAround(replies(client), killedAt);
    console.log(`HA Majordomo failover gap after killing the active: ${gap.toFixed(0)} ms (heartbeat ${HEARTBEAT} ms)`);
    expect(gap).toBeLessThan(GAP_LIMIT);

    // Restart the old primary: it must come back passive and the backup stays active.
    const restarted = await pair.startBroker("primary");
    await restarted.waitForLine(/^state from=primary to=passive/i, 10_000);
    const count = replies(client).length;
    await waitFor(() => replies(client).length >= count + 20, { timeout: 10_000 });

    const totals = await stopClient(client);
    expect(totals.failed).toBe(0);
    expect(totals.mismatched).toBe(0);
    expect(totals.answered).toBe(totals.sent);
    expect(restarted.lines.some((l) => activeLine.test(l))).toBe(false);

    const spans = pair.activeSpans();
    for (const a of spans) {
      for (const b of spans) {
        if (a === b || a.node === b.node) continue;
        const overlap = Math.min(a.to, b.to) - Math.max(a.from, b.from);
        expect(overlap, `${a.node} and ${b.node} were both active`).toBeLessThanOrEqual(0);
      }
    }
  });

  it("a backup started alone serves nobody until it has seen the primary", async () => {
    const pair = await Pair.create();
    const backup = await pair.startBroker("backup");
    await pair.startWorker("w1");
    const client = await pair.startClient();
    // Clients keep asking for several failover timeouts: the lone backup must not take over.
    await new Promise((r) => setTimeout(r, 8 * HEARTBEAT));
    expect(replies(client)).toHaveLength(0);
    expect(backup.lines.some((l) => l.startsWith("state "))).toBe(false);

    const primaryStart = Date.now();
    const primary = await pair.startBroker("primary");
    await primary.waitForLine(activeLine, 10_000);
    await waitFor(() => replies(client).length >= 5, { timeout: 10_000 });
    expect(replies(client)[0]!.t).toBeGreaterThanOrEqual(primaryStart);
    await backup.waitForLine(/to=passive/i);
    const totals = await stopClient(client);
    expect(totals.failed).toBe(0);
    expect(totals.mismatched).toBe(0);
  });

  it("kill the passive: the active keeps serving without a gap", async () => {
    const pair = await Pair.create();
    const primary = await pair.startBroker("primary");
    await pair.startBroker("backup");
    await primary.waitForLine(activeLine);
    await pair.startWorker("w1");
    const client = await pair.startClient();
    await waitFor(() => replies(client).length >= 20, { timeout: 10_000 });

    const killedAt = await pair.kill("backup");
    await waitFor(() => replies(client).filter((r) => r.t > killedAt).length >= 30, { timeout: 10_000 });
    const after = replies(client).filter((r) => r.t > killedAt);
    expect(after.every((r) => r.attempts === 1)).toBe(true);
    const gap = gapAround(replies(client), killedAt);
    console.log(`HA Majordomo gap after killing the passive: ${gap.toFixed(0)} ms`);
    expect(gap).toBeLessThan(2 * HEARTBEAT);

    const totals = await stopClient(client);
    expect(totals).toMatchObject({ failed: 0, mismatched: 0 });
    expect(totals.answered).toBe(totals.sent);
  });
});
