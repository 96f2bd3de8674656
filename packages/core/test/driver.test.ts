import { afterEach, describe, expect, it } from "vitest";
import {
  AbortError,
  bindEndpoint,
  Channel,
  ClosedError,
  connectEndpoint,
  createSocket,
  Driver,
  earliest,
  EMPTY,
  type EmitAction,
  Lifecycle,
  type Machine,
  type MessageInput,
  NotStartedError,
  ProtocolError,
  replyFrames,
  type SendAction,
  type SettleAction,
  SocketError,
  settlesWithin,
  Timer,
  TypedEmitter,
  type WakeInput,
  type CancelInput,
  MAX_TIMER_DELAY,
} from "../src/index.js";
import { FakeClock, waitFor } from "../src/testing/index.js";

/** A machine that echoes messages after a delay, answers calls on the next wake, and counts wakes. */
type Input = WakeInput | MessageInput | CancelInput | { type: "ask"; call: number; text: string } | { type: "fail"; call: number };
type Action = SendAction | SettleAction<string> | EmitAction<{ woke: [number] }> | { type: "custom"; n: number };

class Delayer implements Machine<Input, Action> {
  readonly seen: string[] = [];
  private due: { at: number; frames: Buffer[] }[] = [];
  private asks: { call: number; text: string }[] = [];
  private wakes = 0;
  constructor(private readonly delay: number) {}
  handle(input: Input, now: number): Action[] {
    this.seen.push(input.type);
    switch (input.type) {
      case "message":
        this.due.push({ at: now + this.delay, frames: input.message as Buffer[] });
        return [];
      case "ask":
        this.asks.push(input);
        return [{ type: "custom", n: input.call }];
      case "fail":
        return [{ type: "settle", call: input.call, error: new ClosedError("nope") }];
      case "cancel":
        this.asks = this.asks.filter((a) => a.call !== input.call);
        return [];
      case "wake": {
        const out: Action[] = [{ type: "emit", event: "woke", args: [++this.wakes] }];
        for (const d of this.due.filter((d) => d.at <= now)) out.push({ type: "send", channel: "io", frames: d.frames });
        this.due = this.due.filter((d) => d.at > now);
        for (const a of this.asks.splice(0)) out.push({ type: "settle", call: a.call, value: a.text.toUpperCase() });
        return out;
      }
    }
  }
  wakeAt(): number {
    return earliest(...this.due.map((d) => d.at), this.asks.length > 0 ? 0 : Number.POSITIVE_INFINITY);
  }
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe("Driver", () => {
  it("feeds inputs, wakes the machine when it asks, performs send/emit/settle and hands the rest to perform", async () => {
    const clock = new FakeClock(1000);
    const machine = new Delayer(50);
    const emitted: unknown[][] = [];
    const performed: unknown[] = [];
    const driver = new Driver(machine, { clock, emit: (e, ...a) => emitted.push([e, ...a]), perform: (a) => performed.push(a) });
    closers.push(() => driver.close());
    const call = driver.call<string>((id) => ({ type: "ask", call: id, text: "hi" }));
    expect(performed).toEqual([{ type: "custom", n: 1 }]);
    clock.advance(0);
    await expect(call).resolves.toBe("HI");
    expect(emitted).toEqual([["woke", 1]]);
    expect(driver.openCalls).toBe(0);
  });

  it("a settle with an error rejects the call; abort rejects at once and feeds cancel; close rejects the rest", async () => {
    const clock = new FakeClock();
    const machine = new Delayer(10);
    const driver = new Driver(machine, { clock, perform: () => {} });
    await expect(driver.call((id) => ({ type: "fail", call: id }))).rejects.toBeInstanceOf(ClosedError);
    const ac = new AbortController();
    const aborted = driver.call((id) => ({ type: "ask", call: id, text: "x" }), ac.signal);
    ac.abort("stop");
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    expect(machine.seen).toContain("cancel");
    const pending = driver.call<string>((id) => ({ type: "ask", call: id, text: "y" }));
    driver.close(new ClosedError("bye"));
    await expect(pending).rejects.toMatchObject({ code: "ERR_CLOSED", message: "bye" });
    await expect(driver.call((id) => ({ type: "ask", call: id, text: "z" }))).rejects.toBeInstanceOf(ClosedError);
  });

  it("never re-enters the machine: an input fed while actions run waits its turn", () => {
    const order: string[] = [];
    type I = WakeInput | { type: "a" } | { type: "b" };
    const machine: Machine<I, { type: "go"; then: string }> = {
      handle: (input) => {
        order.push(`in:${input.type}`);
        return input.type === "a" ? [{ type: "go", then: "b" }, { type: "go", then: "" }] : [];
      },
      wakeAt: () => Number.POSITIVE_INFINITY,
    };
    const driver: Driver<I, { type: "go"; then: string }> = new Driver(machine, {
      clock: new FakeClock(),
      perform: (a) => {
        order.push(`do:${a.then}`);
        if (a.then === "b") driver.feed({ type: "b" });
      },
    });
    driver.feed({ type: "a" });
    expect(order).toEqual(["in:a", "do:b", "do:", "in:b"]);
  });

  it("runs a machine over a real channel: messages in, sends out", async () => {
    const router = new Channel(createSocket("router"));
    const dealer = new Channel(createSocket("dealer"));
    closers.push(() => router.close(), () => dealer.close());
    const { endpoint } = await bindEndpoint(router.socket, "tcp://127.0.0.1:*", "test router");
    const driver = new Driver(new Delayer(5), { perform: () => {} });
    closers.push(() => driver.close());
    driver.attach("io", router);
    const got: string[][] = [];
    dealer.listen((m) => got.push(m.map(String)));
    connectEndpoint(dealer.socket, endpoint, "test dealer");
    await dealer.send(["ping", "pong"]);
    await waitFor(() => got.length === 1, { timeout: 2000 });
    expect(got[0]).toEqual(["ping", "pong"]);
  });
});

describe("Timer and the system clock", () => {
  it("a wake-up beyond Node's timer range is clamped and re-armed, not fired after 1 ms", async () => {
    let fired = 0;
    const timer = new Timer({ now: () => 0, setTimeout: (cb, ms) => (expect(ms).toBeGreaterThan(MAX_TIMER_DELAY - 1), setTimeout(() => {}, 0)), clearTimeout: () => {} }, () => fired++);
    timer.at(99_999_999_999);
    expect(timer.deadline).toBe(99_999_999_999);
    expect(fired).toBe(0);
    timer.cancel();
  });
});

describe("Lifecycle", () => {
  it("start is idempotent, retryable after a failure (cleanup runs), and refused after close", async () => {
    const life = new Lifecycle("Thing");
    let opens = 0;
    let cleanups = 0;
    const failing = async () => {
      opens++;
      throw Object.assign(new Error("Address already in use"), { code: "EADDRINUSE" });
    };
    await expect(life.start(failing, async () => void cleanups++)).rejects.toMatchObject({ code: "ERR_SOCKET" });
    expect([opens, cleanups, life.state]).toEqual([1, 1, "idle"]);
    const ok = async () => void opens++;
    await Promise.all([life.start(ok, async () => {}), life.start(ok, async () => {})]);
    await life.start(ok, async () => {});
    expect([opens, life.running]).toEqual([2, true]);
    let drained = false;
    await life.close({ drain: async () => void (drained = true), teardown: async () => {} }, 100);
    expect([drained, life.state]).toEqual([true, "closed"]);
    await expect(life.start(ok, async () => {})).rejects.toBeInstanceOf(ClosedError);
    expect(() => life.assertOpen("used")).toThrow(ClosedError);
  });

  it("close cuts a drain short after its timeout, then tears down", async () => {
    const clock = new FakeClock();
    const life = new Lifecycle("Slow", clock);
    await life.start(async () => {}, async () => {});
    let tornDown = false;
    const closing = life.close({ drain: () => new Promise(() => {}), teardown: async () => void (tornDown = true) }, 500);
    await waitFor(() => Number.isFinite(clock.nextDeadline()));
    clock.advance(500);
    await closing;
    expect(tornDown).toBe(true);
  });

  it("settlesWithin tells whether a promise settled in time", async () => {
    expect(await settlesWithin(Promise.resolve(), 10)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error("x")), 10)).toBe(true);
    expect(await settlesWithin(new Promise(() => {}), 5)).toBe(false);
  });
});

