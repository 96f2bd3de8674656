/**
 * Found by `npm run fuzz` (issue 11): fake workers saying READY on the
 * queue's backend made it lose other clients' requests. Each READY from a
 * busy worker lost the request it held, and a fake's repeated READY while
 * idle kept its place at the front of the LRU, so the fake got about every
 * other request and dropped it. Now a given-up request goes back to the front
 * for another worker, and workers that have answered go first.
 */
import { nextEvent } from "@zmq-reliable/core";
import { afterEach, describe, expect, it } from "vitest";
import { ParanoidPirateQueue, ParanoidPirateWorker, type RetryEvent } from "../src/index.js";
import { closeAll, lazyRequest, rawDealer, track } from "./helpers.js";

const HEARTBEAT = 50;
const READY = Buffer.from([0x01]);
/** How long the real worker's handler takes: far longer than the fake's READY interval. */
const SLOW = 100;

afterEach(closeAll);

/** Calls `fn` every `ms` until the test ends. */
function every(ms: number, fn: () => void): void {
  const timer = setInterval(fn, ms);
  track({ close: () => clearInterval(timer) });
}

describe("a fake worker saying READY every millisecond (issue 11, hostile PPP worker)", () => {
  it("loses no request: 20 of 20 Lazy Pirate requests are answered at their first attempt by the slow real worker", async () => {
    const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: HEARTBEAT, liveness: 3 }));
    await queue.start();
    const retries: RetryEvent[] = [];
    queue.on("retry", (e) => retries.push(e));

    // The fake registers first, so it is first in line until the real worker has answered once.
    const fake = rawDealer(queue.endpoints.backend);
    const fakeReady = nextEvent(queue, "ready", { timeout: 5000 });
    await fake.send([READY]);
    const [{ worker: fakeId }] = await fakeReady;
    every(1, () => void fake.send([READY]).catch(() => {}));

    const realReady = nextEvent(queue, "ready", { timeout: 5000 });
    const real = track(
      new ParanoidPirateWorker({
        endpoint: queue.endpoints.backend,
        heartbeatInterval: HEARTBEAT,
        liveness: 3,
        handler: async (body) => {
          await new Promise((r) => setTimeout(r, SLOW));
          return ["echo", ...body];
        },
      }),
    );
    await real.start();
    await realReady;

    const answered: string[][] = [];
    for (let i = 0; i < 20; i++) {
      const { reply, attempts } = await lazyRequest(queue.endpoints.frontend, [`request ${i}`], { timeout: 5000, attempts: 1 });
      expect(attempts).toBe(1);
      answered.push(reply);
    }
    expect(answered).toEqual(Array.from({ length: 20 }, (_, i) => ["echo", `request ${i}`]));
    // The fake got the first request only (the real worker was not proven yet), and gave it back.
    expect(fake.messages.filter((m) => m.frames.length > 1)).toHaveLength(1);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 2, previous: fakeId, reason: "restarted" });
    expect(retries[0]!.request.map(String)).toEqual(["request 0"]);
    expect(queue.stats()).toMatchObject({ replies: 20, requestsLost: 0, retries: 1 });
  });
});
