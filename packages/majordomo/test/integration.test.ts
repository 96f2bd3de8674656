import { setTimeout as delay } from "node:timers/promises";
import type { Frame } from "@zmq-reliable/core";
import {
  AbortError,
  Channel,
  ClosedError,
  InvalidOptionError,
  NotStartedError,
  ProtocolError,
  ServiceUnavailableError,
  SocketError,
  createSocket,
  curveKeyPair,
  nextEvent,
} from "@zmq-reliable/core";
import { reservePort, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import type { MajordomoBrokerOptions, MajordomoHandler, MajordomoWorkerOptions } from "../src/index.js";
import { MajordomoBroker, MajordomoClient, MajordomoWorker } from "../src/index.js";
import { closeTracked, track } from "./helpers.js";

const HB = 50;
afterEach(closeTracked);

async function broker(options: MajordomoBrokerOptions = {}): Promise<MajordomoBroker> {
  const b = track(new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: HB, ...options }));
  await b.start();
  return b;
}

/** Starts a worker and resolves once the broker has registered it. */
async function worker(b: MajordomoBroker, service: string, handler: MajordomoHandler, options: Partial<MajordomoWorkerOptions> = {}) {
  const w = new MajordomoWorker({ endpoint: b.endpoint, service, handler, heartbeatInterval: HB, reconnect: { initial: 50, max: 200 }, ...options });
  track({ close: () => w.close({ timeout: 500 }) }); // some handlers here never finish
  const ready = nextEvent(b, "ready", { timeout: 5000, filter: (e) => e.service === service });
  await w.start();
  await ready;
  return w;
}

function client(endpoint: string | string[], options: { timeout?: number; attempts?: number; concurrency?: number } = {}) {
  return track(new MajordomoClient({ endpoint, timeout: 2000, attempts: 1, ...options }));
}

const text = (frames: Buffer[]) => frames.map(String);
const echo: MajordomoHandler = (body) => body;

