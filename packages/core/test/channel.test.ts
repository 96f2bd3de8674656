import { afterEach, describe, expect, it } from "vitest";
import {
  BackpressureError,
  Channel,
  ClosedError,
  UnreachableError,
  bindEphemeral,
  createSocket,
  type Transport,
} from "../src/index.js";
import { waitFor } from "../src/testing/index.js";

/** Nothing listens on port 1, so a DEALER with `immediate` has no pipe and cannot send. */
const NOBODY = "tcp://127.0.0.1:1";
const open: Channel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
function track<T extends Channel>(c: T): T {
  open.push(c);
  return c;
}

describe.each<Transport>(["tcp", "ipc", "inproc"])("Channel over %s", (transport) => {
  it("binds an ephemeral endpoint and round-trips multipart messages", async () => {
    const router = track(new Channel(createSocket("router")));
    const endpoint = await bindEphemeral(router.socket, transport);
    expect(endpoint.startsWith(`${transport}://`)).toBe(true);
    expect(endpoint).not.toContain("*");
    router.listen(([id, ...body]) => router.post([id!, ...body.reverse()]));

    const dealer = track(new Channel(createSocket("dealer")));
    const got: string[][] = [];
    dealer.listen((m) => got.push(m.map(String)));
    dealer.socket.connect(endpoint);
    await dealer.send(["a", Buffer.from("b"), new Uint8Array([0x63])]);
    await waitFor(() => got.length === 1);
    expect(got[0]).toEqual(["c", "b", "a"]);
    expect(dealer.stats()).toMatchObject({ sent: 1, received: 1, sendErrors: 0 });
  });

  it("delivers 1,000 concurrent sends from independent callers, in per-caller order, with no EBUSY", async () => {
    const pull = track(new Channel(createSocket("router")));
    const endpoint = await bindEphemeral(pull.socket, transport);
    const seen = new Map<string, number[]>();
    let total = 0;
    pull.listen(([, caller, seq]) => {
      const list = seen.get(String(caller)) ?? [];
      list.push(Number(String(seq)));
      seen.set(String(caller), list);
      total++;
    });
    const push = track(new Channel(createSocket("dealer")));
    push.socket.connect(endpoint);

    const callers = 10;
    const perCaller = 100;
    const caller = async (name: string) => {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < perCaller; i++) {
        sends.push(push.send([name, String(i)]));
        if (i % 7 === 0) await Promise.resolve(); // interleave with other callers
      }
      await Promise.all(sends);
    };
    await Promise.all(Array.from({ length: callers }, (_, c) => caller(`caller-${c}`)));
    await waitFor(() => total === callers * perCaller, { timeout: 10_000 });
    for (const [, list] of seen) expect(list).toEqual(Array.from({ length: perCaller }, (_, i) => i));
    expect(seen.size).toBe(callers);
    expect(push.stats().sendErrors).toBe(0);
  });
});

