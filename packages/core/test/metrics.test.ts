/** `@zmq-reliable/core/metrics`: stats as Prometheus metrics, the HTTP endpoint, and `--metrics` on the CLI runner. */
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type MetricsServer, parseListen, registerMetrics, serveMetrics } from "../src/metrics/index.js";
import { killAllChildren, spawnNode } from "../src/testing/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/cli-runner.mjs", import.meta.url));
const servers: MetricsServer[] = [];
afterEach(async () => {
  killAllChildren();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A broker-shaped stats() whose values the test changes between scrapes. */
function fakeRole() {
  const role = {
    calls: 0,
    requests: 7,
    stats() {
      role.calls++;
      return {
        requests: role.requests,
        queued: 2,
        queuedBytes: 300,
        running: true,
        state: "active",
        peerState: undefined,
        drops: { "queue-full": 1, "too-large": 0 },
        latency: { window: 2, p50: 10, p90: 20, p99: 30, max: 40, count: 2, sum: 50 },
        node: { stateSent: 4 },
        byService: { echo: { queued: 1, queuedBytes: 10, workers: 2, idleWorkers: 1, inFlight: 1, requests: 5, replies: 4, failures: 1, dropped: 1, drops: { expired: 1 }, latency: { p50: 1, p90: 2, p99: 3, max: 4 } } },
      };
    },
  };
  return role;
}

describe("registerMetrics", () => {
  it("turns stats() into gauges, counters, labelled drops, latency quantiles and per-service families, read on each scrape", async () => {
    const registry = new Registry();
    const role = fakeRole();
    const names = registerMetrics(registry, role, { prefix: "t_", labels: { instance: "a" } });
    expect(names).toEqual(expect.arrayContaining(["t_requests_total", "t_queued", "t_queued_bytes", "t_drops_total", "t_latency_seconds", "t_service_queued", "t_service_drops_total", "t_node_state_sent_total"]));
    role.requests = 9;
    const calls = role.calls;
    const text = await registry.metrics();
    expect(role.calls - calls).toBe(1); // one stats() per scrape, whatever the number of families
    for (const line of [
      "# TYPE t_requests_total counter",
      't_requests_total{instance="a"} 9',
      "# TYPE t_queued gauge",
      't_queued{instance="a"} 2',
      't_queued_bytes{instance="a"} 300',
      't_running{instance="a"} 1',
      't_state{instance="a",state="active"} 1',
      't_drops_total{instance="a",reason="queue-full"} 1',
      't_drops_total{instance="a",reason="too-large"} 0',
      't_latency_seconds{instance="a",quantile="0.5"} 0.01',
      't_latency_seconds{instance="a",quantile="0.99"} 0.03',
      't_latency_seconds{instance="a",quantile="1"} 0.04',
      't_node_state_sent_total{instance="a"} 4',
      't_service_queued{instance="a",service="echo"} 1',
      't_service_idle_workers{instance="a",service="echo"} 1',
      't_service_requests_total{instance="a",service="echo"} 5',
      't_service_drops_total{instance="a",service="echo",reason="expired"} 1',
      't_service_latency_seconds{instance="a",service="echo",quantile="0.9"} 0.002',
    ]) {
      expect(text.split("\n")).toContain(line);
    }
    expect(text).not.toMatch(/peer_state\{/); // undefined: no sample
    await new Promise((r) => setImmediate(r));
    role.requests = 11;
    expect(await registry.metrics()).toMatch(/^t_requests_total\{instance="a"\} 11$/m);
  });
});

describe("serveMetrics", () => {
  it("parses [host:]port: a bare port is loopback", () => {
    expect(parseListen("9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseListen("0.0.0.0:0")).toEqual({ host: "0.0.0.0", port: 0 });
    expect(parseListen("[::1]:80")).toEqual({ host: "::1", port: 80 });
    for (const bad of ["", "x", "1:2:3", "99999", "host:", "tcp://1:2"]) expect(() => parseListen(bad)).toThrow(/--metrics must be/);
  });

  it("serves /metrics, /healthz (liveness) and /readyz (503 when not serving)", async () => {
    const registry = new Registry();
    registerMetrics(registry, fakeRole());
    let serving = true;
    const server = await serveMetrics({ listen: "127.0.0.1:0", registry, health: () => ({ role: "x", state: serving ? "active" : "passive", serving }) });
    servers.push(server);
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const url = `http://${server.address}`;
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/^zmq_reliable_requests_total 7$/m);
    let health = await fetch(`${url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok", role: "x", state: "active", serving: true }]);
    serving = false;
    health = await fetch(`${url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok", role: "x", state: "passive", serving: false }]);
    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: "unavailable", role: "x", state: "passive", serving: false }]);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: "POST" })).status).toBe(405);
  });
});

describe("runCli --metrics", () => {
  const address = (line: string) => /\bmetrics=(127\.0\.0\.1:\d+)\b/.exec(line)![1]!;

  it("serves the role's stats, the process metrics and the health of the bin; the start line gives the address", async () => {
    const child = spawnNode(FIXTURE, ["--metrics", "0"]);
    const url = `http://${address(await child.waitForLine(/^started /))}`;
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^zmq_reliable_requests_total 3$/m);
    expect(text).toMatch(/^zmq_reliable_drops_total\{reason="queue-full"\} 2$/m);
    expect(text).toMatch(/^zmq_reliable_latency_seconds\{quantile="0.99"\} 0.012$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok", role: "fake-bin", pid: child.pid, state: "active", serving: true }]);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    child.process.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("/readyz is 503 while the bin's health says it is not serving (a passive node)", async () => {
    const child = spawnNode(FIXTURE, ["--metrics", "127.0.0.1:0", "--mode", "passive"]);
    const url = `http://${address(await child.waitForLine(/^started /))}`;
    const ready = await fetch(`${url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: "unavailable", role: "fake-bin", pid: child.pid, state: "passive", serving: false }]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.process.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("a bad --metrics is bad usage (exit 2); a taken port is a failed start (exit 1, one line), after closing the role", async () => {
    const bad = spawnNode(FIXTURE, ["--metrics", "nowhere"]);
    expect(await bad.exited).toEqual({ code: 2, signal: null });
    expect(bad.stderr).toBe('fake-bin: --metrics must be [host:]port, got "nowhere" (see fake-bin --help)\n');
    const first = spawnNode(FIXTURE, ["--metrics", "0"]);
    const taken = address(await first.waitForLine(/^started /));
    const second = spawnNode(FIXTURE, ["--metrics", taken]);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.stderr.split("\n").filter((l) => l.startsWith("fake-bin: "))).toEqual([expect.stringMatching(new RegExp(`^fake-bin: cannot start: --metrics ${taken}: .*EADDRINUSE`))]);
    expect(second.lines).toContain("closing");
  });
});
