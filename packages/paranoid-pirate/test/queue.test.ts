import { Channel, ClosedError, type Frame, createSocket, curveKeyPair, InvalidOptionError, isZmqError, nextEvent, NotStartedError, SocketError } from "@zmq-reliable/core";
import { reservePort, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ParanoidPirateQueue, type ParanoidPirateQueueOptions, ParanoidPirateWorker, type ParanoidPirateWorkerOptions, type RequestLostEvent } from "../src/index.js";
import { closeAll, deferred, lazyRequest, track } from "./helpers.js";

const HEARTBEAT = 50;
const LIVENESS = 3;
const TTL = HEARTBEAT * LIVENESS;

afterEach(closeAll);

async function startQueue(options: ParanoidPirateQueueOptions = {}): Promise<ParanoidPirateQueue> {
  const bind = { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", ...options.bind };
  const queue = track(new ParanoidPirateQueue({ heartbeatInterval: HEARTBEAT, liveness: LIVENESS, ...options, bind }));
  await queue.start();
  return queue;
}

/** Starts a worker and waits until the queue has registered it; returns the worker and its id at the queue. */
async function startWorker(queue: ParanoidPirateQueue, options: Partial<ParanoidPirateWorkerOptions> & Pick<ParanoidPirateWorkerOptions, "handler">): Promise<{ worker: ParanoidPirateWorker; id: Buffer }> {
  const worker = track(new ParanoidPirateWorker({ endpoint: queue.endpoints.backend, heartbeatInterval: HEARTBEAT, liveness: LIVENESS, reconnect: { initial: 20, max: 100 }, ...options }));
  const ready = nextEvent(queue, "ready", { timeout: 10_000 });
  await worker.start();
  const [{ worker: id }] = await ready;
  return { worker, id };
}

/**
 * Starts a worker whose handler signals `started`, then holds each request
 * until `release` resolves and answers with `answer(body)`.
 */
async function startHeldWorker(queue: ParanoidPirateQueue, answer: (body: Buffer[]) => Frame | Frame[]) {
  const started = deferred();
  const release = deferred();
  const { worker } = await startWorker(queue, {
    handler: async (body) => {
      started.resolve();
      await release.promise;
      return answer(body);
    },
  });
  return { worker, started, release };
}

describe("ParanoidPirateQueue + ParanoidPirateWorker over tcp", () => {
  it("serves multi-frame requests and replies to REQ clients", async () => {
    const queue = await startQueue();
    await startWorker(queue, { handler: (body) => ["echo", ...body.map((f) => f.toString().toUpperCase())] });
    const { reply, attempts } = await lazyRequest(queue.endpoints.frontend, ["a", "b", ""]);
    expect(reply).toEqual(["echo", "A", "B", ""]);
    expect(attempts).toBe(1);
    expect(queue.stats()).toMatchObject({ requests: 1, replies: 1, workers: 1, ready: 1, busy: 0, dropped: 0 });
  });

  it("dispatches to workers least recently used first (fresh workers in registration order, then proven ones in answer order)", async () => {
    const queue = await startQueue();
    const order: string[] = [];
    // Each worker holds its first request until released, so all three are busy at once and answer in the order released.
    const gates = ["w1", "w2", "w3"].map((name) => ({ name, started: deferred(), release: deferred() }));
    for (const gate of gates) {
      await startWorker(queue, {
        handler: async () => {
          gate.started.resolve();
          await gate.release.promise;
          return gate.name;
        },
      });
    }
    const first: Promise<{ reply: string[] }>[] = [];
    for (const [i, gate] of gates.entries()) {
      first.push(lazyRequest(queue.endpoints.frontend, [`r${i}`], { timeout: 10_000, attempts: 1 }));
      await gate.started.promise; // r0 went to w1, r1 to w2, r2 to w3: least recently used first
    }
    for (const [i, gate] of gates.entries()) {
      gate.release.resolve();
      order.push((await first[i]!).reply[0]!);
    }
    for (let i = 3; i < 6; i++) order.push((await lazyRequest(queue.endpoints.frontend, [`r${i}`])).reply[0]!);
    expect(order).toEqual(["w1", "w2", "w3", "w1", "w2", "w3"]);
  });

  it("holds requests while no worker is ready (bounded, counted in stats), then serves them", async () => {
    const queue = await startQueue();
    expect(queue.stats().accepting).toBe(true);
    const pending = lazyRequest(queue.endpoints.frontend, ["early"], { timeout: 10_000, attempts: 1 });
    await waitFor(() => queue.stats().queued === 1);
    let atRegistration = { read: -1, queued: -1 };
    queue.once("ready", () => {
      atRegistration = { read: queue.stats().frontendReceived, queued: queue.stats().queued };
    });
    await startWorker(queue, { handler: (body) => body });
    expect(atRegistration).toEqual({ read: 1, queued: 0 }); // read before the worker came, dispatched on its READY
    expect((await pending).reply).toEqual(["early"]);
    expect(queue.stats()).toMatchObject({ queued: 0, queuedBytes: 0, dropped: 0 });
  });

  it("keeps a worker whose request runs far longer than the expiry time (heartbeats both ways while busy)", async () => {
    const queue = await startQueue();
    const expired: unknown[] = [];
    queue.on("expire", (e) => expired.push(e));
    const { worker } = await startWorker(queue, {
      handler: async (body) => {
        await new Promise((r) => setTimeout(r, TTL * 5));
        return body;
      },
    });
    const misses: unknown[] = [];
    worker.on("expire", (e) => misses.push(e));
    const before = queue.stats().heartbeatsReceived;
    expect((await lazyRequest(queue.endpoints.frontend, ["slow"], { timeout: 10_000 })).reply).toEqual(["slow"]);
    expect(expired).toEqual([]);
    expect(misses).toEqual([]);
    // The worker heartbeated while its handler ran, and the queue heartbeated it back.
    expect(queue.stats().heartbeatsReceived - before).toBeGreaterThanOrEqual(2);
    expect(worker.stats().heartbeatsReceived).toBeGreaterThanOrEqual(2);
  });

  it("worker.close() finishes the request in hand and delivers its reply", async () => {
    const queue = await startQueue();
    const { worker, started, release } = await startHeldWorker(queue, (body) => ["done", ...body]);
    const reply = lazyRequest(queue.endpoints.frontend, ["job"], { timeout: 10_000, attempts: 1 });
    await started.promise;
    const closed = worker.close();
    let closeResolved = false;
    void closed.then(() => {
      closeResolved = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(closeResolved).toBe(false);
    release.resolve();
    expect((await reply).reply).toEqual(["done", "job"]);
    await closed;
    expect(worker.phase).toBe("closed");
    expect(worker.stats()).toMatchObject({ replies: 1, inFlight: 0 });
    // PPP has no goodbye: the queue expires the worker once it falls silent.
    const [expiredEvent] = await nextEvent(queue, "expire", { timeout: 5000 });
    expect(expiredEvent.busy).toBe(false);
  });

  it("a handler error sends no reply; the worker's READY gives the request back and another worker answers it at once (no client retry)", async () => {
    const queue = await startQueue();
    const { worker: bad } = await startWorker(queue, {
      handler: () => {
        throw new Error("broken worker");
      },
    });
    await startWorker(queue, { handler: () => "good" });
    const drops: string[] = [];
    bad.on("drop", (e) => drops.push(e.reason));
    const { reply, attempts } = await lazyRequest(queue.endpoints.frontend, ["x"], { timeout: 300 });
    expect(reply).toEqual(["good"]);
    expect(attempts).toBe(1);
    expect(drops).toEqual(["handler-error"]);
    expect(queue.stats()).toMatchObject({ retries: 1, requestsLost: 0 });
  });

  it("a worker started before its queue registers once the queue binds", async () => {
    const port = await reservePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    const worker = track(new ParanoidPirateWorker({ endpoint, heartbeatInterval: HEARTBEAT, liveness: LIVENESS, reconnect: { initial: 20, max: 100 }, handler: () => "late queue" }));
    await worker.start();
    const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: endpoint }, heartbeatInterval: HEARTBEAT, liveness: LIVENESS }));
    const ready = nextEvent(queue, "ready", { timeout: 10_000 });
    await queue.start();
    await ready;
    expect((await lazyRequest(queue.endpoints.frontend, ["hi"])).reply).toEqual(["late queue"]);
  });

  it("worker.close({ timeout }) abandons a request that does not finish", async () => {
    const queue = await startQueue();
    const started = deferred();
    const { worker } = await startWorker(queue, {
      handler: async () => {
        started.resolve();
        return new Promise<string>(() => {}); // never answers
      },
    });
    void lazyRequest(queue.endpoints.frontend, ["stuck"], { timeout: 200, attempts: 1 }).catch(() => {});
    await started.promise;
    const drops: string[] = [];
    worker.on("drop", (e) => drops.push(e.reason));
    await worker.close({ timeout: 50 });
    expect(worker.phase).toBe("closed");
    expect(drops).toEqual(["closing"]);
    const [lost] = await nextEvent(queue, "request-lost", { timeout: 5000 });
    expect(lost).toMatchObject({ cause: "expired" });
  });

  it("close() reports requests in flight as lost, and is idempotent", async () => {
    const queue = await startQueue();
    const { started, release } = await startHeldWorker(queue, () => "too late");
    const lost: RequestLostEvent[] = [];
    queue.on("request-lost", (e) => lost.push(e));
    void lazyRequest(queue.endpoints.frontend, ["in flight"], { timeout: 200, attempts: 1 }).catch(() => {});
    await started.promise;
    await Promise.all([queue.close(), queue.close()]);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ cause: "closed" });
    expect(lost[0]!.request.map(String)).toEqual(["in flight"]);
    release.resolve();
  });

  it("works end to end with CURVE on both sockets", async () => {
    const server = curveKeyPair();
    const workerKeys = curveKeyPair();
    const clientKeys = curveKeyPair();
    const queue = await startQueue({ curve: { secretKey: server.secretKey } });
    await startWorker(queue, { handler: (body) => ["secret", ...body], curve: { serverKey: server.publicKey, ...workerKeys } });
    const { reply } = await lazyRequest(queue.endpoints.frontend, ["x"], { timeout: 5000, attempts: 1, curve: { serverKey: server.publicKey, ...clientKeys } });
    expect(reply).toEqual(["secret", "x"]);
  });

  it("logs through the given logger only", async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const queue = await startQueue({ logger });
    await startWorker(queue, { handler: (body) => body, logger });
    expect(lines.some((l) => l.startsWith("[ppp-queue] ") && l.includes("ready"))).toBe(true);
    expect(lines.some((l) => l.startsWith("[ppp-worker] connected"))).toBe(true);
  });

  it("worker.start() rejects on an endpoint it cannot connect to with a SocketError naming it, and leaves nothing behind", async () => {
    const worker = new ParanoidPirateWorker({ endpoint: "nonsense://nowhere", handler: () => "x" });
    const connects: unknown[] = [];
    worker.on("ready", (e) => connects.push(e));
    const failure = worker.start();
    await expect(failure).rejects.toBeInstanceOf(SocketError);
    await expect(failure).rejects.toThrow(/nonsense:\/\/nowhere/);
    expect(worker.phase).toBe("idle"); // start() may be retried
    await expect(worker.start()).rejects.toBeInstanceOf(SocketError);
    expect(connects).toEqual([]);
    await worker.close();
    expect(worker.phase).toBe("closed");
    await expect(worker.start()).rejects.toBeInstanceOf(ClosedError);
  });

  it("a worker given an endpoint that is not known yet (undefined) refuses it instead of connecting to a default", async () => {
    // The bug: an endpoint read before the queue's start() was undefined (the queue's getters now throw
    // NotStartedError instead), and the worker silently connected to tcp://localhost:5556.
    const endpoint: string | undefined = undefined;
    const make = () => new ParanoidPirateWorker({ endpoint: endpoint as unknown as string, handler: () => "x" });
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(/endpoint/);
    expect(() => new ParanoidPirateWorker({ handler: () => "x" } as unknown as ParanoidPirateWorkerOptions)).toThrow(/endpoint/);
  });

  it("start() rejects with a SocketError naming the endpoint it cannot bind, and releases the other socket", async () => {
    const first = await startQueue();
    const clash = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: first.endpoints.backend } }));
    const error = await clash.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SocketError);
    expect(error).toMatchObject({ code: "ERR_SOCKET", zmqCode: "EADDRINUSE" });
    expect((error as Error).message).toContain(first.endpoints.backend);
    expect((error as Error).message).toMatch(/Address already in use/);
    expect(() => clash.endpoints).toThrow(NotStartedError);
    await clash.close();
  });

  it("start() after a failed start() binds afresh once the endpoint is free, and the first attempt left nothing bound (regression)", async () => {
    // Before: the rejected promise of the first start() was kept, so every later start() failed the same way.
    const frontend = `tcp://127.0.0.1:${await reservePort()}`;
    const blocker = new Channel(createSocket("router"));
    track(blocker);
    await blocker.socket.bind("tcp://127.0.0.1:*");
    const backend = blocker.socket.lastEndpoint!;
    const queue = track(new ParanoidPirateQueue({ bind: { frontend, backend }, heartbeatInterval: HEARTBEAT, liveness: LIVENESS }));
    await expect(queue.start()).rejects.toMatchObject({ code: "ERR_SOCKET", zmqCode: "EADDRINUSE" });
    // The frontend the first attempt bound was released: anyone can bind it now.
    const probe = new Channel(createSocket("router"));
    await probe.socket.bind(frontend);
    await probe.close({ release: 1000 });
    await blocker.close({ release: 1000 });

    await queue.start();
    expect(queue.endpoints).toEqual({ frontend, backend });
    await startWorker(queue, { handler: (body) => ["second start", ...body] });
    expect((await lazyRequest(queue.endpoints.frontend, ["x"])).reply).toEqual(["second start", "x"]);
    expect(queue.stats()).toMatchObject({ workers: 1, requests: 1, replies: 1 });
  });

  it("endpoints throw NotStartedError before start(); start() is idempotent and rejects after close()", async () => {
    const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" } }));
    expect(() => queue.endpoints).toThrow(NotStartedError);
    await Promise.all([queue.start(), queue.start()]);
    const endpoints = queue.endpoints;
    expect(endpoints.frontend).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.backend).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    await queue.start();
    expect(queue.endpoints).toEqual(endpoints);
    await queue.close();
    await expect(queue.start()).rejects.toBeInstanceOf(ClosedError);
  });

  it("close({ timeout }) stops taking requests and lets workers answer the ones they hold", async () => {
    const queue = await startQueue();
    const { started, release } = await startHeldWorker(queue, (body) => ["finished", ...body]);
    const lost: RequestLostEvent[] = [];
    queue.on("request-lost", (e) => lost.push(e));
    const reply = lazyRequest(queue.endpoints.frontend, ["held"], { timeout: 10_000, attempts: 1 });
    await started.promise;
    const closed = queue.close({ timeout: 10_000 });
    await waitFor(() => !queue.stats().accepting);
    release.resolve();
    expect((await reply).reply).toEqual(["finished", "held"]);
    await closed;
    expect(lost).toEqual([]);
    expect(queue.stats()).toMatchObject({ requests: 1, replies: 1, requestsLost: 0 });
  });

  it("close({ timeout }) reports what is still held when the time is up as lost", async () => {
    const queue = await startQueue();
    const { started, release } = await startHeldWorker(queue, () => "too late"); // held past the close timeout
    const lost: RequestLostEvent[] = [];
    queue.on("request-lost", (e) => lost.push(e));
    void lazyRequest(queue.endpoints.frontend, ["stuck"], { timeout: 200, attempts: 1 }).catch(() => {});
    await started.promise;
    await queue.close({ timeout: 30 });
    expect(lost.map((e) => e.cause)).toEqual(["closed"]);
    release.resolve();
  });
});

describe("worker reconnects to a queue that restarts in-process", () => {
  it("re-registers through back-off after the queue is replaced on the same port", async () => {
    const port = await reservePort();
    const backend = `tcp://127.0.0.1:${port}`;
    const queue1 = await startQueue({ bind: { backend } });
    const { worker } = await startWorker(queue1, { handler: () => "again" });
    const miss = nextEvent(worker, "expire", { timeout: 10_000 });
    await queue1.close();
    // libzmq releases a closed listener asynchronously: an immediate rebind can fail with EADDRINUSE.
    const queue2 = await waitFor(() => startQueue({ bind: { backend } }).catch((err: unknown) => {
      if (isZmqError(err, "EADDRINUSE")) return undefined;
      throw err;
    }), { timeout: 5000, interval: 20 });
    await miss;
    await waitFor(() => queue2.stats().workers === 1, { timeout: 10_000 });
    await waitFor(() => worker.stats().connects >= 2);
    expect((await lazyRequest(queue2.endpoints.frontend, ["x"])).reply).toEqual(["again"]);
  });
});