describe("Channel back-pressure and failures", () => {
  it("hands sends to zeromq back to back, and waits in order where the high-water mark stops them", async () => {
    const router = track(new Channel(createSocket("router", { receiveHighWaterMark: 1 })));
    const endpoint = await bindEphemeral(router.socket, "inproc");
    const got: number[] = [];
    router.pause(); // nobody reads: the inproc pipe fills after a couple of messages
    router.listen(([, seq]) => got.push(Number(String(seq))));
    const dealer = track(new Channel(createSocket("dealer", { sendHighWaterMark: 1 })));
    dealer.socket.connect(endpoint);
    const sends = Array.from({ length: 300 }, (_, i) => dealer.send(String(i)));
    await waitFor(() => dealer.pendingSends < 300 && dealer.stats().sent > 0);
    expect(dealer.pendingSends).toBeGreaterThan(250); // the rest wait behind the one zeromq holds
    router.resume();
    await Promise.all(sends);
    await waitFor(() => got.length === 300);
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(dealer.stats()).toMatchObject({ sent: 300, sendErrors: 0, pendingSends: 0 });
  });

  it("bounds the send queue: excess sends fail with BackpressureError", async () => {
    // A DEALER with no peer and immediate=true cannot send; sendTimeout=-1 keeps the first send pending.
    const dealer = track(new Channel(createSocket("dealer", { immediate: true }), { maxPendingSends: 5 }));
    dealer.socket.connect(NOBODY);
    const sends = Array.from({ length: 10 }, (_, i) => dealer.send(String(i)));
    const late = await Promise.allSettled(sends.slice(6));
    for (const r of late) expect(r).toMatchObject({ status: "rejected", reason: expect.any(BackpressureError) });
    expect(dealer.pendingSends).toBe(6); // one in progress + five waiting
    await dealer.close();
    const early = await Promise.allSettled(sends.slice(0, 6));
    for (const r of early) expect(r).toMatchObject({ status: "rejected", reason: expect.any(ClosedError) });
  });

  it("fails a send with BackpressureError when the socket's sendTimeout expires", async () => {
    const dealer = track(new Channel(createSocket("dealer", { immediate: true, sendTimeout: 20 })));
    dealer.socket.connect(NOBODY);
    await expect(dealer.send("x")).rejects.toBeInstanceOf(BackpressureError);
    await expect(dealer.send("y")).rejects.toMatchObject({ code: "ERR_BACKPRESSURE" });
  });

  it("gives UnreachableError on a mandatory router, at once, even with no peers", async () => {
    const router = track(new Channel(createSocket("router", { mandatory: true })));
    await bindEphemeral(router.socket);
    expect(router.socket.sendTimeout).toBe(0);
    await expect(router.send(["nobody", "x"])).rejects.toBeInstanceOf(UnreachableError);
  });

  it("gives every ROUTER sendTimeout 0 unless set: one that is not mandatory drops instead of waiting anyway", () => {
    const router = track(new Channel(createSocket("router")));
    expect(router.socket.sendTimeout).toBe(0);
    const patient = track(new Channel(createSocket("router", { sendTimeout: 50 })));
    expect(patient.socket.sendTimeout).toBe(50);
  });

  it("sends a post's failure to its own callback when given, not to onError", async () => {
    const errors: string[] = [];
    const router = track(new Channel(createSocket("router", { mandatory: true }), { onError: (e) => errors.push(e.code) }));
    await bindEphemeral(router.socket);
    const failed = new Promise<string>((resolve) => router.post(["nobody", "x"], (e) => resolve(e.code)));
    expect(await failed).toBe("ERR_UNREACHABLE");
    expect(errors).toEqual([]);
  });

  it("tells onError which posted message failed, so the owner knows whom it was for", async () => {
    const failed: [string, unknown][] = [];
    const router = track(new Channel(createSocket("router", { mandatory: true }), { onError: (e, message) => failed.push([e.code, message]) }));
    await bindEphemeral(router.socket);
    const message = ["nobody", "x"];
    router.post(message);
    await waitFor(() => failed.length === 1);
    expect(failed[0]![0]).toBe(new UnreachableError("").code);
    expect(failed[0]![1]).toBe(message);
  });

  it("close rejects waiting sends with ClosedError and later sends too", async () => {
    const dealer = new Channel(createSocket("dealer", { immediate: true }));
    dealer.socket.connect(NOBODY);
    const first = dealer.send("1");
    const second = dealer.send("2");
    await dealer.close();
    await expect(first).rejects.toBeInstanceOf(ClosedError);
    await expect(second).rejects.toBeInstanceOf(ClosedError);
    await expect(dealer.send("3")).rejects.toBeInstanceOf(ClosedError);
    await dealer.close(); // idempotent
  });

  it("keeps receiving after a handler throws, reporting the error", async () => {
    const errors: string[] = [];
    const router = track(new Channel(createSocket("router"), { onError: (e) => errors.push(e.code) }));
    const endpoint = await bindEphemeral(router.socket, "inproc");
    let n = 0;
    router.listen(() => {
      n++;
      if (n === 1) throw new Error("boom");
    });
    const dealer = track(new Channel(createSocket("dealer")));
    dealer.socket.connect(endpoint);
    await dealer.send("a");
    await dealer.send("b");
    await waitFor(() => n === 2);
    expect(errors).toEqual(["ERR_SOCKET"]);
  });

  it("lockstep: takes one message per message sent, after the send; close ends a loop that waits", async () => {
    const router = track(new Channel(createSocket("router")));
    const endpoint = await bindEphemeral(router.socket, "inproc");
    const peers: Buffer[] = [];
    router.listen(([id]) => peers.push(id!));
    const dealer = track(new Channel(createSocket("dealer"), { lockstep: true }));
    const got: string[] = [];
    dealer.listen((m) => got.push(String(m[0])));
    dealer.socket.connect(endpoint);
    await dealer.send("hello");
    await waitFor(() => peers.length === 1);
    for (const body of ["one", "two", "three"]) await router.send([peers[0]!, body]);
    await waitFor(() => got.length === 1);
    dealer.post("more"); // one more owed: one more taken, the third waits in zeromq's queue
    await waitFor(() => got.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20)); // room for a wrong third receive to show
    expect(got).toEqual(["one", "two"]);
    expect(dealer.stats().received).toBe(2);
    await dealer.close(); // its loop waits for a send: close must still end it
  });

  it("lockstep: a REQ round-trips request after request", async () => {
    const rep = track(new Channel(createSocket("reply")));
    const endpoint = await bindEphemeral(rep.socket, "inproc");
    rep.listen((m) => rep.post([Buffer.concat([Buffer.from("re:"), m[0]!])]));
    const req = track(new Channel(createSocket("request"), { lockstep: true }));
    const got: string[] = [];
    req.listen((m) => got.push(String(m[0])));
    req.socket.connect(endpoint);
    for (let i = 0; i < 50; i++) {
      req.post(String(i));
      await waitFor(() => got.length === i + 1);
    }
    expect(got[49]).toBe("re:49");
  });

  it("refuses a second listen", async () => {
    const router = track(new Channel(createSocket("router")));
    router.listen(() => {});
    expect(() => router.listen(() => {})).toThrow(/already listening/);
  });
});
