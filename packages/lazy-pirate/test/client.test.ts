import { curveKeyPair, nextEvent } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  type GiveUpEvent,
  isEcho,
  LAZY_PIRATE_DEFAULTS,
  LazyPirateClient,
  type ReconnectEvent,
  type RetryEvent,
} from "../src/index.js";
import { client, closeAll, countingEcho, deadEndpoint, deferred, rawRouter, server, since, text } from "./helpers.js";

afterEach(closeAll);

describe("LazyPirateClient basics", () => {
  it("exports the reference defaults", () => {
    expect(LAZY_PIRATE_DEFAULTS).toMatchObject({ timeout: 2500, attempts: 3, concurrency: 1 });
  });

  it("round-trips multi-frame requests and replies, reusing one socket while all goes well", async () => {
    const s = await server({ handler: (frames) => [...frames].reverse() });
    const c = client({ endpoint: s.endpoint });
    for (let i = 0; i < 5; i++) {
      expect(text(await c.request(["a", Buffer.from("b"), new Uint8Array([0x63]), String(i)]))).toEqual([String(i), "c", "b", "a"]);
    }
    expect(c.stats()).toMatchObject({ requests: 5, replies: 5, sends: 5, retries: 0, timeouts: 0, socketsOpened: 1, openSockets: 1, inFlight: 0 });
  });

  it("start() connects ahead of the first request", async () => {
    const s = await server();
    const c = client({ endpoint: s.endpoint });
    await c.start();
    expect(c.stats().openSockets).toBe(1);
    expect(text(await c.request("x"))).toEqual(["x"]);
    expect(c.stats().socketsOpened).toBe(1);
  });

  it("speaks CURVE with a server that has the matching key, and gets nothing from one that does not", async () => {
    const serverKeys = curveKeyPair();
    const s = await server({ curve: { secretKey: serverKeys.secretKey } });
    const c = client({ endpoint: s.endpoint, curve: { serverKey: serverKeys.publicKey, ...curveKeyPair() } });
    expect(text(await c.request(["secret", "stuff"]))).toEqual(["secret", "stuff"]);
    const wrong = client({ endpoint: s.endpoint, timeout: 100, attempts: 2, curve: { serverKey: curveKeyPair().publicKey, ...curveKeyPair() } });
    await expect(wrong.request("x")).rejects.toMatchObject({ code: "ERR_SERVICE_UNAVAILABLE", attempts: 2 });
    expect(s.stats().requests).toBe(1);
  });

  it("validates options and requests", async () => {
    expect(() => new LazyPirateClient({ endpoint: [] })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => new LazyPirateClient({ endpoint: "tcp://127.0.0.1:1", attempts: 0 })).toThrow(/attempts/);
    expect(() => new LazyPirateClient({ endpoint: "tcp://127.0.0.1:1", retries: 3 } as never)).toThrow(/retries was renamed attempts/);
    expect(() => new LazyPirateClient({ endpoint: "tcp://127.0.0.1:1", timeout: 0 })).toThrow(/timeout/);
    expect(() => new LazyPirateClient({ endpoint: "tcp://127.0.0.1:1", concurrency: 0 })).toThrow(/concurrency/);
    expect(
      () => new LazyPirateClient({ endpoint: "tcp://127.0.0.1:1", curve: { serverKey: "bad", publicKey: "bad", secretKey: "bad" } }),
    ).toThrow(/curve/);
    const c = client({ endpoint: await deadEndpoint() });
    await expect(c.request([])).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(c.request("x", { attempts: 0 })).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(c.request("x", { retries: 2 } as never)).rejects.toThrow(/retries was renamed attempts/);
    await expect(c.request("x", { timeout: -5 })).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    const bad = client({ endpoint: "nonsense://x" });
    await expect(bad.request("x")).rejects.toMatchObject({ code: "ERR_SOCKET" });
    expect(bad.stats().openSockets).toBe(0);
  });
});

