/**
 * Fault tests with child processes (the built package, through
 * test/fixtures/worker.mjs and the `majordomo-broker` bin): workers killed or
 * frozen mid-request, and a broker killed and restarted on the same port.
 */
import { fileURLToPath } from "node:url";
import { nextEvent } from "@zmq-reliable/core";
import type { ChildHandle } from "@zmq-reliable/core/testing";
import { killAllChildren, reservePort, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MajordomoBroker, MajordomoClient } from "../src/index.js";

const WORKER = fileURLToPath(new URL("./fixtures/worker.mjs", import.meta.url));
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const HB = 50;
/**
 * Heartbeats a peer may miss before it is taken for dead, on both sides. The
 * reference 3 (150 ms here) made healthy peers expire each other when the 2
 * cores were saturated (a busy worker expired by the broker, one run in eight:
 * `expired: 2`; a waiting worker re-registering and losing its place in the
 * queue); 6 × 50 ms still detects a killed worker well inside the deadlines.
 */
const LIVENESS = 6;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAllChildren();
  for (const c of closers.splice(0).reverse()) await c();
});

async function inProcessBroker(): Promise<MajordomoBroker> {
  const broker = new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: HB, liveness: LIVENESS });
  closers.push(() => broker.close());
  await broker.start();
  return broker;
}

function client(endpoint: string, timeout: number, attempts: number): MajordomoClient {
  const c = new MajordomoClient({ endpoint, timeout, attempts });
  closers.push(() => c.close());
  return c;
}

async function startWorker(broker: MajordomoBroker, name: string, delayMs: number): Promise<ChildHandle> {
  const ready = nextEvent(broker, "ready", { timeout: 10_000 });
  const child = spawnNode(WORKER, [broker.endpoint, "job", name, String(delayMs), String(HB), String(LIVENESS)]);
  await ready;
  return child;
}

/** Resolves with the child whose stdout first shows `pattern`. */
function firstToSay(children: ChildHandle[], pattern: RegExp, timeout = 10_000): Promise<ChildHandle> {
  return Promise.race(children.map((c) => c.waitForLine(pattern, timeout).then(() => c)));
}

describe("worker faults", () => {
  it("a worker killed mid-request: another worker serves it and the client gets exactly one reply", async () => {
    const broker = await inProcessBroker();
    const workers = [await startWorker(broker, "A", 1000), await startWorker(broker, "B", 1000)];
    // attempts: 1 — recovery must come from the broker's re-dispatch, not from a client retry
    const c = client(broker.endpoint, 10_000, 1);
    const pending = c.request("job", "payload");
    const victim = await firstToSay(workers, /^got payload$/);
    const survivor = workers.find((w) => w !== victim)!;
    await victim.kill();
    const [retry] = await nextEvent(broker, "retry", { timeout: 10_000 });
    expect(retry).toMatchObject({ service: "job", attempt: 2 });
    const reply = await pending;
    expect(reply.map(String)).toEqual([survivor === workers[0] ? "A" : "B", "payload"]);
    expect(survivor.lines.filter((l) => l === "got payload")).toHaveLength(1);
    expect(victim.lines.filter((l) => l.startsWith("replied"))).toHaveLength(0);
    expect(broker.stats()).toMatchObject({ replies: 1, retries: 1, expired: 1 });
    expect(c.stats()).toMatchObject({ replies: 1, retries: 0 });
  });

  it("a worker killed mid-request while a fast worker waits: the fast one answers, once", async () => {
    const broker = await inProcessBroker();
    const slow = await startWorker(broker, "SLOW", 60_000);
    const fast = await startWorker(broker, "FAST", 0);
    const c = client(broker.endpoint, 10_000, 1);
    // The broker picks the worker that waited longest: SLOW (registered first).
    const pending = c.request("job", "x");
    await slow.waitForLine(/^got x$/);
    await slow.kill();
    const reply = await pending;
    expect(reply.map(String)).toEqual(["FAST", "x"]);
    expect(fast.lines.filter((l) => l === "got x")).toHaveLength(1);
    expect(broker.stats()).toMatchObject({ replies: 1, retries: 1, expired: 1 });
  });

  it("a frozen worker is expired, its request re-dispatched; when it thaws its late reply goes nowhere", async () => {
    const broker = await inProcessBroker();
    const frozen = await startWorker(broker, "FROZEN", 300);
    const c = client(broker.endpoint, 10_000, 1);
    const pending = c.request("job", "y");
    await frozen.waitForLine(/^got y$/);
    frozen.stop();
    await nextEvent(broker, "expire", { timeout: 10_000 });
    const fast = await startWorker(broker, "FAST", 0);
    expect((await pending).map(String)).toEqual(["FAST", "y"]);
    frozen.cont();
    // Thawed, its handler finishes; either the broker refuses the reply (unknown worker) or the worker,
    // told DISCONNECT first, drops it as stale. Either way nobody gets a second reply.
    await frozen.waitForLine(/^replied y$/);
    await frozen.waitForLine(/^disconnect peer-disconnect$/);
    await waitFor(() => frozen.lines.filter((l) => l.startsWith("ready ")).length === 2, { timeout: 10_000 });
    expect(fast.lines.filter((l) => l === "got y")).toHaveLength(1);
    expect(broker.stats().replies).toBe(1);
  });
});

describe("broker faults", () => {
  it("a broker killed and restarted on the same port: workers re-register, pending requests complete by retry", async () => {
    const port = await reservePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    const startBroker = async () => {
      const child = spawnNode(CLI, ["--bind", endpoint, "--heartbeat", String(HB)]);
      await child.waitForLine(/^started /);
      return child;
    };
    let broker = await startBroker();
    const workers = [spawnNode(WORKER, [endpoint, "echo", "W1", "0", String(HB)]), spawnNode(WORKER, [endpoint, "echo", "W2", "0", String(HB)])];
    const c = client(endpoint, 300, 30);
    await waitFor(() => c.serviceAvailable("echo", { attempts: 1 }).catch(() => false), { timeout: 10_000, interval: 50 });
    expect((await c.request("echo", "before")).map(String).slice(1)).toEqual(["before"]);

    await broker.kill();
    const connectsBefore = workers.map((w) => w.lines.filter((l) => l.startsWith("ready ")).length);
    const pending = Array.from({ length: 20 }, (_, i) => c.request("echo", `during-${i}`));
    await waitFor(() => workers.every((w) => w.lines.includes("disconnect expire")), { timeout: 10_000 });

    broker = await startBroker();
    const restartedAt = performance.now();
    // each worker opens a fresh socket and says READY again
    await waitFor(
      () => workers.every((w, i) => w.lines.filter((l) => l.startsWith("ready ")).length > connectsBefore[i]!) && c.serviceAvailable("echo", { attempts: 1 }).catch(() => false),
      { timeout: 10_000, interval: 20 },
    );
    const reRegisteredIn = performance.now() - restartedAt;
    const replies = await Promise.all(pending);
    replies.forEach((r, i) => expect(r.map(String).slice(1)).toEqual([`during-${i}`]));
    expect(c.stats().retries).toBeGreaterThan(0);
    // reconnect is 100 ms doubling to 400 ms, plus 3 × 50 ms to notice: allow a loaded machine plenty
    expect(reRegisteredIn).toBeLessThan(5000);
    broker.process.kill("SIGTERM");
    expect(await broker.exited).toEqual({ code: 0, signal: null });
  });
});
