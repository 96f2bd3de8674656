import { afterEach, describe, expect, it } from "vitest";
import {
  bindEphemeral,
  Channel,
  ClosedError,
  createSocket,
  type LinkIncoming,
  SocketError,
  WorkerLink,
  type WorkerLinkShellOptions,
  type WorkerWire,
} from "../src/index.js";
import { waitFor } from "../src/testing/index.js";

// A toy wire over a DEALER: READY "R", HEARTBEAT "H", DISCONNECT "D", request ["Q", id, body…], reply ["A", id, body…].
interface Req {
  id: Buffer;
  body: Buffer[];
}
const wire: WorkerWire<Req, "bad"> = {
  ready: () => ["R"],
  heartbeat: () => ["H"],
  disconnect: () => ["D"],
  reply: (req, body) => ["A", req.id, ...body],
  classify(frames): LinkIncoming<Req, "bad"> {
    const cmd = String(frames[0] ?? "");
    if (cmd === "H" && frames.length === 1) return { type: "heartbeat" };
    if (cmd === "D" && frames.length === 1) return { type: "disconnect" };
    if (cmd === "Q" && frames.length >= 3) return { type: "request", request: { id: frames[1]!, body: frames.slice(2) } };
    return { type: "malformed", reason: "bad" };
  },
  onHandlerError: "ready",
};

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A raw ROUTER peer that records what it gets, with the sender's id in front. */
async function peer() {
  const router = new Channel(createSocket("router"));
  open.push(router);
  const endpoint = await bindEphemeral(router.socket, "tcp");
  const got: Buffer[][] = [];
  router.listen((m) => got.push(m));
  const next = (pred: (m: string[]) => boolean, from = 0) =>
    waitFor(() => got.slice(from).find((m) => pred(m.slice(1).map(String))), { timeout: 5000 });
  return { router, endpoint, got, next };
}

function link(endpoint: string, options: Partial<WorkerLinkShellOptions<Req, "bad">> = {}) {
  const events: [string, unknown][] = [];
  const l = new WorkerLink<Req, "bad">({
    name: "ToyWorker",
    what: "toy worker",
    wire,
    lines: [[endpoint]],
    heartbeatInterval: 30,
    liveness: 3,
    reconnect: { initial: 20, max: 80 },
    closeLinger: 100,
    handle: (job) => job.request.body,
    emit: (event, ...args) => events.push([event, args[0]]),
    ...options,
  });
  open.push({ close: () => l.close(0) });
  return { link: l, events };
}

describe("WorkerLink over a DEALER", () => {
  it("says READY, heartbeats, answers requests through replyFrames ([] is one empty frame)", async () => {
    const p = await peer();
    const { link: l, events } = link(p.endpoint, { handle: (job) => (String(job.request.body[0]) === "empty" ? [] : ["re", ...job.request.body]) });
    await l.start();
    const ready = await p.next((m) => m[0] === "R");
    expect(events[0]).toEqual(["ready", { endpoint: p.endpoint, attempt: 1 }]);
    await p.next((m) => m[0] === "H");
    await p.router.send([ready[0]!, "Q", "c1", "a", "b"]);
    expect((await p.next((m) => m[0] === "A")).slice(1).map(String)).toEqual(["A", "c1", "re", "a", "b"]);
    await p.router.send([ready[0]!, "Q", "c2", "empty"]);
    expect((await p.next((m) => m[0] === "A" && m[1] === "c2")).slice(1).map(String)).toEqual(["A", "c2", ""]);
    expect(l.stats()).toMatchObject({ requests: 2, replies: 2, connects: 1 });
  });

  it("close() lets the request in hand finish, flushes its reply and DISCONNECT, then closes", async () => {
    const p = await peer();
    let release: () => void = () => {};
    const { link: l } = link(p.endpoint, { handle: (job) => new Promise((r) => (release = () => r(job.request.body))) });
    await l.start();
    const ready = await p.next((m) => m[0] === "R");
    await p.router.send([ready[0]!, "Q", "c1", "slow"]);
    await waitFor(() => l.state.busy);
    const closed = l.close(Number.POSITIVE_INFINITY);
    let done = false;
    void closed.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    release();
    await closed;
    const reply = await p.next((m) => m[0] === "A");
    await p.next((m) => m[0] === "D", p.got.indexOf(reply) + 1);
    expect(l.phase).toBe("closed");
  });

  it("close({ timeout }) abandons a stuck handler: its signal aborts and it is dropped", async () => {
    const p = await peer();
    let signal: AbortSignal | undefined;
    const { link: l, events } = link(p.endpoint, {
      handle: (_job, s) => {
        signal = s;
        return new Promise(() => {});
      },
    });
    await l.start();
    const ready = await p.next((m) => m[0] === "R");
    await p.router.send([ready[0]!, "Q", "c1", "stuck"]);
    await waitFor(() => signal !== undefined);
    await l.close(30);
    expect(signal!.aborted).toBe(true);
    expect(events.filter(([e]) => e === "drop")).toEqual([["drop", { reason: "closing", endpoint: p.endpoint }]]);
  });

  it("start() rejects with a SocketError naming an endpoint it cannot connect to, can be retried, and rejects after close", async () => {
    const { link: l, events } = link("nonsense://nowhere");
    const failure = l.start();
    await expect(failure).rejects.toBeInstanceOf(SocketError);
    await expect(failure).rejects.toThrow(/toy worker.*nonsense:\/\/nowhere/);
    expect(l.phase).toBe("idle");
    await expect(l.start()).rejects.toBeInstanceOf(SocketError);
    expect(events).toEqual([]);
    await l.close(0);
    expect(l.phase).toBe("closed");
    await expect(l.start()).rejects.toBeInstanceOf(ClosedError);
  });

  it("reconnects on a fresh socket (a fresh identity) when the peer says DISCONNECT", async () => {
    const p = await peer();
    const { link: l, events } = link(p.endpoint);
    await l.start();
    const first = await p.next((m) => m[0] === "R");
    await p.router.send([first[0]!, "D"]);
    const again = await p.next((m) => m[0] === "R", p.got.indexOf(first) + 1);
    expect(again[0]!.equals(first[0]!)).toBe(false);
    expect(events.find(([e]) => e === "disconnect")).toEqual(["disconnect", { endpoint: p.endpoint, reason: "peer-disconnect", reconnectIn: 20 }]);
  });
});
