/**
 * Fault tests with real processes: workers (test/fixtures/worker.mjs, built
 * package) killed, frozen and thawed; the queue (the built CLI) killed and
 * restarted on the same ports. Clients are raw REQ sockets with Lazy Pirate
 * retries.
 */
import { fileURLToPath } from "node:url";
import { nextEvent } from "@zmq-reliable/core";
import { type ChildHandle, killAllChildren, reservePort, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ParanoidPirateQueue, type RequestLostEvent, type WorkerExpiredEvent } from "../src/index.js";
import { closeAll, lazyRequest, track } from "./helpers.js";

const WORKER = fileURLToPath(new URL("./fixtures/worker.mjs", import.meta.url));
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const INTERVAL = 100;
const LIVENESS = 3;
/** The bound: a dead worker is expired within (liveness + 1) × interval. */
const EXPIRY_BOUND = (LIVENESS + 1) * INTERVAL;
const WORKER_ENV = { PP_HEARTBEAT: String(INTERVAL), PP_LIVENESS: String(LIVENESS), PP_BACKOFF_INITIAL: "50", PP_BACKOFF_MAX: "200" };

afterEach(async () => {
  await killAllChildren();
  await closeAll();
});

async function startQueue(): Promise<ParanoidPirateQueue> {
  const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: INTERVAL, liveness: LIVENESS }));
  await queue.start();
  return queue;
}

/** Spawns a worker process and waits until `queue` has registered it; returns the child and its id at the queue. */
async function spawnWorker(queue: ParanoidPirateQueue, name: string): Promise<{ child: ChildHandle; id: Buffer }> {
  const ready = nextEvent(queue, "ready", { timeout: 10_000 });
  const child = spawnNode(WORKER, [queue.endpoints.backend, name], { env: WORKER_ENV });
  const [{ worker }] = await ready;
  return { child, id: worker };
}

