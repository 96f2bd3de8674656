import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import {
  type RequestClientAction,
  type RequestClientInput,
  RequestClient,
  RequestClientState,
  type RequestClientStateOptions,
  RotationPolicy,
  Timer,
  VotingPolicy,
  WAKE,
  ProtocolError,
} from "../src/index.js";
import { FakeClock } from "../src/testing/index.js";
import { waitFor } from "../src/testing/index.js";

const b = (s: string) => Buffer.from(s);

/** Drives a RequestClientState like the Driver does, on a FakeClock, recording what it asks for. */
function harness(options: Partial<RequestClientStateOptions> & { endpoints?: string[] } = {}) {
  const clock = new FakeClock(1000);
  const machine = new RequestClientState({
    policy: options.policy ?? new RotationPolicy(options.endpoints ?? ["A"]),
    concurrency: 1,
    maxQueued: 100,
    attempts: 3,
    timeout: 100,
    ...options,
  });
  const sends: { at: number; channel: string; frames: Buffer[] }[] = [];
  const opened = new Map<string, string>();
  const closed: string[] = [];
  const events: { event: string; payload: Record<string, unknown> }[] = [];
  const settled = new Map<number, { value?: Buffer[]; error?: { code: string; name: string } }>();
  let nextCall = 1;
  const timer = new Timer(clock, () => feed(WAKE));
  const feed = (input: RequestClientInput) => {
    for (const a of machine.handle(input, clock.now()) as RequestClientAction[]) {
      if (a.type === "send") sends.push({ at: clock.now(), channel: a.channel, frames: a.frames as Buffer[] });
      else if (a.type === "open") opened.set(a.channel, a.endpoint);
      else if (a.type === "close") closed.push(a.channel);
      else if (a.type === "emit") events.push({ event: a.event, payload: a.args[0] as Record<string, unknown> });
      else if (a.type === "settle") settled.set(a.call, "error" in a ? { error: a.error } : { value: a.value });
    }
    const at = machine.wakeAt();
    if (Number.isFinite(at)) timer.at(at);
    else timer.cancel();
  };
  const request = (body: string, extra: Partial<Extract<RequestClientInput, { type: "request" }>> = {}) => {
    const call = nextCall++;
    feed({ type: "request", call, frames: [b(body)], ...extra });
    return call;
  };
  const reply = (channel: string, body: string) => feed({ type: "message", channel, message: [b(body)] });
  const named = (event: string) => events.filter((e) => e.event === event).map((e) => e.payload);
  const lastSend = () => sends[sends.length - 1]!;
  return { clock, machine, feed, request, reply, sends, opened, closed, events, named, settled, lastSend };
}