describe("endpoints", () => {
  it("bind and connect failures are SocketErrors naming the role and the endpoint", async () => {
    const a = createSocket("router");
    const b = createSocket("router");
    closers.push(() => a.close(), () => b.close());
    const { endpoint, bound } = await bindEndpoint(a, "tcp://*:0", "thing frontend");
    expect(bound).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const clash = bindEndpoint(b, endpoint, "other frontend");
    await expect(clash).rejects.toBeInstanceOf(SocketError);
    await expect(clash).rejects.toMatchObject({ zmqCode: "EADDRINUSE", message: expect.stringContaining(`other frontend: cannot bind ${endpoint}`) });
    expect(() => connectEndpoint(b, "bogus://x", "thing backend")).toThrow(/thing backend: cannot connect bogus:\/\/x/);
  });

  it("NotStartedError has a stable code", () => {
    expect(new NotStartedError("endpoint is known after start()").code).toBe("ERR_NOT_STARTED");
  });
});

describe("replyFrames: the one handler-result rule", () => {
  it("an empty result is one empty frame; frames pass as given; anything else is refused", () => {
    expect(replyFrames([])).toEqual([EMPTY]);
    expect(replyFrames(undefined)).toEqual([EMPTY]);
    expect(replyFrames("a")).toEqual(["a"]);
    const b = Buffer.from("b");
    expect(replyFrames(["a", b])).toEqual(["a", b]);
    expect(() => replyFrames(null)).toThrow(ProtocolError);
    expect(() => replyFrames([1])).toThrow(ProtocolError);
  });
});