describe("LazyPirateClient retries", () => {
  it("no server at all: rejects after exactly `attempts` sends, in about attempts × timeout", async () => {
    const endpoint = await deadEndpoint();
    const c = client({ endpoint, timeout: 100, attempts: 3 });
    const retries: RetryEvent[] = [];
    const reconnects: ReconnectEvent[] = [];
    const giveUps: GiveUpEvent[] = [];
    c.on("retry", (e) => retries.push(e));
    c.on("reconnect", (e) => reconnects.push(e));
    c.on("give-up", (e) => giveUps.push(e));
    const start = performance.now();
    const error = await c.request("hello").catch((e: unknown) => e);
    const took = since(start);
    expect(error).toMatchObject({ code: "ERR_SERVICE_UNAVAILABLE", name: "ServiceUnavailableError", attempts: 3, endpoints: [endpoint, endpoint, endpoint] });
    expect((error as Error).message).toContain("3 attempts");
    expect((error as Error).message).toContain(endpoint);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(300 + 1500);
    expect(retries.map((r) => [r.attempt, r.reason, r.previous, r.endpoint])).toEqual([
      [2, "timeout", endpoint, endpoint],
      [3, "timeout", endpoint, endpoint],
    ]);
    expect(reconnects).toHaveLength(2);
    expect(giveUps).toHaveLength(1);
    expect(giveUps[0]!.error).toBe(error);
    expect(c.stats()).toMatchObject({ requests: 1, replies: 0, sends: 3, retries: 2, reconnects: 2, timeouts: 3, failures: 1, openSockets: 0, inFlight: 0 });
  });

  it("a server that never answers receives exactly `attempts` sends, each on a fresh socket", async () => {
    const router = await rawRouter();
    const c = client({ endpoint: router.endpoint, timeout: 80, attempts: 4 });
    await expect(c.request(["q", "2"])).rejects.toMatchObject({ code: "ERR_SERVICE_UNAVAILABLE", attempts: 4 });
    await waitFor(() => router.received.length === 4);
    // Each send comes from a new REQ socket (new routing id), with the REQ envelope [id, ∅, body…].
    expect(new Set(router.received.map((m) => m[0]!.toString("hex"))).size).toBe(4);
    for (const m of router.received) expect(text(m.slice(1))).toEqual(["", "q", "2"]);
    expect(c.stats().sends).toBe(4);
  });

  it("per-call timeout and attempts override the client's", async () => {
    const c = client({ endpoint: await deadEndpoint(), timeout: 5000, attempts: 5 });
    const start = performance.now();
    await expect(c.request("x", { timeout: 60, attempts: 2 })).rejects.toMatchObject({ attempts: 2 });
    expect(since(start)).toBeLessThan(2000);
  });

  it("a reply lost once is recovered by a retry", async () => {
    const s = await server({ faults: { dropReply: (n) => n === 1 } });
    const c = client({ endpoint: s.endpoint, timeout: 300 });
    const retried = nextEvent(c, "retry", { timeout: 5000 });
    expect(text(await c.request("once"))).toEqual(["once"]);
    expect((await retried)[0]).toMatchObject({ attempt: 2, endpoint: s.endpoint, previous: s.endpoint });
    expect(c.stats()).toMatchObject({ replies: 1, retries: 1, timeouts: 1 });
    expect(s.stats()).toMatchObject({ requests: 2, replies: 1, dropped: 1 });
  });

  it("a slow server's stale answer is discarded: the caller only ever gets the answer to its current attempt", async () => {
    // Request n is answered with "reply-n"; the first is answered 300 ms late, after the client's 100 ms timeout.
    const s = await server({ handler: (_frames, { request }) => `reply-${request}`, faults: { delay: (n) => (n === 1 ? 300 : 0) } });
    const c = client({ endpoint: s.endpoint, timeout: 100, attempts: 10 });
    const seen = [Number(text(await c.request("first"))[0]!.slice("reply-".length))];
    expect(seen[0]).toBeGreaterThanOrEqual(2); // never the stale reply-1
    await waitFor(() => s.stats().replies === s.stats().requests); // the stale reply-1 has now been sent, to a closed socket
    for (let i = 0; i < 3; i++) seen.push(Number(text(await c.request("later"))[0]!.slice("reply-".length)));
    // Each call got the answer to its own last attempt: numbers only go up, reply-1 never shows up.
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    expect(c.stats()).toMatchObject({ replies: 4 });
    expect(c.stats().retries).toBeGreaterThanOrEqual(1);
  });

  it("a malformed reply (per `validate`) is dropped and the attempt retried at its timeout, like lpclient", async () => {
    let calls = 0;
    const router = await rawRouter(([id, , ...body], send) => {
      calls++;
      send([id!, "", ...(calls === 1 ? ["999"] : body)]);
    });
    const c = client({ endpoint: router.endpoint, timeout: 300, validate: isEcho });
    const dropped = nextEvent(c, "drop", { timeout: 5000 });
    expect(text(await c.request("7"))).toEqual(["7"]);
    expect((await dropped)[0]).toMatchObject({ reason: "malformed", endpoint: router.endpoint });
    expect(c.stats()).toMatchObject({ malformed: 1, retries: 1, replies: 1 });
  });
});

