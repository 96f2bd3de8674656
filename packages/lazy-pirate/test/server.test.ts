import { nextEvent } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { type FaultEvent, FaultPlan, LAZY_PIRATE_SERVER_DEFAULTS, LazyPirateServer, type ServerDropEvent } from "../src/index.js";
import { client, closeAll, countingEcho, deferred, raw, server, text, track } from "./helpers.js";

afterEach(closeAll);

/** A raw REQ with a receive timeout, for asking one question. */
function rawReq(endpoint: string, receiveTimeout = 5000): zmq.Request {
  const req = raw(new zmq.Request({ linger: 0, receiveTimeout }));
  req.connect(endpoint);
  return req;
}

describe("LazyPirateServer basics", () => {
  it("binds an ephemeral endpoint and reports it; before start() the endpoint getter throws NotStartedError", async () => {
    expect(() => new LazyPirateServer({ handler: (f) => f }).endpoint).toThrow(expect.objectContaining({ code: "ERR_NOT_STARTED" }));
    const s = await server();
    expect(s.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(LAZY_PIRATE_SERVER_DEFAULTS).toMatchObject({ concurrency: 16, handlerTimeout: 10_000 });
  });

  it("binds ipc and inproc too", async () => {
    for (const transport of ["ipc", "inproc"]) {
      const s = await server({ bind: transport });
      expect(s.endpoint.startsWith(`${transport}://`)).toBe(true);
      const req = rawReq(s.endpoint);
      await req.send("x");
      expect(text(await req.receive())).toEqual(["x"]);
    }
  });

  it("handles multi-frame requests and replies, sync and async handlers", async () => {
    const s = await server({ handler: async (frames, { request }) => [String(request), ...frames.map((f) => f.toString().toUpperCase())] });
    const req = rawReq(s.endpoint);
    await req.send(["a", "b", ""]);
    expect(text(await req.receive())).toEqual(["1", "A", "B", ""]);
    const s2 = await server({ handler: () => Buffer.from([0, 1]) });
    const req2 = rawReq(s2.endpoint);
    await req2.send("x");
    expect(await req2.receive()).toEqual([Buffer.from([0, 1])]);
  });

  it("start() twice is one bind; a taken endpoint fails with SocketError; start after close fails", async () => {
    const s = await server();
    await s.start();
    const clash = track(new LazyPirateServer({ bind: s.endpoint, handler: (f) => f }));
    await expect(clash.start()).rejects.toMatchObject({ code: "ERR_SOCKET", zmqCode: "EADDRINUSE", message: expect.stringContaining(s.endpoint) });
    await s.close();
    await expect(s.start()).rejects.toMatchObject({ code: "ERR_CLOSED" });
    await clash.start(); // a failed start can be retried: the port is free now
    expect(clash.endpoint).toBe(s.endpoint);
  });

  it("close() releases the port: a new server binds the same endpoint at once, every time", async () => {
    // zeromq's close() returns before the listener is closed; without unbinding first, an
    // immediate rebind fails with EADDRINUSE about one time in eight.
    const first = await server();
    let endpoint = first.endpoint;
    await first.close();
    for (let i = 0; i < 30; i++) {
      const s = await server({ bind: endpoint });
      endpoint = s.endpoint;
      const req = rawReq(endpoint);
      await req.send(String(i));
      expect(text(await req.receive())).toEqual([String(i)]);
      req.close();
      await s.close();
    }
  });

  it("validates its options", () => {
    expect(() => new LazyPirateServer({ handler: undefined as never })).toThrow(/handler/);
    expect(() => new LazyPirateServer({ handler: (f) => f, concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new LazyPirateServer({ handler: (f) => f, handlerTimeout: -1 })).toThrow(/handlerTimeout/);
    expect(() => new LazyPirateServer({ handler: (f) => f, faults: { dropReply: 2 } })).toThrow(/dropReply/);
    expect(() => new LazyPirateServer({ handler: (f) => f, curve: { secretKey: "short" } })).toThrow(/curve/);
  });
});

describe("LazyPirateServer: handlers that throw or hang never wedge it", () => {
  it("a handler that throws: no reply, `handler-error`; the Lazy Pirate client retries and succeeds", async () => {
    const s = await server({
      handler: (frames, { request }) => {
        if (request === 1) throw new Error("boom");
        return frames;
      },
    });
    const errors: unknown[] = [];
    const drops: ServerDropEvent[] = [];
    s.on("handler-error", (e) => errors.push(e.error));
    s.on("drop", (e) => drops.push(e));
    const c = client({ endpoint: s.endpoint, timeout: 300 });
    expect(text(await c.request("x"))).toEqual(["x"]);
    expect(errors).toEqual([expect.objectContaining({ message: "boom" })]);
    expect(drops).toEqual([{ reason: "handler-error", request: 1, error: expect.objectContaining({ message: "boom" }) }]);
    expect(c.stats()).toMatchObject({ retries: 1 });
    expect(s.stats()).toMatchObject({ requests: 2, replies: 1, handlerErrors: 1, dropped: 1 });
  });

  it("a handler that always fails: the client gives up with ServiceUnavailableError; other requests are still served", async () => {
    const s = await server({
      handler: async (frames) => {
        if (String(frames[0]) === "bad") throw new Error("always");
        return frames;
      },
    });
    const c = client({ endpoint: s.endpoint, timeout: 150, attempts: 3 });
    await expect(c.request("bad")).rejects.toMatchObject({ code: "ERR_SERVICE_UNAVAILABLE", attempts: 3 });
    expect(text(await c.request("good"))).toEqual(["good"]);
    expect(s.stats()).toMatchObject({ handlerErrors: 3 });
    expect(s.stats().replies).toBeGreaterThanOrEqual(1);
  });

  it("returning nothing or an empty array is a reply with one empty frame (core's replyFrames rule), to a raw REQ and a Lazy Pirate client", async () => {
    let n = 0;
    const s = await server({ handler: () => (++n % 2 === 1 ? undefined : []) });
    const req = rawReq(s.endpoint);
    await req.send("x");
    expect(await req.receive()).toEqual([Buffer.alloc(0)]);
    await req.send("y");
    expect(await req.receive()).toEqual([Buffer.alloc(0)]);
    const c = client({ endpoint: s.endpoint, timeout: 2000, attempts: 1 });
    expect(await c.request("z")).toEqual([Buffer.alloc(0)]);
    expect(await c.request("w")).toEqual([Buffer.alloc(0)]);
    expect(s.stats()).toMatchObject({ handlerErrors: 0, replies: 4, dropped: 0 });
  });

  it("returning something that is not a frame is a handler error: no reply", async () => {
    let n = 0;
    const s = await server({ handler: () => (++n === 1 ? (null as never) : n === 2 ? ([1] as never) : "third time") });
    const c = client({ endpoint: s.endpoint, timeout: 200, attempts: 5 });
    expect(text(await c.request("x"))).toEqual(["third time"]);
    expect(s.stats()).toMatchObject({ handlerErrors: 2 });
  });

  it("a handler that hangs: dropped after handlerTimeout, its signal aborts, its slot is freed, a late result is ignored", async () => {
    const hang = deferred<string>();
    const hanging = deferred();
    let signal: AbortSignal | undefined;
    const s = await server({
      concurrency: 1,
      handlerTimeout: 150,
      handler: (frames, context) => {
        if (String(frames[0]) !== "hang") return frames;
        signal = context.signal;
        hanging.resolve();
        return hang.promise;
      },
    });
    const timedOut = nextEvent(s, "handler-timeout", { timeout: 5000 });
    const hangReq = rawReq(s.endpoint, 300);
    await hangReq.send("hang");
    await hanging.promise;
    // With concurrency 1 the next request waits for the hung one's slot, then is served.
    const other = rawReq(s.endpoint);
    await other.send("next");
    expect(text(await other.receive())).toEqual(["next"]);
    expect((await timedOut)[0]).toMatchObject({ request: 1, timeout: 150 });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toMatchObject({ code: "ERR_TIMEOUT" });
    hang.resolve("too late");
    await waitFor(() => s.stats().lateResults === 1);
    await expect(hangReq.receive()).rejects.toMatchObject({ code: "EAGAIN" }); // no reply ever
    expect(s.stats()).toMatchObject({ handlerTimeouts: 1, replies: 1, inFlight: 0 });
  });

  it("what a Lazy Pirate client sees from a hung handler: timeouts and retries, then an answer once the handler recovers", async () => {
    let calls = 0;
    const s = await server({
      handlerTimeout: 1500,
      handler: (frames) => (++calls <= 2 ? new Promise<never>(() => {}) : frames),
    });
    const c = client({ endpoint: s.endpoint, timeout: 100, attempts: 3 });
    expect(text(await c.request("x"))).toEqual(["x"]);
    expect(c.stats()).toMatchObject({ retries: 2, timeouts: 2 });
    expect(s.stats().inFlight).toBe(2); // the two hung handlers still hold a slot each, until handlerTimeout
    await waitFor(() => s.stats().handlerTimeouts === 2, { timeout: 5000 });
    expect(s.stats().inFlight).toBe(0);
  });

  it("bounds concurrency, queues the rest, drops past maxQueued", async () => {
    const gate = deferred();
    const echo = countingEcho(() => gate.promise);
    const s = await server({ concurrency: 2, maxQueued: 2, handler: echo.handler });
    const drops: ServerDropEvent[] = [];
    s.on("drop", (e) => drops.push(e));
    const reqs = Array.from({ length: 5 }, () => rawReq(s.endpoint, 3000));
    for (let i = 0; i < 4; i++) await reqs[i]!.send(String(i));
    await waitFor(() => s.stats().requests === 4);
    expect(s.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    await reqs[4]!.send("4");
    await waitFor(() => drops.length === 1);
    expect(drops[0]).toEqual({ reason: "queue-full", request: 5 });
    gate.resolve();
    for (let i = 0; i < 4; i++) expect(text(await reqs[i]!.receive())).toEqual([String(i)]);
    expect(echo.maxInFlight).toBe(2);
    expect(s.stats()).toMatchObject({ drops: { "queue-full": 1 }, replies: 4, dropped: 1 });
  });

  it("drops malformed requests (no delimiter, no body) and keeps serving", async () => {
    const s = await server();
    const drops: ServerDropEvent[] = [];
    s.on("drop", (e) => drops.push(e));
    const dealer = raw(new zmq.Dealer({ linger: 0 }));
    dealer.connect(s.endpoint);
    await dealer.send(["no", "delimiter"]);
    await dealer.send([""]);
    await dealer.send(["", "ok"]);
    expect(text(await dealer.receive())).toEqual(["", "ok"]);
    expect(drops).toEqual([
      { reason: "malformed", request: undefined },
      { reason: "malformed", request: undefined },
    ]);
    expect(s.stats()).toMatchObject({ requests: 3, malformed: 2, replies: 1 });
  });

  it("close() drops what is in flight, aborts handler signals and is idempotent", async () => {
    let signal: AbortSignal | undefined;
    const started = deferred();
    const s = await server({
      handler: (_f, context) => {
        signal = context.signal;
        started.resolve();
        return new Promise<never>(() => {});
      },
    });
    const drops: ServerDropEvent[] = [];
    s.on("drop", (e) => drops.push(e));
    await rawReq(s.endpoint).send("x");
    await started.promise;
    await Promise.all([s.close(), s.close()]);
    expect(signal?.aborted).toBe(true);
    expect(drops).toEqual([{ reason: "closed", request: 1 }]);
    expect(s.closed).toBe(true);
    expect(s.stats()).toMatchObject({ inFlight: 0 });
  });
});

describe("LazyPirateServer fault injection", () => {
  it("dropReply and delay show the client recovering; events say what was injected", async () => {
    const s = await server({ faults: { dropReply: (n) => n === 2, delay: (n) => (n === 3 ? 20 : 0) } });
    const faults: FaultEvent[] = [];
    s.on("fault", (e) => faults.push(e));
    const c = client({ endpoint: s.endpoint, timeout: 300 });
    expect(text(await c.request("1"))).toEqual(["1"]);
    expect(text(await c.request("2"))).toEqual(["2"]); // attempt dropped, the retry (request 3) delayed 20 ms
    expect(faults).toEqual([
      { kind: "drop-reply", request: 2 },
      { kind: "delay", request: 3, delay: 20 },
    ]);
    expect(c.stats()).toMatchObject({ replies: 2 });
    expect(c.stats().retries).toBeGreaterThanOrEqual(1);
  });

  it("random faults follow the seed: the requests dropped are exactly those the seeded plan picks", async () => {
    const s = await server({ faults: { dropReply: 0.5, seed: 1234 } });
    const dropped: number[] = [];
    s.on("fault", (e) => dropped.push(e.request));
    const c = client({ endpoint: s.endpoint, timeout: 100, attempts: 20 });
    for (let i = 0; i < 5; i++) expect(text(await c.request(String(i)))).toEqual([String(i)]);
    expect(s.faultSeed).toBe(1234);
    // Replay the plan for as many requests as the server saw (a retry under load only adds requests).
    const replay = new FaultPlan({ dropReply: 0.5, seed: 1234 });
    const expected = Array.from({ length: s.stats().requests }, (_, i) => i + 1).filter((n) => replay.decide(n).dropReply);
    expect(dropped).toEqual(expected);
    expect(dropped.length).toBeGreaterThan(0);
  });

  it("crashAfter: the server closes on request n+1; a server restarted on the same endpoint answers the retry", async () => {
    const s = await server({ faults: { crashAfter: 2 } });
    const endpoint = s.endpoint;
    const crashed = nextEvent(s, "fault", { timeout: 5000 });
    const c = client({ endpoint, timeout: 100, attempts: 50 });
    expect(text(await c.request("1"))).toEqual(["1"]);
    expect(text(await c.request("2"))).toEqual(["2"]);
    const third = c.request("3");
    expect((await crashed)[0]).toEqual({ kind: "crash", request: 3 });
    await s.close();
    expect(s.crashed).toBe(true);
    expect(s.stats()).toMatchObject({ replies: 2, dropped: 1 });
    await server({ bind: endpoint }); // same port, new server
    expect(text(await third)).toEqual(["3"]);
    expect(c.stats().retries).toBeGreaterThanOrEqual(1);
  });
});