describe("worker processes against an in-process queue", () => {
  it("a worker killed mid-request: expired within (liveness + 1) × interval, the request is reported lost, the client's retry is served by another worker", async () => {
    const queue = await startQueue();
    const a = await spawnWorker(queue, "A");
    const b = await spawnWorker(queue, "B");
    const expired: { at: number; event: WorkerExpiredEvent }[] = [];
    queue.on("expire", (event) => expired.push({ at: performance.now(), event }));
    const lost = nextEvent(queue, "request-lost", { timeout: 10_000 });

    // LRU: the first request goes to A, which works on it for a while.
    const reply = lazyRequest(queue.endpoints.frontend, ["sleep:300", "job-1"], { timeout: 800, attempts: 5 });
    await a.child.waitForLine(/^request sleep:300 job-1$/);
    const killedAt = performance.now();
    await a.child.kill("SIGKILL");

    const [lostEvent] = (await lost) as [RequestLostEvent];
    expect(lostEvent.worker).toEqual(a.id);
    expect(lostEvent.cause).toBe("expired");
    expect(lostEvent.request.map(String)).toEqual(["sleep:300", "job-1"]);
    expect(expired).toHaveLength(1);
    expect(expired[0]!.event).toMatchObject({ worker: a.id, busy: true });
    expect(expired[0]!.at - killedAt).toBeLessThanOrEqual(EXPIRY_BOUND);

    const { reply: frames, attempts } = await reply;
    expect(frames).toEqual(["B", "sleep:300", "job-1"]);
    expect(attempts).toBe(2);
    expect(b.child.lines).toContain("request sleep:300 job-1");
    expect(queue.stats()).toMatchObject({ workers: 1, workersExpired: 1, requestsLost: 1 });
  });

  it("a frozen worker (SIGSTOP) is expired within (liveness + 1) × interval; after SIGCONT it re-registers and serves", async () => {
    const queue = await startQueue();
    const { child, id } = await spawnWorker(queue, "F");
    const expired = nextEvent(queue, "expire", { timeout: 10_000 });
    const stoppedAt = performance.now();
    child.stop();
    const [event] = await expired;
    expect(event.worker).toEqual(id);
    expect(performance.now() - stoppedAt).toBeLessThanOrEqual(EXPIRY_BOUND);
    expect(queue.stats().workers).toBe(0);

    const back = nextEvent(queue, "ready", { timeout: 10_000 });
    child.cont();
    const [again] = await back;
    expect(again.worker.equals(id)).toBe(false); // a fresh socket, so a fresh identity
    await child.waitForLine(/^expire /);
    await child.waitForLine(/^ready 2$/);
    expect((await lazyRequest(queue.endpoints.frontend, ["after thaw"], { timeout: 2000 })).reply).toEqual(["F", "after thaw"]);
  });

  it("a worker process exits by itself after close() (SIGTERM), finishing its request first", async () => {
    const queue = await startQueue();
    const { child } = await spawnWorker(queue, "T");
    const reply = lazyRequest(queue.endpoints.frontend, ["sleep:200", "last"], { timeout: 5000, attempts: 1 });
    await child.waitForLine(/^request sleep:200 last$/);
    child.process.kill("SIGTERM");
    expect((await reply).reply).toEqual(["T", "sleep:200", "last"]);
    await child.waitForLine(/^closed$/);
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});

describe("the queue process killed and restarted on the same ports", () => {
  function spawnQueue(frontend: string, backend: string): ChildHandle {
    return spawnNode(CLI, ["--frontend", frontend, "--backend", backend, "--heartbeat", String(INTERVAL), "--liveness", String(LIVENESS)]);
  }

  it("workers come back through back-off and serve again; clients recover by retrying", async () => {
    const frontend = `tcp://127.0.0.1:${await reservePort()}`;
    const backend = `tcp://127.0.0.1:${await reservePort()}`;
    const queue1 = spawnQueue(frontend, backend);
    await queue1.waitForLine(/^started frontend=/);
    const workers = ["W1", "W2"].map((name) => spawnNode(WORKER, [backend, name], { env: WORKER_ENV }));
    await Promise.all(workers.map((w) => w.waitForLine(/^started /)));
    await waitFor(() => (queue1.stderr.match(/ ready\n/g) ?? []).length >= 2, { timeout: 10_000, message: `queue1 stderr: ${queue1.stderr}` });
    expect((await lazyRequest(frontend, ["before"], { timeout: 2000 })).reply[1]).toBe("before");

    await queue1.kill("SIGKILL");
    // A client asking while the queue is down keeps retrying.
    const during = lazyRequest(frontend, ["during outage"], { timeout: 400, attempts: 30 });
    // Workers notice the silence and start backing off.
    await Promise.all(workers.map((w) => w.waitForLine(/^expire /)));
    await Promise.all(workers.map((w) => w.waitForLine(/^disconnect expire /)));

    const queue2 = spawnQueue(frontend, backend);
    await queue2.waitForLine(/^started frontend=/);
    const { reply, attempts } = await during;
    expect(reply[1]).toBe("during outage");
    expect(attempts).toBeGreaterThan(1);
    // Both workers re-registered with the new queue and serve again.
    await waitFor(() => (queue2.stderr.match(/ ready\n/g) ?? []).length >= 2, { timeout: 10_000, message: `queue2 stderr: ${queue2.stderr}` });
    // Two at a time, each held 100 ms: the queue prefers a worker that has answered, so only while it is
    // busy does the other get work (one request after another would all go to the proven one).
    const served = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const pair = await Promise.all([0, 1].map((j) => lazyRequest(frontend, ["sleep:100", `after ${i}.${j}`], { timeout: 2000 })));
      for (const { reply: r } of pair) served.add(r[0]!);
    }
    expect([...served].sort()).toEqual(["W1", "W2"]);
    for (const w of workers) expect(w.lines.some((l) => /^ready [2-9]/.test(l))).toBe(true);

    queue2.process.kill("SIGTERM");
    await queue2.waitForLine(/^stopped at=/);
    expect(await queue2.exited).toEqual({ code: 0, signal: null });
  });
});
