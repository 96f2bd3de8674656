/** RequestClient stats().latency: request() call → reply, successful calls only (issue 13). */
import * as zmq from "zeromq";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type RequestClientAction, RequestClient, RequestClientState, RotationPolicy } from "../src/index.js";
import { registerMetrics } from "../src/metrics/index.js";

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const b = (s: string) => Buffer.from(s);

describe("RequestClientState latency", () => {
  it("measures call → reply on the clock it is given; failed calls are not measured", () => {
    const machine = new RequestClientState({ policy: new RotationPolicy(["A"]), timeout: 100, attempts: 2, concurrency: 1, maxQueued: 10 });
    const sent = (actions: RequestClientAction[]) => actions.filter((a) => a.type === "send").map((a) => (a as { channel: string }).channel);
    const call = (id: number, now: number) => sent(machine.handle({ type: "request", call: id, frames: [b(String(id))] }, now))[0]!;
    const reply = (channel: string, now: number) => machine.handle({ type: "message", channel, message: [b("ok")] }, now);
    expect(machine.stats(0).latency).toEqual({ window: 0, p50: 0, p90: 0, p99: 0, max: 0, count: 0, sum: 0 });
    reply(call(1, 1000), 1010); // 10 ms
    const first = call(2, 2000);
    const retry = sent(machine.handle({ type: "wake" }, 2100))[0]!; // timed out: retried on a fresh socket
    expect(retry).not.toBe(first);
    reply(retry, 2140); // 140 ms, the retry included
    call(3, 3000);
    machine.handle({ type: "wake" }, 3100);
    machine.handle({ type: "wake" }, 3200); // gave up: a failure, not measured
    expect(machine.stats().failures).toBe(1);
    expect(machine.stats(3200).latency).toEqual({ window: 2, p50: 10, p90: 140, p99: 140, max: 140, count: 2, sum: 150 });
  });
});

describe("RequestClient latency", () => {
  it("reports a count and p50 > 0 over real sockets, and registerMetrics turns it into quantile gauges", async () => {
    const rep = new zmq.Reply({ linger: 0 });
    open.push(rep);
    await rep.bind("tcp://127.0.0.1:*");
    void (async () => {
      for await (const [msg] of rep) {
        await new Promise((r) => setTimeout(r, 2)); // some work, so every latency is above 0
        await rep.send(msg!);
      }
    })().catch(() => undefined);
    const client = new RequestClient({ name: "latency", policy: new RotationPolicy([rep.lastEndpoint!]), timeout: 2000 });
    open.push(client);
    for (const body of ["a", "b", "c"]) expect((await client.request([b(body)])).map(String)).toEqual([body]);
    const { latency } = client.stats();
    expect(latency.count).toBe(3);
    expect(latency.p50).toBeGreaterThan(0);
    const registry = new Registry();
    expect(registerMetrics(registry, client, { prefix: "c_" })).toContain("c_latency_seconds");
    const text = await registry.metrics();
    expect(Number(/^c_latency_seconds\{quantile="0\.5"\} (\S+)$/m.exec(text)?.[1])).toBeCloseTo(latency.p50 / 1000, 2);
    expect(text).toMatch(/^c_latency_seconds\{quantile="1"\} /m);
  });
});
