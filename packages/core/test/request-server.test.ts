import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { NotStartedError, type RequestDropEvent, RequestServer, type RequestServerOptions, RequestSlots, type SlotAction, WAKE } from "../src/index.js";
import { waitFor } from "../src/testing/index.js";

describe("RequestSlots (pure)", () => {
  const runs = (actions: SlotAction[]) => actions.filter((a) => a.type === "run").map((a) => a.request);

  it("runs up to concurrency, queues up to maxQueued, drops the rest as queue-full; a finish starts the next in order", () => {
    const m = new RequestSlots({ concurrency: 2, maxQueued: 1, handlerTimeout: 0 });
    expect(m.handle({ type: "arrive", request: 1 }, 0)).toEqual([{ type: "run", request: 1 }]);
    expect(m.handle({ type: "arrive", request: 2 }, 0)).toEqual([{ type: "run", request: 2 }]);
    expect(m.handle({ type: "arrive", request: 3 }, 0)).toEqual([]);
    expect(m.handle({ type: "arrive", request: 4 }, 0)).toEqual([{ type: "drop", request: 4, reason: "queue-full" }]);
    expect([m.inFlight, m.queued]).toEqual([2, 1]);
    expect(m.handle({ type: "finish", request: 2 }, 5)).toEqual([{ type: "run", request: 3 }]);
    expect(m.handle({ type: "finish", request: 2 }, 5)).toEqual([]); // twice: ignored
    expect(m.wakeAt()).toBe(Number.POSITIVE_INFINITY); // no handler timeout
  });

  it("drops a handler that runs past the timeout, in run order, and frees its slot; a result stops its clock", () => {
    const m = new RequestSlots({ concurrency: 2, maxQueued: 10, handlerTimeout: 100 });
    m.handle({ type: "arrive", request: 1 }, 0);
    m.handle({ type: "arrive", request: 2 }, 10);
    m.handle({ type: "arrive", request: 3 }, 20);
    expect(m.wakeAt()).toBe(100);
    expect(m.handle(WAKE, 100)).toEqual([
      { type: "drop", request: 1, reason: "handler-timeout" },
      { type: "run", request: 3 },
    ]);
    expect(m.wakeAt()).toBe(110);
    m.handle({ type: "result", request: 2 }, 50); // reply delayed: no deadline any more, slot still taken
    expect(m.wakeAt()).toBe(200);
    expect(m.handle(WAKE, 150)).toEqual([]);
    expect(m.inFlight).toBe(2);
    expect(runs(m.handle({ type: "finish", request: 2 }, 160))).toEqual([]);
    expect(m.handle(WAKE, 200)).toEqual([{ type: "drop", request: 3, reason: "handler-timeout" }]);
    expect(m.idle).toBe(true);
  });

  it("drain refuses new requests but lets the queued ones run; close drops everything left", () => {
    const m = new RequestSlots({ concurrency: 1, maxQueued: 5, handlerTimeout: 100 });
    m.handle({ type: "arrive", request: 1 }, 0);
    m.handle({ type: "arrive", request: 2 }, 0);
    m.handle({ type: "arrive", request: 3 }, 0);
    m.handle({ type: "drain" }, 1);
    expect(m.handle({ type: "arrive", request: 4 }, 1)).toEqual([{ type: "drop", request: 4, reason: "closed" }]);
    expect(m.handle({ type: "finish", request: 1 }, 2)).toEqual([{ type: "run", request: 2 }]);
    expect(m.handle({ type: "close" }, 3)).toEqual([
      { type: "drop", request: 3, reason: "closed" },
      { type: "drop", request: 2, reason: "closed" },
    ]);
    expect(m.idle).toBe(true);
    expect(m.wakeAt()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("RequestSlots: byte limits and abandoned handlers (issue 11, finding 5)", () => {
  const reasons = (actions: SlotAction[]) => actions.map((a) => (a.type === "drop" ? `${a.request}:${a.reason}` : `${a.request}:run`));

  it("drops a request over maxRequestBytes as too-large, and holds no more than maxQueuedBytes waiting", () => {
    const m = new RequestSlots({ concurrency: 1, maxQueued: 100, maxQueuedBytes: 250, maxRequestBytes: 200, handlerTimeout: 0 });
    expect(m.refuse(200)).toBeUndefined();
    expect(m.refuse(201)).toBe("too-large");
    expect(reasons(m.handle({ type: "arrive", request: 1, bytes: 201 }, 0))).toEqual(["1:too-large"]);
    expect(reasons(m.handle({ type: "arrive", request: 2, bytes: 200 }, 0))).toEqual(["2:run"]);
    expect(reasons(m.handle({ type: "arrive", request: 3, bytes: 150 }, 0))).toEqual([]);
    expect(reasons(m.handle({ type: "arrive", request: 4, bytes: 101 }, 0))).toEqual(["4:queue-full"]); // 150 + 101 > 250
    expect(reasons(m.handle({ type: "arrive", request: 5, bytes: 100 }, 0))).toEqual([]); // 250 fits
    expect([m.inFlightBytes, m.queuedBytes, m.heldBytes]).toEqual([200, 250, 450]);
    expect(reasons(m.handle({ type: "finish", request: 2 }, 1))).toEqual(["3:run"]);
    expect([m.inFlightBytes, m.queuedBytes]).toEqual([150, 100]);
  });

  it("keeps counting an abandoned handler's bytes until it settles; past maxAbandoned a timed-out handler keeps its slot", () => {
    const m = new RequestSlots({ concurrency: 1, maxQueued: 10, maxAbandoned: 1, handlerTimeout: 100 });
    for (let r = 1; r <= 4; r++) m.handle({ type: "arrive", request: r, bytes: 10 }, 0);
    expect(reasons(m.handle(WAKE, 100))).toEqual(["1:handler-timeout", "2:run"]); // the first abandoned one frees its slot
    expect([m.inFlight, m.abandoned, m.abandonedBytes, m.heldBytes]).toEqual([1, 1, 10, 40]);
    expect(reasons(m.handle(WAKE, 200))).toEqual(["2:handler-timeout"]); // the second does not: 2 abandoned > maxAbandoned
    expect([m.inFlight, m.queued, m.abandoned, m.abandonedBytes]).toEqual([0, 2, 2, 20]);
    expect(m.wakeAt()).toBe(Number.POSITIVE_INFINITY);
    expect(reasons(m.handle({ type: "settle", request: 7 }, 250))).toEqual([]); // not abandoned: ignored
    expect(reasons(m.handle({ type: "settle", request: 1 }, 250))).toEqual(["3:run"]); // a hung handler settled at last
    expect([m.abandoned, m.abandonedBytes, m.heldBytes]).toEqual([1, 10, 30]);
    expect(reasons(m.handle({ type: "settle", request: 1 }, 260))).toEqual([]); // twice: ignored
  });

  it("with the defaults of maxAbandoned left out, every timed-out handler frees its slot (the old rule)", () => {
    const m = new RequestSlots({ concurrency: 1, maxQueued: 10, handlerTimeout: 100 });
    for (let r = 1; r <= 3; r++) m.handle({ type: "arrive", request: r, bytes: 5 }, 0);
    expect(reasons(m.handle(WAKE, 100))).toEqual(["1:handler-timeout", "2:run"]);
    expect(reasons(m.handle(WAKE, 200))).toEqual(["2:handler-timeout", "3:run"]);
    expect([m.abandoned, m.abandonedBytes]).toEqual([2, 10]);
  });

  it("close drops what runs and waits and forgets their bytes; abandoned handlers are still counted until they settle", () => {
    const m = new RequestSlots({ concurrency: 1, maxQueued: 10, handlerTimeout: 100 });
    m.handle({ type: "arrive", request: 1, bytes: 7 }, 0);
    m.handle(WAKE, 100);
    m.handle({ type: "arrive", request: 2, bytes: 3 }, 100);
    m.handle({ type: "arrive", request: 3, bytes: 2 }, 100);
    expect(reasons(m.handle({ type: "close" }, 110))).toEqual(["3:closed", "2:closed"]);
    expect([m.inFlightBytes, m.queuedBytes, m.abandonedBytes]).toEqual([0, 0, 7]);
    m.handle({ type: "settle", request: 1 }, 120);
    expect(m.heldBytes).toBe(0);
  });
});

describe("RequestServer (real sockets)", () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  async function serve(options: Partial<RequestServerOptions<"hooked">> = {}) {
    const server = new RequestServer<"hooked">({ handler: (body) => body, ...options });
    closers.push(() => server.close());
    const drops: RequestDropEvent<"hooked">[] = [];
    server.on("drop", (e) => drops.push(e));
    await server.start();
    return { server, drops };
  }

  function req(endpoint: string, receiveTimeout = 5000): zmq.Request {
    const socket = new zmq.Request({ linger: 0, receiveTimeout });
    closers.push(() => socket.close());
    socket.connect(endpoint);
    return socket;
  }

  async function ask(endpoint: string, body: string): Promise<string[]> {
    const socket = req(endpoint);
    await socket.send(body);
    return (await socket.receive()).map(String);
  }

  it("replies behind the envelope; [] and undefined reply with one empty frame", async () => {
    let n = 0;
    const { server } = await serve({ handler: (body) => [[], undefined, body][n++ % 3] });
    expect(await ask(server.endpoint, "a")).toEqual([""]);
    expect(await ask(server.endpoint, "b")).toEqual([""]);
    expect(await ask(server.endpoint, "c")).toEqual(["c"]);
    expect(server.stats()).toMatchObject({ requests: 3, replies: 3, dropped: 0 });
  });

  it("endpoint throws NotStartedError before start(); a bind failure is a SocketError naming the endpoint, and start() can be retried", async () => {
    const { server } = await serve();
    const clash = new RequestServer({ handler: () => "x", bind: server.endpoint, name: "test server" });
    closers.push(() => clash.close());
    expect(() => clash.endpoint).toThrow(NotStartedError);
    await expect(clash.start()).rejects.toMatchObject({
      code: "ERR_SOCKET",
      zmqCode: "EADDRINUSE",
      message: expect.stringMatching(new RegExp(`^test server: cannot bind ${server.endpoint}`)),
    });
    await server.close(); // frees the port before it resolves
    await clash.start();
    expect(await ask(clash.endpoint, "again")).toEqual(["x"]);
  });

  it("asks the admission hook for every request and drops what it rejects", async () => {
    let open = false;
    const asked: unknown[] = [];
    const { server, drops } = await serve({ admission: { admit: (r) => (asked.push(r), open) } });
    const socket = req(server.endpoint, 100);
    await socket.send("no");
    await expect(socket.receive()).rejects.toMatchObject({ code: "EAGAIN" });
    open = true;
    expect(await ask(server.endpoint, "yes")).toEqual(["yes"]);
    expect(asked).toHaveLength(2);
    expect(drops).toEqual([{ reason: "rejected", request: 1 }]);
    expect(server.stats()).toMatchObject({ rejected: 1, replies: 1, dropped: 1 });
  });

  it("hooks can drop a request on arrival, or drop or delay its reply", async () => {
    const { server, drops } = await serve({
      hooks: {
        arrive: (r) => (r === 1 ? "hooked" : undefined),
        reply: (r) => (r === 2 ? { drop: "hooked" } : r === 3 ? { delay: 30 } : undefined),
      },
    });
    const lost = [req(server.endpoint, 100), req(server.endpoint, 100)];
    for (const s of lost) await s.send("lost");
    for (const s of lost) await expect(s.receive()).rejects.toMatchObject({ code: "EAGAIN" });
    const delayed = ask(server.endpoint, "late");
    await waitFor(() => server.stats().inFlight === 1);
    expect(await delayed).toEqual(["late"]);
    expect(drops).toEqual([
      { reason: "hooked", request: 1 },
      { reason: "hooked", request: 2 },
    ]);
  });

  it("close({ timeout }) answers what is in progress, drops arrivals, then aborts what is left with ClosedError", async () => {
    const signals = new Map<string, AbortSignal>();
    const { server, drops } = await serve({
      handler: async (body, { signal }) => {
        signals.set(String(body[0]), signal);
        if (String(body[0]) === "hang") return new Promise<never>(() => {});
        await new Promise((r) => setTimeout(r, 50));
        return body;
      },
    });
    const [quick, hang, late] = [req(server.endpoint), req(server.endpoint), req(server.endpoint)];
    await quick.send("quick");
    await hang.send("hang");
    await waitFor(() => signals.size === 2);
    const closing = server.close({ timeout: 500 });
    await late.send("late");
    expect((await quick.receive()).map(String)).toEqual(["quick"]);
    await closing;
    expect(signals.get("hang")!.reason).toMatchObject({ code: "ERR_CLOSED" });
    expect(signals.get("quick")!.aborted).toBe(false);
    expect(drops.map((d) => d.reason)).toEqual(["closed", "closed"]);
    expect(server.stats()).toMatchObject({ requests: 3, replies: 1, inFlight: 0, queued: 0 });
    await expect(server.start()).rejects.toMatchObject({ code: "ERR_CLOSED" });
  });

  it("close() frees the port: a new server binds the same endpoint at once, every time", async () => {
    let { server } = await serve();
    for (let i = 0; i < 20; i++) {
      const endpoint = server.endpoint;
      await server.close();
      ({ server } = await serve({ bind: endpoint }));
    }
    expect(await ask(server.endpoint, "still here")).toEqual(["still here"]);
  });

  it("checks every limit option: an integer, at least its smallest value", () => {
    const bad: Partial<RequestServerOptions>[] = [
      { maxQueuedBytes: -1 },
      { maxRequestBytes: 0 },
      { maxAbandoned: 1.5 },
      { receiveHighWaterMark: 0 },
      { sendHighWaterMark: Number.NaN },
    ];
    for (const options of bad) expect(() => new RequestServer({ handler: () => "x", ...options })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });

  it("drops a request over maxRequestBytes before admission, with reason too-large, counted by reason", async () => {
    const asked: unknown[] = [];
    const { server, drops } = await serve({ maxRequestBytes: 1000, admission: { admit: (r) => (asked.push(r), true) } });
    const socket = req(server.endpoint, 100);
    await socket.send(Buffer.alloc(1000));
    await expect(socket.receive()).rejects.toMatchObject({ code: "EAGAIN" });
    expect(await ask(server.endpoint, "small")).toEqual(["small"]);
    expect(asked).toHaveLength(1); // the big one never voted
    expect(drops).toEqual([{ reason: "too-large", request: 1 }]);
    expect(server.stats()).toMatchObject({ dropped: 1, replies: 1, drops: { "too-large": 1, "queue-full": 0 }, heldBytes: 0 });
  });

  it("a client that never reads its replies costs at most sendHighWaterMark replies: the rest are peer-full drops", async () => {
    const reply = Buffer.alloc(256 * 1024);
    const { server, drops } = await serve({ sendHighWaterMark: 1, handler: () => reply });
    const greedy = new zmq.Dealer({ linger: 0, receiveHighWaterMark: 1 });
    closers.push(() => greedy.close());
    greedy.connect(server.endpoint);
    for (let i = 0; i < 200; i++) await greedy.send(["", "x"]);
    await waitFor(() => server.stats().replies + server.stats().dropped === 200, { timeout: 5000 });
    const stats = server.stats();
    expect(stats.drops["peer-full"]).toBeGreaterThan(0);
    expect(stats.drops["peer-full"]).toBe(stats.dropped);
    expect(drops.every((d) => d.reason === "peer-full")).toBe(true);
    const [answer] = await ask(server.endpoint, "others are served");
    expect(answer).toHaveLength(reply.length);
  });
});