describe("RequestClientState (FakeClock)", () => {
  it("retries on a fresh socket at each timeout, then gives up after `attempts` sends", () => {
    const h = harness({ attempts: 3, timeout: 100 });
    const call = h.request("q");
    expect(h.sends.map((s) => s.at)).toEqual([1000]);
    h.clock.advance(99);
    expect(h.sends).toHaveLength(1);
    h.clock.advance(1);
    expect(h.sends.map((s) => s.at)).toEqual([1000, 1100]);
    expect(h.closed).toEqual([h.sends[0]!.channel]); // the old socket is closed before the retry
    expect(h.sends[1]!.channel).not.toBe(h.sends[0]!.channel);
    h.clock.advance(200);
    expect(h.sends.map((s) => s.at)).toEqual([1000, 1100, 1200]);
    expect(h.settled.get(call)!.error).toMatchObject({ code: "ERR_SERVICE_UNAVAILABLE", attempts: 3, endpoints: ["A", "A", "A"] });
    expect(h.named("retry")).toEqual([
      { request: call, attempt: 2, endpoint: "A", previous: "A", reason: "timeout" },
      { request: call, attempt: 3, endpoint: "A", previous: "A", reason: "timeout" },
    ]);
    expect(h.named("give-up")).toHaveLength(1);
    expect(h.machine.stats()).toMatchObject({ requests: 1, replies: 0, failures: 1, retries: 2, timeouts: 3, sends: 3, reconnects: 2, openSockets: 0, inFlight: 0 });
    expect(h.machine.wakeAt()).toBe(Number.POSITIVE_INFINITY);
  });

  it("answers with the reply and keeps the socket idle for the next call", () => {
    const h = harness();
    const first = h.request("1");
    h.reply(h.lastSend().channel, "r1");
    expect(h.settled.get(first)).toEqual({ value: [b("r1")] });
    const second = h.request("2");
    expect(h.sends[1]!.channel).toBe(h.sends[0]!.channel);
    h.reply(h.lastSend().channel, "r2");
    expect(h.settled.get(second)).toEqual({ value: [b("r2")] });
    expect(h.machine.stats()).toMatchObject({ replies: 2, socketsOpened: 1, openSockets: 1, idleSockets: 1 });
  });

  it("fails over across endpoints (sticky) and later calls start where the answer came from", () => {
    const h = harness({ endpoints: ["A", "B"], attempts: 2 });
    const call = h.request("x");
    h.clock.advance(100);
    expect(h.named("failover")).toEqual([{ request: call, from: "A", to: "B", reason: "timeout" }]);
    expect(h.opened.get(h.lastSend().channel)).toBe("B");
    h.reply(h.lastSend().channel, "ok");
    h.request("y");
    expect(h.opened.get(h.lastSend().channel)).toBe("B");
    expect(h.machine.stats()).toMatchObject({ failovers: 1, replies: 1, timeouts: 1 });
  });

  it("drops a stale reply (a socket whose attempt is over) and a malformed one (validate), then retries at the timeout", () => {
    const h = harness({ validate: (reply, request) => reply[0]!.equals(request[0]!) });
    const call = h.request("7");
    const first = h.lastSend().channel;
    h.reply(first, "999"); // malformed: the attempt waits for its timeout
    expect(h.settled.has(call)).toBe(false);
    h.clock.advance(100);
    h.reply(first, "7"); // stale: the socket was retired
    expect(h.settled.has(call)).toBe(false);
    h.reply(h.lastSend().channel, "7");
    expect(h.settled.get(call)).toEqual({ value: [b("7")] });
    expect(h.named("drop").map((d) => d.reason)).toEqual(["malformed", "stale"]);
    expect(h.machine.stats()).toMatchObject({ dropped: 2, malformed: 1, stale: 1, retries: 1, replies: 1 });
  });

  it("a decode that throws rejects the call with its error and discards the socket", () => {
    const h = harness();
    const call = h.request("x", {
      decode: () => {
        throw new ProtocolError("bad header");
      },
    });
    h.reply(h.lastSend().channel, "junk");
    expect(h.settled.get(call)!.error).toMatchObject({ code: "ERR_PROTOCOL" });
    expect(h.machine.stats()).toMatchObject({ failures: 1, openSockets: 0 });
  });

  it("queues calls FIFO beyond `concurrency`; each timeout counts from its own send; maxQueued bounds the wait", () => {
    const h = harness({ concurrency: 2, maxQueued: 1, attempts: 1 });
    const [c1, c2, c3] = [h.request("1"), h.request("2"), h.request("3")];
    const c4 = h.request("4");
    expect(h.settled.get(c4)!.error).toMatchObject({ code: "ERR_BACKPRESSURE" });
    expect(h.machine.stats()).toMatchObject({ inFlight: 2, queued: 1, openSockets: 2 });
    h.clock.advance(50);
    h.reply(h.sends[0]!.channel, "r1");
    expect(h.settled.get(c1)).toEqual({ value: [b("r1")] });
    // call 3 goes out now, on the socket call 1 freed, and times out 100 ms later, not at 1100
    expect(h.sends.map((s) => [s.at, s.frames[0]!.toString()])).toEqual([
      [1000, "1"],
      [1000, "2"],
      [1050, "3"],
    ]);
    h.clock.advance(50);
    expect(h.settled.get(c2)!.error).toMatchObject({ code: "ERR_SERVICE_UNAVAILABLE" });
    expect(h.settled.has(c3)).toBe(false);
    h.clock.advance(50);
    expect(h.settled.get(c3)!.error).toMatchObject({ code: "ERR_SERVICE_UNAVAILABLE" });
  });

  it("cancel (abort) forgets a call, queued or in flight, closes its socket and lets the next one go", () => {
    const h = harness();
    const inFlight = h.request("1");
    const queued = h.request("2");
    const third = h.request("3");
    h.feed({ type: "cancel", call: queued });
    h.feed({ type: "cancel", call: inFlight });
    expect(h.closed).toEqual([h.sends[0]!.channel]);
    expect(h.sends.map((s) => s.frames[0]!.toString())).toEqual(["1", "3"]);
    h.reply(h.sends[0]!.channel, "late"); // the aborted call's socket is gone: ignored
    h.reply(h.lastSend().channel, "r3");
    expect(h.settled.get(third)).toEqual({ value: [b("r3")] });
    expect(h.settled.has(inFlight) || h.settled.has(queued)).toBe(false); // the driver rejected them already
    expect(h.machine.stats()).toMatchObject({ aborted: 2, failures: 2, replies: 1, inFlight: 0, queued: 0 });
  });

  it("a whole-call deadline rejects with TimeoutError, queued or in flight, counted from the call", () => {
    const h = harness({ attempts: 100 });
    const running = h.request("1", { deadline: 250 });
    const waiting = h.request("2", { deadline: 120 });
    h.clock.advance(120);
    expect(h.settled.get(waiting)!.error).toMatchObject({ code: "ERR_TIMEOUT" });
    h.clock.advance(130);
    expect(h.settled.get(running)!.error).toMatchObject({ code: "ERR_TIMEOUT" });
    expect(h.machine.stats()).toMatchObject({ failures: 2, openSockets: 0 });
  });

  it("close rejects every call with the given error, closes every socket and refuses later calls", () => {
    const h = harness();
    const a = h.request("1");
    const c = h.request("2");
    h.feed({ type: "close", error: new ProtocolError("x") as never });
    expect(h.settled.get(a)!.error).toMatchObject({ code: "ERR_PROTOCOL" });
    expect(h.settled.get(c)!.error).toMatchObject({ code: "ERR_PROTOCOL" });
    const later = h.request("3");
    expect(h.settled.get(later)!.error).toMatchObject({ code: "ERR_CLOSED" });
    expect(h.machine.stats()).toMatchObject({ openSockets: 0, inFlight: 0, queued: 0 });
    expect(h.machine.wakeAt()).toBe(Number.POSITIVE_INFINITY);
  });

  it("a socket that cannot be opened rejects its call", () => {
    const h = harness();
    const call = h.request("1");
    h.feed({ type: "open-failed", channel: h.lastSend().channel, error: new ProtocolError("no") as never });
    expect(h.settled.get(call)!.error).toMatchObject({ code: "ERR_PROTOCOL" });
    expect(h.machine.stats().openSockets).toBe(0);
  });

  it("Binary Star voting: a lost connection fails over at once, votes go out every voteInterval, a late reply in the last window counts", () => {
    const h = harness({ policy: new VotingPolicy(["P", "B"], { timeout: 100, settleDelay: 200, voteInterval: 25 }) });
    const call = h.request("x");
    const first = h.lastSend().channel;
    h.clock.advance(10);
    h.feed({ type: "link", channel: first, up: false });
    expect(h.named("failover")).toEqual([{ request: call, from: "P", to: "B", reason: "unreachable" }]);
    expect(h.sends.map((s) => [s.at, h.opened.get(s.channel)])).toEqual([
      [1000, "P"],
      [1010, "B"],
    ]);
    h.clock.advance(50);
    expect(h.sends.map((s) => s.at)).toEqual([1000, 1010, 1035, 1060]);
    expect(h.named("retry").map((r) => r.reason)).toEqual(["unreachable", "vote", "vote"]);
    // An earlier vote's socket is still open: its reply is taken.
    h.reply(h.sends[1]!.channel, "from B");
    expect(h.settled.get(call)).toEqual({ value: [b("from B")] });
    expect(h.machine.policy.current).toBe(1);
    expect(h.machine.stats()).toMatchObject({ replies: 1, failovers: 1, retries: 3, openSockets: 1 });
  });

  it("Binary Star: an idle socket known to be down makes the next call fail over at once", () => {
    const h = harness({ policy: new VotingPolicy(["P", "B"], { timeout: 100, settleDelay: 200, voteInterval: 25 }) });
    h.request("1");
    const socket = h.lastSend().channel;
    h.reply(socket, "r");
    h.feed({ type: "link", channel: socket, up: false });
    const call = h.request("2");
    expect(h.named("failover")).toEqual([{ request: call, from: "P", to: "B", reason: "unreachable" }]);
    expect(h.opened.get(h.lastSend().channel)).toBe("B");
  });
});