describe("broker + client + worker over TCP", () => {
  it("round-trips multi-frame and binary bodies and answers mmi.service", async () => {
    const b = await broker();
    await worker(b, "echo", echo);
    const c = client(b.endpoint);
    expect(text(await c.request("echo", "hello"))).toEqual(["hello"]);
    const binary = Buffer.from([0, 1, 2, 255]);
    const reply = await c.request("echo", ["a", Buffer.alloc(0), binary, new Uint8Array([9])]);
    expect(reply).toEqual([Buffer.from("a"), Buffer.alloc(0), binary, Buffer.from([9])]);
    expect(await c.serviceAvailable("echo")).toBe(true);
    expect(await c.serviceAvailable("nobody")).toBe(false);
    await expect(c.request("mmi.other", "x")).resolves.toEqual([Buffer.from("501")]);
  });

  it("carries many concurrent requests from one client to the right callers", async () => {
    const b = await broker();
    for (let i = 0; i < 4; i++) {
      await worker(b, "tag", async (body) => {
        await delay(Math.floor(Math.random() * 5));
        return [`w${i}`, ...body];
      });
    }
    const c = client(b.endpoint, { concurrency: 64 });
    const n = 400;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => c.request("tag", [`req-${i}`, String(i)])));
    replies.forEach((r, i) => {
      expect(text(r).slice(1)).toEqual([`req-${i}`, String(i)]);
    });
    const stats = c.stats();
    expect(stats).toMatchObject({ requests: n, replies: n, timeouts: 0 });
    expect(stats.socketsOpened).toBeLessThanOrEqual(64);
    expect(b.stats()).toMatchObject({ replies: n, dropped: 0 });
  });

  it("waits for a free socket when `concurrency` sockets are all busy", async () => {
    const b = await broker();
    await worker(b, "slow", async (body) => (await delay(20), body));
    const c = client(b.endpoint, { concurrency: 2 });
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => c.request("slow", String(i))));
    expect(replies.map((r) => String(r[0]))).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    expect(c.stats().socketsOpened).toBe(2);
  });

  it("retries a timed-out attempt on a fresh socket; the late reply never reaches anyone", async () => {
    const b = await broker();
    let calls = 0;
    const handler: MajordomoHandler = async (body) => {
      if (++calls === 1) await delay(600); // the first attempt is answered too late
      return [`call-${calls}`, ...body];
    };
    await worker(b, "flaky", handler);
    await worker(b, "flaky", handler);
    const c = client(b.endpoint, { timeout: 200, attempts: 3 });
    const retried = nextEvent(c, "retry", { timeout: 5000 });
    const reply = await c.request("flaky", "x");
    expect(text(reply)).toEqual(["call-2", "x"]);
    expect((await retried)[0]).toMatchObject({ attempt: 2, reason: "timeout", endpoint: b.endpoints[0], previous: b.endpoints[0] });
    // the first worker answers later; the broker forwards it to a socket that no longer exists
    await waitFor(() => b.stats().replies === 2, { timeout: 5000 });
    expect(text(await c.request("flaky", "y"))).toEqual(["call-3", "y"]);
    expect(c.stats()).toMatchObject({ timeouts: 1, retries: 1, replies: 2 });
  });

  it("fails with ServiceUnavailableError after the last attempt; the broker expires the queued copies", async () => {
    const b = await broker({ requestExpiry: 100 });
    const c = client(b.endpoint, { timeout: 150, attempts: 2 });
    const error = await c.request("ghost", "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ attempts: 2, code: "ERR_SERVICE_UNAVAILABLE" });
    await waitFor(() => b.stats().drops["request-expired"] === 2, { timeout: 5000 });
  });

  it("serves a request queued for a service whose worker registers later", async () => {
    const b = await broker({ requestExpiry: 5000 });
    const c = client(b.endpoint, { timeout: 5000 });
    const pending = c.request("late", "x");
    await delay(100);
    await worker(b, "late", (body) => ["late", ...body]);
    expect(text(await pending)).toEqual(["late", "x"]);
  });

  it("fails over to the next endpoint on timeout, and stays there", async () => {
    const deadPort = await reservePort(); // nothing listens here
    const b = await broker();
    await worker(b, "echo", echo);
    const c = client([`tcp://127.0.0.1:${deadPort}`, b.endpoint], { timeout: 200, attempts: 2 });
    const failover = nextEvent(c, "failover", { timeout: 5000 });
    expect(text(await c.request("echo", "x"))).toEqual(["x"]);
    expect((await failover)[0]).toMatchObject({ from: `tcp://127.0.0.1:${deadPort}`, to: b.endpoint, reason: "timeout" });
    expect(c.endpoint).toBe(b.endpoint);
    expect(text(await c.request("echo", "y"))).toEqual(["y"]);
    expect(c.stats()).toMatchObject({ failovers: 1, timeouts: 1 });
  });

  it("cancels a request with an AbortSignal and destroys its socket", async () => {
    const b = await broker();
    await worker(b, "never", () => new Promise<Frame>(() => {}));
    const c = client(b.endpoint, { timeout: 10_000 });
    const controller = new AbortController();
    const pending = c.request("never", "x", { signal: controller.signal });
    await delay(50);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(c.stats()).toMatchObject({ aborted: 1, openSockets: 0 });
    await expect(c.request("never", "x", { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });

  it("rejects pending and later calls with ClosedError when the client closes", async () => {
    const b = await broker();
    const c = new MajordomoClient({ endpoint: b.endpoint, timeout: 10_000, concurrency: 1 });
    const first = c.request("ghost", "1");
    const second = c.request("ghost", "2"); // waits for the only socket
    await delay(20);
    await c.close();
    await expect(first).rejects.toBeInstanceOf(ClosedError);
    await expect(second).rejects.toBeInstanceOf(ClosedError);
    await expect(c.request("ghost", "3")).rejects.toBeInstanceOf(ClosedError);
    await c.close();
  });

  it("rejects a reply for another service with ProtocolError (a broken broker)", async () => {
    // covered byte for byte in conformance.test.ts; here: invalid arguments
    const c = client("tcp://127.0.0.1:1");
    await expect(c.request("", "x")).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(c.request("echo", [])).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(c.request("echo", "x", { retries: 2 } as never)).rejects.toThrow(/retries was renamed attempts/);
    expect(() => new MajordomoClient({ endpoint: "tcp://127.0.0.1:1", retries: 3 } as never)).toThrow(/retries was renamed attempts/);
    expect(() => new MajordomoClient({ endpoint: "tcp://127.0.0.1:1", maxSockets: 3 } as never)).toThrow(/maxSockets was renamed concurrency/);
    expect(ProtocolError).toBeDefined();
  });

  it("binds several endpoints and serves clients on each", async () => {
    const b = await broker({ bind: ["tcp://127.0.0.1:*", "ipc", "inproc"] });
    expect(b.endpoints).toHaveLength(3);
    await worker(b, "echo", echo);
    for (const endpoint of b.endpoints) {
      expect(text(await client(endpoint).request("echo", endpoint))).toEqual([endpoint]);
    }
  });

  it("consults the admission hook: refused requests are dropped and the client's retry gets through", async () => {
    let admit = false;
    const b = await broker({ admission: { admit: () => admit } });
    await worker(b, "echo", echo);
    const c = client(b.endpoint, { timeout: 150, attempts: 5 });
    c.once("retry", () => {
      admit = true;
    });
    expect(text(await c.request("echo", "x"))).toEqual(["x"]);
    expect(b.stats().drops["not-admitted"]).toBeGreaterThanOrEqual(1);
  });

  it("works with CURVE on every connection", async () => {
    const server = curveKeyPair();
    const b = await broker({ curve: { secretKey: server.secretKey } });
    await worker(b, "echo", echo, { curve: { serverKey: server.publicKey, ...curveKeyPair() } });
    const c = track(new MajordomoClient({ endpoint: b.endpoint, curve: { serverKey: server.publicKey, ...curveKeyPair() } }));
    expect(text(await c.request("echo", "secret"))).toEqual(["secret"]);
  });

  it("logs through the given logger only", async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), debug: (m: string) => lines.push(m) };
    const b = await broker({ logger });
    await worker(b, "echo", echo, { logger });
    await client(b.endpoint).request("echo", "x");
    expect(lines.some((l) => l.startsWith("[mdp-broker] MDP/0.1 broker active at"))).toBe(true);
    expect(lines.some((l) => l.startsWith("[mdp-broker] recv") && l.includes('"MDPC01"'))).toBe(true);
    expect(lines.some((l) => l.startsWith("[mdp-worker echo] connected"))).toBe(true);
  });
});