describe("LazyPirateClient failover", () => {
  it("two endpoints, the first dead: every request is answered by the second", async () => {
    const dead = await deadEndpoint();
    const s = await server({ handler: () => "from-second" });
    const c = client({ endpoint: [dead, s.endpoint], timeout: 300, attempts: 2 });
    const failovers: string[] = [];
    c.on("failover", (e) => failovers.push(`${e.from} -> ${e.to}`));
    for (let i = 0; i < 5; i++) expect(text(await c.request(String(i)))).toEqual(["from-second"]);
    expect(s.stats().replies).toBe(5);
    // Sticky (default): only the first request pays the timeout; later ones go straight to the live server.
    expect(failovers).toEqual([`${dead} -> ${s.endpoint}`]);
    expect(c.stats()).toMatchObject({ replies: 5, failovers: 1, timeouts: 1 });
  });

  it("policy `first` always starts at the first endpoint and fails over for each request", async () => {
    const dead = await deadEndpoint();
    const s = await server();
    const c = client({ endpoint: [dead, s.endpoint], timeout: 250, attempts: 2, failover: "first" });
    for (let i = 0; i < 3; i++) expect(text(await c.request(String(i)))).toEqual([String(i)]);
    expect(c.stats()).toMatchObject({ replies: 3, failovers: 3 });
  });

  it("both dead: the error lists every endpoint tried, in order", async () => {
    const [a, b] = [await deadEndpoint(), await deadEndpoint()];
    const c = client({ endpoint: [a, b], timeout: 50, attempts: 3 });
    await expect(c.request("x")).rejects.toMatchObject({ attempts: 3, endpoints: [a, b, a] });
  });

  it("round-robin spreads requests over live endpoints", async () => {
    const s1 = await server({ handler: () => "1" });
    const s2 = await server({ handler: () => "2" });
    const c = client({ endpoint: [s1.endpoint, s2.endpoint], failover: "round-robin" });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(text(await c.request("x"))[0]);
    expect(answers).toEqual(["1", "2", "1", "2"]);
  });
});