describe("RequestClient (real sockets)", () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    await Promise.all(cleanup.splice(0).map((f) => f()));
  });

  it("retries on a fresh REQ socket (new identity), encodes nothing itself, closes with ClosedError", async () => {
    const router = new zmq.Router({ linger: 0 });
    cleanup.push(() => router.close());
    await router.bind("tcp://127.0.0.1:*");
    const events: string[] = [];
    const client = new RequestClient({
      name: "TestClient",
      policy: new RotationPolicy([router.lastEndpoint!]),
      timeout: 100,
      attempts: 3,
      emit: (event) => events.push(event),
    });
    cleanup.push(() => client.close());
    const pending = client.request([b("MDPC01"), b("echo"), b("x")], { decode: (reply) => reply.slice(1) });
    const [first] = await router.receive();
    const second = await router.receive(); // the retry, after 100 ms without reply
    expect(second[0]!.equals(first!)).toBe(false);
    expect(second.slice(1).map(String)).toEqual(["", "MDPC01", "echo", "x"]);
    await router.send([first!, "", "late"]); // to the closed socket: never seen
    await router.send([second[0]!, "", "hdr", "on-time"]);
    expect((await pending).map(String)).toEqual(["on-time"]);
    expect(events).toEqual(["retry", "reconnect"]);
    expect(client.stats()).toMatchObject({ replies: 1, retries: 1, openSockets: 1, idleSockets: 1 });
    const hanging = client.request([b("y")]).catch((e: unknown) => e);
    await waitFor(() => client.stats().sends === 3);
    await client.close();
    expect(await hanging).toMatchObject({ code: "ERR_CLOSED" });
    await expect(client.request([b("z")])).rejects.toMatchObject({ code: "ERR_CLOSED" });
    expect(client.stats()).toMatchObject({ openSockets: 0, inFlight: 0 });
  });

  it("close({ timeout }) refuses new calls at once, lets a call in flight finish, then rejects what is left", async () => {
    const router = new zmq.Router({ linger: 0 });
    cleanup.push(() => router.close());
    await router.bind("tcp://127.0.0.1:*");
    const client = new RequestClient({ name: "TestClient", policy: new RotationPolicy([router.lastEndpoint!]), timeout: 5000, attempts: 1, concurrency: 1 });
    cleanup.push(() => client.close());
    const answered = client.request([b("first")]);
    const queued = client.request([b("second")]).catch((e: unknown) => e);
    const [id] = await router.receive();
    const closing = client.close({ timeout: 5000 });
    await expect(client.request([b("late")])).rejects.toMatchObject({ code: "ERR_CLOSED" });
    await router.send([id!, "", "reply"]);
    expect((await answered).map(String)).toEqual(["reply"]);
    const [id2] = await router.receive(); // the queued call goes out once the slot frees, and is not answered
    expect(id2).toBeDefined();
    const closingWithin = client.close({ timeout: 5000 }); // idempotent: the same close
    expect(closingWithin).toBe(closing);
    // a call accepted before close() is still served: answering it ends the drain
    await router.send([id2!, "", "second reply"]);
    expect(((await queued) as Buffer[]).map(String)).toEqual(["second reply"]);
    await closing;
    expect(client.stats()).toMatchObject({ openSockets: 0, inFlight: 0, replies: 2 });
  });

  it("close({ timeout }) rejects a call still unanswered when the timeout passes", async () => {
    const router = new zmq.Router({ linger: 0 });
    cleanup.push(() => router.close());
    await router.bind("tcp://127.0.0.1:*");
    const client = new RequestClient({ name: "TestClient", policy: new RotationPolicy([router.lastEndpoint!]), timeout: 5000, attempts: 1 });
    cleanup.push(() => client.close());
    const hanging = client.request([b("x")]).catch((e: unknown) => e);
    await router.receive();
    await client.close({ timeout: 50 });
    expect(await hanging).toMatchObject({ code: "ERR_CLOSED" });
  });
});