describe("worker behaviour", () => {
  it("heartbeats while a long handler runs, so the broker does not expire it", async () => {
    const b = await broker();
    await worker(b, "long", async (body) => (await delay(HB * 3 * 4), body)); // 4 × the broker's TTL
    const c = client(b.endpoint, { timeout: 5000 });
    expect(text(await c.request("long", "x"))).toEqual(["x"]);
    expect(b.stats()).toMatchObject({ expired: 0, retries: 0 });
  });

  it("close() finishes the request in hand, replies, then says DISCONNECT", async () => {
    const b = await broker();
    let started!: () => void;
    const begun = new Promise<void>((r) => (started = r));
    const w = await worker(b, "job", async (body) => {
      started();
      await delay(150);
      return ["done", ...body];
    });
    const c = client(b.endpoint, { timeout: 5000 });
    const pending = c.request("job", "x");
    await begun;
    const gone = nextEvent(b, "disconnect", { timeout: 5000 });
    await w.close();
    expect(text(await pending)).toEqual(["done", "x"]);
    expect((await gone)[0]).toMatchObject({ reason: "disconnect", service: "job", disconnectSent: false });
    expect(b.stats().workers).toBe(0);
    await w.close(); // idempotent
  });

  it("close({ timeout }) stops waiting for a stuck handler and aborts its signal", async () => {
    const b = await broker();
    let signal: AbortSignal | undefined;
    const w = await worker(b, "stuck", (_body, ctx) => {
      signal = ctx.signal;
      return new Promise<Frame>(() => {});
    });
    const c = client(b.endpoint, { timeout: 5000 });
    void c.request("stuck", "x").catch(() => {});
    await waitFor(() => signal !== undefined);
    await w.close({ timeout: 50 });
    expect(signal!.aborted).toBe(true);
  });

  it("re-registers after a handler error; the broker hands the request to a worker again", async () => {
    const b = await broker();
    let calls = 0;
    const w = await worker(b, "once-broken", (body) => {
      if (++calls === 1) throw new Error("boom");
      return body;
    });
    const failed = nextEvent(w, "drop", { timeout: 5000 });
    const c = client(b.endpoint, { timeout: 5000 });
    expect(text(await c.request("once-broken", "x"))).toEqual(["x"]);
    expect((await failed)[0].reason).toBe("handler-error");
    expect(((await failed)[0].error as Error).message).toBe("boom");
    expect(b.stats()).toMatchObject({ retries: 1, registered: 2 });
  });

  it("reconnects with a fresh socket when the broker says DISCONNECT", async () => {
    const b = await broker();
    const w = await worker(b, "echo", echo);
    const reconnected = nextEvent(b, "ready", { timeout: 5000 });
    const disconnected = nextEvent(w, "disconnect", { timeout: 5000 });
    // make the broker forget the worker: it answers the next HEARTBEAT with DISCONNECT
    const driver = (b as unknown as { driver: { feed(input: { type: "shutdown" }): void } }).driver;
    driver.feed({ type: "shutdown" });
    expect((await disconnected)[0]).toMatchObject({ reason: "peer-disconnect" });
    await reconnected;
    expect(text(await client(b.endpoint).request("echo", "again"))).toEqual(["again"]);
  });

  it("rotates to the next endpoint when its broker goes silent", async () => {
    const first = await broker();
    const second = await broker();
    const w = track(
      new MajordomoWorker({
        endpoint: [first.endpoint, second.endpoint],
        service: "echo",
        handler: echo,
        heartbeatInterval: HB,
        reconnect: { initial: 50 },
      }),
    );
    const onFirst = nextEvent(first, "ready", { timeout: 5000 });
    await w.start();
    await onFirst;
    const onSecond = nextEvent(second, "ready", { timeout: 5000 });
    const disconnected = nextEvent(w, "disconnect", { timeout: 5000 }); // close() resolves once the port is free: the DISCONNECT may be in before
    await first.close();
    const [event] = await disconnected;
    expect(event).toMatchObject({ endpoint: first.endpoint, reason: "peer-disconnect" }); // a closing broker says DISCONNECT
    await onSecond;
    expect(w.endpoints).toEqual([second.endpoint]);
    expect(text(await client(second.endpoint).request("echo", "x"))).toEqual(["x"]);
  });

  it("detects a silent broker (no DISCONNECT) and moves on", async () => {
    const port = await reservePort();
    const b = await broker();
    const w = track(
      new MajordomoWorker({ endpoint: [`tcp://127.0.0.1:${port}`, b.endpoint], service: "echo", handler: echo, heartbeatInterval: HB, reconnect: { initial: 20 } }),
    );
    const ready = nextEvent(b, "ready", { timeout: 5000 });
    const silent = nextEvent(w, "disconnect", { timeout: 5000 });
    await w.start();
    expect((await silent)[0]).toMatchObject({ reason: "expire", endpoint: `tcp://127.0.0.1:${port}` });
    await ready;
  });

  it("registers with every broker in brokers: 'all' mode and serves both", async () => {
    const a = await broker();
    const bb = await broker();
    const readyA = nextEvent(a, "ready", { timeout: 5000 });
    const readyB = nextEvent(bb, "ready", { timeout: 5000 });
    const w = track(
      new MajordomoWorker({ endpoint: [a.endpoint, bb.endpoint], brokers: "all", service: "echo", handler: (body, ctx) => [ctx.endpoint, ...body], heartbeatInterval: HB }),
    );
    await w.start();
    await Promise.all([readyA, readyB]);
    const [ra, rb] = await Promise.all([client(a.endpoint).request("echo", "a"), client(bb.endpoint).request("echo", "b")]);
    expect(text(ra)).toEqual([a.endpoint, "a"]);
    expect(text(rb)).toEqual([bb.endpoint, "b"]);
  });

  it("start() rejects with a SocketError naming an endpoint it cannot connect to, and can be retried", async () => {
    const w = track(new MajordomoWorker({ endpoint: "nonsense://nowhere", service: "echo", handler: echo }));
    const readies: unknown[] = [];
    w.on("ready", (e) => readies.push(e));
    const failure = w.start();
    await expect(failure).rejects.toBeInstanceOf(SocketError);
    await expect(failure).rejects.toThrow(/nonsense:\/\/nowhere/);
    await expect(w.start()).rejects.toBeInstanceOf(SocketError);
    expect(readies).toEqual([]);
    expect(w.phase).toBe("idle");
  });

  it("refuses bad options", () => {
    const base = { endpoint: "tcp://127.0.0.1:1", service: "s", handler: echo };
    expect(() => new MajordomoWorker({ ...base, service: "mmi.service" })).toThrow(/mmi/);
    expect(() => new MajordomoWorker({ ...base, service: "" })).toThrow(/service/);
    expect(() => new MajordomoWorker({ ...base, endpoint: [] })).toThrow(/endpoint/);
    expect(() => new MajordomoWorker({ ...base, endpoint: undefined as unknown as string })).toThrow(InvalidOptionError);
    expect(() => new MajordomoClient({ endpoint: [] })).toThrow(/endpoint/);
    expect(() => new MajordomoBroker({ bind: [] })).toThrow(/bind/);
    expect(() => new MajordomoBroker({ heartbeatInterval: 0 })).toThrow(/heartbeatInterval/);
  });
});

