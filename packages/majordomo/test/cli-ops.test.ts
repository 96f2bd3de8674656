/** `majordomo-broker --metrics` and the graceful drain on SIGTERM, as a process (issue 13). */
import { fileURLToPath } from "node:url";
import { killAllChildren, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MajordomoClient, MajordomoWorker } from "../src/index.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const closers: (() => unknown)[] = [];
afterEach(async () => {
  await killAllChildren();
  for (const c of closers.splice(0).reverse()) await c();
});

async function startCli(heartbeat: number, ...args: string[]) {
  const child = spawnNode(CLI, ["--bind", "tcp://127.0.0.1:*", "--heartbeat", String(heartbeat), ...args]);
  const line = await child.waitForLine(/^started /);
  return { child, line, endpoint: /^started bind=(\S+) /.exec(line)![1]!, metrics: /\bmetrics=(\S+)/.exec(line)?.[1] };
}

describe("majordomo-broker for operations", () => {
  it("--metrics serves the broker's figures per service and /healthz", async () => {
    // heartbeats of 1 s: on a loaded machine the worker must not expire (and register again) before the scrape
    const { child, endpoint, metrics } = await startCli(1000, "--metrics", "0");
    expect(metrics).toMatch(/^127\.0\.0\.1:\d+$/);
    const worker = new MajordomoWorker({ endpoint, service: "echo", handler: (b) => b, heartbeatInterval: 1000 });
    closers.push(() => worker.close());
    await worker.start();
    const client = new MajordomoClient({ endpoint, timeout: 1000, attempts: 5 });
    closers.push(() => client.close());
    expect((await client.request("echo", "x")).map(String)).toEqual(["x"]);
    const text = await (await fetch(`http://${metrics}/metrics`)).text();
    for (const line of [
      /^zmq_reliable_requests_total 1$/m,
      /^zmq_reliable_replies_total 1$/m,
      /^zmq_reliable_workers 1$/m,
      /^zmq_reliable_drops_total\{reason="draining"\} 0$/m,
      /^zmq_reliable_latency_seconds\{quantile="0.99"\} [\d.e-]+$/m,
      /^zmq_reliable_service_requests_total\{service="echo"\} 1$/m,
      /^zmq_reliable_service_idle_workers\{service="echo"\} 1$/m,
      /^zmq_reliable_service_queued\{service="echo"\} 0$/m,
      /^zmq_reliable_service_latency_seconds\{service="echo",quantile="0.5"\} [\d.e-]+$/m,
    ]) {
      expect(text).toMatch(line);
    }
    const health = await fetch(`http://${metrics}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok", role: "majordomo-broker", pid: child.pid, serving: true }]);
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("on SIGTERM delivers the reply of a request a slow worker holds before it exits", async () => {
    const { child, endpoint } = await startCli(50, "--drain-timeout", "5000");
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    let started = 0;
    const worker = new MajordomoWorker({
      endpoint,
      service: "slow",
      heartbeatInterval: 50,
      handler: async (b) => {
        started++;
        await released;
        return ["done", ...b];
      },
    });
    closers.push(() => worker.close({ timeout: 500 }));
    await worker.start();
    const client = new MajordomoClient({ endpoint, timeout: 10_000, attempts: 1 });
    closers.push(() => client.close());
    const reply = client.request("slow", "held");
    await waitFor(() => started === 1, { timeout: 5000 });
    child.process.kill("SIGTERM");
    await waitFor(() => /draining/.test(child.stderr), { timeout: 5000, message: child.stderr });
    release();
    expect((await reply).map(String)).toEqual(["done", "held"]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
