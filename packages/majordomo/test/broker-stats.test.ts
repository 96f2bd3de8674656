import type { Frame } from "@zmq-reliable/core";
import { EMPTY } from "@zmq-reliable/core";
import { MachineHarness } from "@zmq-reliable/core/testing";
import { describe, expect, it } from "vitest";
import type { BrokerAction, BrokerStateEvent, BrokerStateOptions } from "../src/index.js";
import { BrokerState } from "../src/index.js";
import { bufs, show } from "./helpers.js";

function harness(options: Partial<BrokerStateOptions> = {}) {
  const events: BrokerStateEvent[] = [];
  const sent: string[][] = [];
  const h = new MachineHarness(
    (now) => new BrokerState({ heartbeatInterval: 1000, liveness: 3, requestExpiry: 500, maxAttempts: 3, ...options }, now),
    {
      start: 1000,
      perform: (action: BrokerAction) => {
        if (action.type === "emit") events.push(action.args[0] as BrokerStateEvent);
        else sent.push(show(action.frames));
      },
    },
  );
  return { h, events, sent, recv: (...frames: Frame[]) => h.feed({ type: "message", channel: "router", message: bufs(frames) }) };
}
const C = (id: string, service: string, ...body: Frame[]) => [id, EMPTY, "MDPC01", service, ...body];
const READY = (id: string, service: string) => [id, EMPTY, "MDPW01", Buffer.from([1]), service];
const REPLY = (id: string, client: string, ...body: Frame[]) => [id, EMPTY, "MDPW01", Buffer.from([3]), client, EMPTY, ...body];

describe("BrokerState: stats per service and latency", () => {
  it("counts each service's requests, replies, workers and queue, and the reply latency on the clock", () => {
    const { h, recv } = harness();
    recv(...READY("W1", "echo"));
    recv(...READY("W2", "echo"));
    recv(...C("C1", "echo", "a"));
    h.clock.advance(30);
    recv(...REPLY("W1", "C1", "A"));
    recv(...C("C2", "echo", "b"));
    recv(...C("C3", "echo", "c"));
    recv(...C("C4", "echo", "d")); // both workers busy: queued
    h.clock.advance(10);
    recv(...REPLY("W2", "C2", "B")); // 10 ms; W2 takes C4's
    recv(...C("C5", "slow", "x")); // no worker: queued
    const s = h.machine.stats(h.clock.now());
    expect(s.byService.echo).toEqual({
      queued: 0,
      queuedBytes: 0,
      workers: 2,
      idleWorkers: 0,
      inFlight: 2,
      requests: 4,
      replies: 2,
      failures: 0,
      dropped: 0,
      drops: {},
      latency: { window: 2, p50: 10, p90: 30, p99: 30, max: 30, count: 2, sum: 40 },
    });
    expect(s.byService.slow).toMatchObject({ queued: 1, workers: 0, idleWorkers: 0, inFlight: 0, requests: 1, replies: 0, latency: { window: 0, count: 0 } });
    expect(s.latency).toMatchObject({ window: 2, p50: 10, p99: 30, count: 2 });
  });

  it("counts a service's drops by reason as failures, and forgets its figures with it", () => {
    const { h, recv } = harness({ maxQueuedPerService: 1 });
    recv(...C("C1", "ghost", "a"));
    recv(...C("C2", "ghost", "b")); // service-queue-full
    expect(h.machine.stats().byService.ghost).toMatchObject({ queued: 1, requests: 2, failures: 1, dropped: 1, drops: { "service-queue-full": 1 } });
    h.clock.advance(600); // request-expired: the service has nothing left and is forgotten
    expect(h.machine.stats().byService).toEqual({});
    expect(h.machine.stats().drops).toMatchObject({ "service-queue-full": 1, "request-expired": 1 });
  });

  it("keeps latency percentiles over the last minute only", () => {
    const { h, recv } = harness({ heartbeatInterval: 100_000 });
    recv(...READY("W1", "echo"));
    recv(...C("C1", "echo", "a"));
    h.clock.advance(50);
    recv(...REPLY("W1", "C1", "A"));
    expect(h.machine.stats(h.clock.now()).byService.echo!.latency).toMatchObject({ window: 1, p50: 50 });
    h.clock.advance(60_001);
    expect(h.machine.stats(h.clock.now()).byService.echo!.latency).toEqual({ window: 0, p50: 0, p90: 0, p99: 0, max: 0, count: 1, sum: 50 });
  });
});

describe("BrokerState: drain", () => {
  it("drops queued and new requests (draining), forwards the replies workers owe, then says drained once", () => {
    const { h, recv, events, sent } = harness();
    recv(...READY("W1", "echo"));
    recv(...C("C1", "echo", "a")); // in W1's hands
    recv(...C("C2", "echo", "b")); // queued
    h.feed({ type: "drain" });
    recv(...C("C3", "echo", "c")); // new while draining
    expect(events.filter((e) => e.type === "drop").map((e) => e.type === "drop" && [e.reason, e.peer])).toEqual([
      ["draining", Buffer.from("C2").toString("hex")],
      ["draining", Buffer.from("C3").toString("hex")],
    ]);
    expect(events.some((e) => e.type === "drained")).toBe(false);
    sent.splice(0);
    recv(...REPLY("W1", "C1", "A"));
    expect(sent).toEqual([["C1", "", "MDPC01", "echo", "A"]]); // and no new REQUEST to W1
    expect(events.filter((e) => e.type === "drained")).toEqual([{ type: "drained" }]);
    h.feed({ type: "drain" });
    recv(...C("C4", "echo", "d"));
    expect(events.filter((e) => e.type === "drained")).toHaveLength(1);
    expect(h.machine.stats()).toMatchObject({ replies: 1, drops: { draining: 3 }, byService: { echo: { failures: 3, drops: { draining: 3 } } } });
  });

  it("says drained at once when workers hold nothing", () => {
    const { h, events } = harness();
    h.feed({ type: "drain" });
    expect(events).toEqual([{ type: "drained" }]);
  });
});