describe("broker lifecycle", () => {
  it("tells workers DISCONNECT when it closes, and close is idempotent", async () => {
    const b = await broker();
    const w = await worker(b, "echo", echo);
    const told = nextEvent(w, "disconnect", { timeout: 5000 });
    await b.close();
    expect((await told)[0]).toMatchObject({ reason: "peer-disconnect" });
    await b.close();
    expect(b.running).toBe(false);
    await expect(b.start()).rejects.toBeInstanceOf(ClosedError);
  });

  it("reports EADDRINUSE from start() as a SocketError naming the endpoint, and leaves nothing open", async () => {
    const a = await broker();
    const b = new MajordomoBroker({ bind: a.endpoint });
    const error = await b.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocketError);
    expect(error).toMatchObject({ code: "ERR_SOCKET", zmqCode: "EADDRINUSE" });
    expect((error as Error).message).toMatch(/in use/i);
    expect((error as Error).message).toContain(a.endpoint);
    expect(b.running).toBe(false);
    expect(() => b.endpoint).toThrow(NotStartedError);
    await b.close();
  });

  /** A TCP endpoint on a port libzmq just picked and freed (what makes the race above show most). */
  async function unusedEndpoint(): Promise<string> {
    const channel = new Channel(createSocket("router"));
    await channel.socket.bind("tcp://127.0.0.1:*");
    const endpoint = channel.socket.lastEndpoint!;
    await channel.close({ release: 1000 });
    return endpoint;
  }

  it("starts again after a failed start() once the port is free, with nothing of the failed attempt left bound", async () => {
    // Regression: a failed start() closed its socket without waiting for libzmq to free the ports it had
    // bound, so binding them again right away (a second start()) failed with EADDRINUSE about one time in four.
    for (let round = 0; round < 5; round++) {
      const blocker = track(new MajordomoBroker({ bind: "tcp://127.0.0.1:*" }));
      await blocker.start();
      const free = await unusedEndpoint();
      const b = track(new MajordomoBroker({ bind: [free, blocker.endpoint], heartbeatInterval: HB }));
      await expect(b.start()).rejects.toMatchObject({ code: "ERR_SOCKET", zmqCode: "EADDRINUSE" });
      expect(() => b.endpoints).toThrow(NotStartedError);
      const probe = new Channel(createSocket("router"));
      await probe.socket.bind(free); // the port the failed attempt had bound is free as soon as start() rejects
      await probe.close({ release: 1000 });
      const busy = blocker.endpoint;
      await blocker.close();
      await b.start();
      expect(b.running).toBe(true);
      expect(b.endpoints).toEqual([free, busy]);
      if (round === 0) {
        await worker(b, "echo", echo);
        expect(text(await client(busy).request("echo", "retried"))).toEqual(["retried"]);
      }
      await b.close();
    }
  });
});