describe("LazyPirateClient concurrency, abort and close", () => {
  it("calls from many callers queue (concurrency 1): one in flight, each timeout counted from its own send", async () => {
    const echo = countingEcho(() => new Promise((r) => setTimeout(r, 250)));
    const s = await server({ concurrency: 8, handler: echo.handler });
    const c = client({ endpoint: s.endpoint, timeout: 1000 });
    const start = performance.now();
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => c.request(String(i))));
    // 5 × 250 ms > 1000 ms: queued time did not count against anyone's timeout.
    expect(since(start)).toBeGreaterThan(1000);
    expect(replies.map((r) => text(r)[0])).toEqual(["0", "1", "2", "3", "4"]);
    expect(echo.maxInFlight).toBe(1);
    expect(c.stats()).toMatchObject({ replies: 5, timeouts: 0, retries: 0, socketsOpened: 1 });
  });

  it("concurrency n: up to n calls in flight, each on its own socket", async () => {
    const gate = deferred();
    const echo = countingEcho(() => gate.promise);
    const s = await server({ concurrency: 8, handler: echo.handler });
    const c = client({ endpoint: s.endpoint, concurrency: 3, timeout: 10_000 });
    const calls = Array.from({ length: 7 }, (_, i) => c.request(String(i)));
    await waitFor(() => echo.inFlight === 3);
    expect(c.stats()).toMatchObject({ inFlight: 3, queued: 4, openSockets: 3 });
    gate.resolve();
    expect((await Promise.all(calls)).map((r) => text(r)[0])).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
    expect(echo.maxInFlight).toBe(3);
    expect(c.stats()).toMatchObject({ replies: 7, inFlight: 0, queued: 0, socketsOpened: 3 });
  });

  it("maxQueued bounds the waiting calls", async () => {
    const c = client({ endpoint: await deadEndpoint(), timeout: 5000, maxQueued: 1 });
    const first = c.request("in flight").catch((e: unknown) => e);
    const second = c.request("queued").catch((e: unknown) => e);
    await expect(c.request("too many")).rejects.toMatchObject({ code: "ERR_BACKPRESSURE" });
    await c.close();
    expect(await first).toMatchObject({ code: "ERR_CLOSED" });
    expect(await second).toMatchObject({ code: "ERR_CLOSED" });
  });

  it("an AbortSignal aborts a waiting call at once with AbortError and leaves the client usable", async () => {
    const received = deferred();
    const s = await server({
      handler: (frames) => {
        if (String(frames[0]) !== "hang") return frames;
        received.resolve();
        return new Promise<never>(() => {});
      },
      handlerTimeout: 0,
    });
    const c = client({ endpoint: s.endpoint, timeout: 10_000 });
    const controller = new AbortController();
    const hanging = c.request("hang", { signal: controller.signal });
    const queuedController = new AbortController();
    const queued = c.request("queued", { signal: queuedController.signal });
    await received.promise;
    const start = performance.now();
    controller.abort(new Error("user gave up"));
    const error = await hanging.catch((e: unknown) => e);
    expect(since(start)).toBeLessThan(500);
    expect(error).toMatchObject({ code: "ERR_ABORTED", name: "AbortError" });
    expect((error as Error).cause).toMatchObject({ message: "user gave up" });
    // The queued call moved up and was answered; then abort it too late: nothing happens.
    expect(text(await queued)).toEqual(["queued"]);
    queuedController.abort();
    // Still usable, including right after a queued abort.
    const q2 = new AbortController();
    const inFlight = c.request("ok-1");
    const waiting = c.request("never sent", { signal: q2.signal });
    q2.abort();
    await expect(waiting).rejects.toMatchObject({ code: "ERR_ABORTED" });
    expect(text(await inFlight)).toEqual(["ok-1"]);
    expect(text(await c.request("ok-2"))).toEqual(["ok-2"]);
    expect(c.stats()).toMatchObject({ aborted: 2, replies: 3, queued: 0, inFlight: 0 });
    // An already aborted signal rejects without sending.
    await expect(c.request("x", { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: "ERR_ABORTED" });
    expect(s.stats().requests).toBe(4);
  });

  it("close() rejects pending calls with ClosedError, later calls too, and is idempotent", async () => {
    const c = new LazyPirateClient({ endpoint: await deadEndpoint(), timeout: 10_000 });
    const pending = [c.request("a"), c.request("b")].map((p) => p.catch((e: unknown) => e));
    await waitFor(() => c.stats().inFlight === 1);
    await Promise.all([c.close(), c.close()]);
    for (const e of await Promise.all(pending)) expect(e).toMatchObject({ code: "ERR_CLOSED", name: "ClosedError" });
    await expect(c.request("c")).rejects.toMatchObject({ code: "ERR_CLOSED" });
    await expect(c.start()).rejects.toMatchObject({ code: "ERR_CLOSED" });
    expect(c.closed).toBe(true);
    expect(c.stats()).toMatchObject({ openSockets: 0, inFlight: 0, queued: 0 });
  });
});
