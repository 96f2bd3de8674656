import { afterEach, describe, expect, it } from "vitest";
import {
  bindEphemeral,
  Channel,
  createSocket,
  InvalidOptionError,
  type LinkIncoming,
  poolPhase,
  SocketError,
  sumLinkStats,
  WorkerLink,
  type WorkerLinkStats,
  WorkerLinkPool,
  workerConcurrency,
} from "../src/index.js";
import { waitFor } from "../src/testing/index.js";

describe("workerConcurrency", () => {
  it("is 1 when not given, and takes integers from 1 to 1024", () => {
    expect(workerConcurrency(undefined)).toBe(1);
    expect(workerConcurrency(1)).toBe(1);
    expect(workerConcurrency(1024)).toBe(1024);
  });

  it("refuses anything else with an InvalidOptionError naming concurrency", () => {
    for (const bad of [0, -3, 2.5, 1025, Number.NaN, Number.POSITIVE_INFINITY, "4", null]) {
      expect(() => workerConcurrency(bad)).toThrow(InvalidOptionError);
      expect(() => workerConcurrency(bad)).toThrow(`concurrency must be an integer from 1 to 1024, got ${String(bad)}`);
    }
  });
});

const stats = (n: number, drops: Record<string, number>): WorkerLinkStats => ({
  requests: n,
  replies: n,
  failures: 0,
  dropped: n,
  drops,
  inFlight: 1,
  queued: 0,
  connects: 1,
  expired: 0,
  heartbeatsSent: 10 * n,
  heartbeatsReceived: n,
  disconnectsReceived: 0,
});

describe("sumLinkStats and poolPhase", () => {
  it("one session's counters come back as they are", () => {
    const one = stats(3, { closing: 1 });
    expect(sumLinkStats([one])).toBe(one);
  });

  it("adds every counter up and merges drops by reason, without touching the inputs", () => {
    const a = stats(1, { closing: 1 });
    const b = stats(2, { closing: 2, "stale-reply": 1 });
    expect(sumLinkStats([a, b])).toEqual({ ...stats(3, { closing: 3, "stale-reply": 1 }), inFlight: 2, connects: 2 });
    expect(a.drops).toEqual({ closing: 1 });
  });

  it("one phase when every session agrees; otherwise closing, connected, waiting in that order", () => {
    expect(poolPhase(["idle"])).toBe("idle");
    expect(poolPhase(["closed", "closed"])).toBe("closed");
    expect(poolPhase(["connected", "waiting"])).toBe("connected");
    expect(poolPhase(["connected", "closing", "closed"])).toBe("closing");
    expect(poolPhase(["waiting", "idle"])).toBe("waiting");
    expect(poolPhase(["idle", "closed"])).toBe("idle");
  });
});

// A toy wire: READY "R", HEARTBEAT "H", request ["Q", body], reply ["A", body].
const toy = {
  ready: () => ["R"],
  heartbeat: () => ["H"],
  reply: (_request: null, body: (string | Buffer | Uint8Array)[]) => ["A", ...body],
  classify: (frames: Buffer[]): LinkIncoming<null, "bad"> => (String(frames[0]) === "H" ? { type: "heartbeat" } : { type: "malformed", reason: "bad" }),
  onHandlerError: "ready" as const,
};

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A toy link to `endpoint`. */
function toyLink(endpoint: string): WorkerLink<null, "bad"> {
  return new WorkerLink<null, "bad">({
    name: "ToyWorker",
    what: "toy worker",
    wire: toy,
    lines: [[endpoint]],
    heartbeatInterval: 30,
    liveness: 3,
    reconnect: { initial: 20, max: 80 },
    closeLinger: 50,
    handle: () => [],
    emit: () => {},
  });
}

describe("WorkerLinkPool", () => {
  it("starts and closes every session; the peer sees one READY per session", async () => {
    const peer = new Channel(createSocket("router"));
    open.push(peer);
    const endpoint = await bindEphemeral(peer.socket, "tcp");
    const ready = new Set<string>();
    peer.listen((m) => void (String(m[1]) === "R" && ready.add(m[0]!.toString("hex"))));
    const pool = new WorkerLinkPool<null, "bad">(3, () => toyLink(endpoint));
    open.push({ close: () => pool.close(0) });
    await pool.start();
    await pool.start(); // idempotent
    await waitFor(() => ready.size === 3, { timeout: 5000 });
    expect(pool.phase).toBe("connected");
    expect(pool.stats().connects).toBe(3);
    await pool.close(0);
    expect(pool.links.map((l) => l.phase)).toEqual(["closed", "closed", "closed"]);
  });

  it("a start() that fails in one session closes and replaces the sessions that started, and rejects with the failure", async () => {
    const peer = new Channel(createSocket("router"));
    open.push(peer);
    const endpoint = await bindEphemeral(peer.socket, "tcp");
    const made: WorkerLink<null, "bad">[] = [];
    const pool = new WorkerLinkPool<null, "bad">(2, (i) => {
      made.push(toyLink(i === 0 ? endpoint : "nonsense://nowhere"));
      return made.at(-1)!;
    });
    open.push({ close: () => pool.close(0) });
    await expect(pool.start()).rejects.toThrow(SocketError);
    expect(made).toHaveLength(3); // session 0 started, then was closed and replaced
    expect(made[0]!.phase).toBe("closed");
    expect(pool.links[0]).toBe(made[2]);
    expect(pool.links[1]).toBe(made[1]);
    expect(pool.phase).toBe("idle");
  });
});