describe("broker under a flooding client (issue 11)", () => {
  const E = Buffer.alloc(0);

  /** A raw MDP client that never reads: a DEALER with a tiny receive queue, closed after the test. */
  function rawClient(b: MajordomoBroker) {
    const dealer = new zmq.Dealer({ linger: 0, receiveHighWaterMark: 1 });
    track({ close: async () => dealer.close() });
    dealer.connect(b.endpoint);
    return dealer;
  }

  it("keeps serving a second client while another floods and never reads (per-client cap)", async () => {
    const b = await broker({ maxQueuedPerClient: 20 });
    await worker(b, "echo", async (body) => {
      await delay(1);
      return body;
    });
    const flood = rawClient(b);
    let stop = false;
    let sent = 0;
    const flooding = (async () => {
      for (; !stop; sent++) {
        await flood.send([E, "MDPC01", "echo", `f${sent}`]);
        if (sent % 50 === 0) await new Promise(setImmediate); // let the broker in this process run
      }
    })().catch(() => {}); // the socket may close under it when an assertion fails
    // far more than the worker serves in the client's timeout: without the cap they would all be ahead of it
    await waitFor(() => sent >= 3000 && b.stats().requests >= 3000, { timeout: 5000 });
    const c = client(b.endpoint, { timeout: 2000, attempts: 1 });
    for (let i = 0; i < 5; i++) expect(text(await c.request("echo", `mine-${i}`))).toEqual([`mine-${i}`]);
    expect(b.stats().queued).toBeLessThanOrEqual(21);
    expect(b.stats().drops["client-queue-full"]).toBeGreaterThan(0);
    stop = true;
    await flooding;
  });

  it("hands a request whose worker is gone to another worker at once, not after the dead one expires", async () => {
    const b = await broker({ liveness: 100 }); // the dead worker would expire only after 100 × 50 ms
    const dead = new zmq.Dealer({ linger: 0 });
    dead.connect(b.endpoint);
    const registered = nextEvent(b, "ready", { timeout: 5000 });
    await dead.send([E, "MDPW01", Buffer.from([1]), "echo"]);
    await registered;
    dead.close(); // gone without DISCONNECT: still registered, idle, and first in line
    await waitFor(() => b.stats().unreachable > 0, { timeout: 5000 }); // a heartbeat found its pipe gone
    await worker(b, "echo", echo);
    const c = client(b.endpoint, { timeout: 2000, attempts: 1 });
    expect(text(await c.request("echo", "not lost"))).toEqual(["not lost"]);
    expect(b.stats()).toMatchObject({ workers: 1, retries: 1 });
  });

  it("drops and counts replies to a client that never reads instead of buffering them", async () => {
    const b = await broker({ sendHighWaterMark: 2 });
    await worker(b, "echo", echo);
    const flood = rawClient(b);
    const big = Buffer.alloc(128 * 1024, 7); // 200 of them stay under the per-service byte limit
    for (let i = 0; i < 200; i++) await flood.send([E, "MDPC01", "echo", big]);
    await waitFor(() => b.stats().replies === 200, { timeout: 10_000 });
    await waitFor(() => b.stats().drops["peer-full"] > 0, { timeout: 5000 });
    expect(b.stats().drops).toMatchObject({ "send-failed": 0, "service-queue-full": 0 });
  });
});