describe("Channel pause/resume and close options", () => {
  it("pause stops taking messages off the socket; resume delivers them in order", async () => {
    const router = new Channel(createSocket("router"));
    const dealer = new Channel(createSocket("dealer"));
    closers.push(() => router.close(), () => dealer.close());
    const { endpoint } = await bindEndpoint(router.socket, "tcp://127.0.0.1:*", "router");
    const got: string[] = [];
    router.listen((m) => got.push(String(m[1])));
    dealer.socket.connect(endpoint);
    await dealer.send("1");
    await waitFor(() => got.length === 1);
    router.pause();
    expect(router.paused).toBe(true);
    await dealer.send("2"); // may be read by the receive already pending; the next one waits
    await dealer.send("3");
    await new Promise((r) => setImmediate(r));
    const whilePaused = got.length;
    expect(whilePaused).toBeLessThanOrEqual(2);
    router.resume();
    await waitFor(() => got.length === 3);
    expect(got).toEqual(["1", "2", "3"]);
  });

  it("close({ flush }) lets queued sends go out first; close({ release }) frees the port for an immediate rebind", async () => {
    const router = new Channel(createSocket("router"));
    closers.push(() => router.close());
    const { endpoint } = await bindEndpoint(router.socket, "tcp://127.0.0.1:*", "router");
    const got: string[] = [];
    router.listen((m) => got.push(String(m[1])));
    const dealer = new Channel(createSocket("dealer"));
    dealer.socket.connect(endpoint);
    const sends = ["a", "b", "c"].map((x) => dealer.send(x));
    await dealer.close({ flush: 1000, linger: 1000 });
    await Promise.all(sends);
    await waitFor(() => got.length === 3);
    await router.close({ release: 1000 });
    for (let i = 0; i < 5; i++) {
      const r = new Channel(createSocket("router"));
      await bindEndpoint(r.socket, endpoint, "rebind");
      await r.close({ release: 1000 });
    }
    const again = new Channel(createSocket("router"));
    closers.push(() => again.close());
    await expect(bindEndpoint(again.socket, endpoint, "rebind")).resolves.toMatchObject({ endpoint });
  });

  it("a second close waits for the first and queued sends fail with ClosedError by default", async () => {
    const dealer = new Channel(createSocket("dealer", { immediate: true }));
    dealer.socket.connect("tcp://127.0.0.1:1");
    dealer.socket.sendTimeout = -1;
    const p = dealer.send("x");
    const q = dealer.send("y");
    const first = dealer.close();
    await expect(q).rejects.toBeInstanceOf(ClosedError);
    await Promise.all([first, dealer.close()]);
    await p.catch(() => {});
  });
});

describe("TypedEmitter stays in io", () => {
  it("is exported", () => {
    expect(typeof TypedEmitter).toBe("function");
  });
});
