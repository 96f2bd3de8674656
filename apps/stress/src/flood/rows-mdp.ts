/**
 * Rows 1-3: the Majordomo broker CLI flooded by raw MDP clients (findings
 * 1-3 of issue 11), with default limits.
 *
 * @module
 */
import { formatMb, type Progress } from "@zmq-reliable/core/testing";
import { type Flood, waitUntil, within, type RowResult, standardChecks, startFlood, startTarget, stopTarget, type Target } from "./harness.js";
import { PROGRAMS } from "./proc.js";
import { RSS_BOUND, type Settings } from "./settings.js";
import { mdpWorker, percentile, Probe, type RawWorker } from "./wire.js";

/** What a scenario gets: the run's settings and the progress line. */
export interface Context {
  /** Sizes and durations. */
  readonly settings: Settings;
  /** The progress line. */
  readonly progress: Progress;
}

/** Normal client requests during a flood: one every 50 ms, each waited for 2500 ms (a default MDP client's timeout). */
const PROBE_PACE = 50;
const PROBE_TIMEOUT = 2500;

/**
 * A progress callback for a row.
 *
 * @param ctx - the context.
 * @param label - the row and phase.
 * @param target - whose RSS to show.
 * @param flood - whose count to show.
 */
export function ticker(ctx: Context, label: string, target: Target, flood?: Flood): () => void {
  return () => ctx.progress.show(`${label}: sent ${flood?.sent.count ?? 0}, target RSS ${formatMb(target.rss.peak)}`);
}

async function startBroker(s: Settings, expiry?: number): Promise<{ target: Target; endpoint: string; echo: RawWorker; probe: Probe }> {
  const args = ["--bind", "tcp://127.0.0.1:*", "--heartbeat", String(s.heartbeat), "--log-format", "json"];
  if (expiry !== undefined) args.push("--request-expiry", String(expiry));
  const target = await startTarget("majordomo-broker", PROGRAMS.majordomo, args);
  target.proc.onLine((line, stream) => {
    if (stream === "stderr" && /"message":"worker \S+ of \\"echo\\" expired/.test(line)) echoExpiries.set(target, (echoExpiries.get(target) ?? 0) + 1);
  });
  const endpoint = target.fields.bind!.split(",")[0]!;
  const echo = mdpWorker(endpoint, "echo", s.heartbeat);
  const probe = new Probe(endpoint, "mdp", "echo");
  if ((await probe.firstReply(500, 10_000)) === undefined) throw new Error("broker: the echo service never answered before the flood");
  return { target, endpoint, echo, probe };
}

/** Times each broker expired its echo worker (heartbeats read too late under the flood), from its log. */
const echoExpiries = new WeakMap<Target, number>();

/** A broker under test with its echo worker and the normal client (see {@link startBroker}). */
type Broker = Awaited<ReturnType<typeof startBroker>>;

/**
 * Ends an MDP row: closes the echo worker and the normal client, stops the
 * broker, and fills in what every MDP row reports (peak memory, drops, exit,
 * how often the echo worker was expired or told DISCONNECT) with the standard
 * checks ahead of the row's own.
 *
 * @param row - the row.
 * @param broker - what {@link startBroker} started.
 */
async function finishBrokerRow(row: RowResult, broker: Broker): Promise<void> {
  const { target, echo, probe } = broker;
  if (echo.reconnects > 0) row.notes.push(`echo worker told DISCONNECT (expired by the broker) ${echo.reconnects} times`);
  echo.close();
  probe.close();
  const end = await stopTarget(target);
  noteEchoExpiries(row, target);
  Object.assign(row, { peakRss: end.peak, drops: target.drops, exit: end.exit });
  row.checks = [...standardChecks(row, end.crashed), ...row.checks];
}

/**
 * Notes how often the broker expired the live echo worker, if it did.
 *
 * @param row - the row.
 * @param target - the broker.
 */
function noteEchoExpiries(row: RowResult, target: Target): void {
  const n = echoExpiries.get(target) ?? 0;
  if (n > 0) row.notes.push(`the broker expired the live echo worker ${n} time${n === 1 ? "" : "s"}`);
}

function emptyRow(row: number, scenario: string): RowResult {
  return { row, scenario, sent: 0, sentBytes: 0, peakRss: 0, bound: RSS_BOUND, normal: undefined, drops: {}, dropsCounted: true, notes: [], checks: [], exit: "?" };
}

/**
 * Runs `flood` to its end while the normal client probes (paced), and adds
 * what it sent to the row.
 */
async function floodWhileProbing(row: RowResult, flood: Flood, probe: Probe, tick: () => void): Promise<void> {
  let over = false;
  const timer = setInterval(tick, 250);
  const probing = probe.run(Infinity, PROBE_TIMEOUT, () => over, PROBE_PACE);
  const sent = await flood.done;
  over = true;
  const result = await probing;
  clearInterval(timer);
  row.sent += sent.count;
  row.sentBytes += sent.bytes;
  const normal = row.normal ?? { sent: 0, answered: 0, latencies: [] };
  row.normal = { sent: normal.sent + result.sent, answered: normal.answered + result.answered, latencies: [...normal.latencies, ...result.latencies].sort((a, b) => a - b) };
}

/**
 * Row 1: a service whose only worker heartbeats but never replies, 10k
 * requests/s of 4 KB; the normal client uses another service meanwhile.
 *
 * @param ctx - the context.
 */
export async function stuckWorker(ctx: Context): Promise<RowResult> {
  const s = ctx.settings;
  const row = emptyRow(1, "MDP: worker never replies, 10k req/s");
  const broker = await startBroker(s, s.mdpExpiry);
  const { target, endpoint, probe } = broker;
  const stuck = mdpWorker(endpoint, "stuck", s.heartbeat, true);
  try {
    const flood = startFlood("mdp-flooder", { endpoint, protocol: "mdp", service: "stuck", bodyBytes: s.stuck.bodyBytes, rate: s.stuck.rate, duration: s.stuck.duration, connections: 1, idPrefix: "flood", sendHwm: 1000, seed: s.seed });
    await floodWhileProbing(row, flood, probe, ticker(ctx, "1 stuck worker", target, flood));
    row.notes.push(`stuck worker got ${stuck.received}`);
  } finally {
    stuck.close();
    await finishBrokerRow(row, broker);
  }
  row.checks.push({ name: "requests expire although the service has a worker", ok: (target.drops["request-expired"] ?? 0) > 0 });
  return row;
}

/**
 * Row 2: requests for a service with no worker: 1 KB at the highest rate,
 * then 10 MB requests from one connection, then 10 MB and 1 MB requests
 * from many connections at once, then distinct service names.
 *
 * @param ctx - the context.
 */
export async function noWorker(ctx: Context): Promise<RowResult> {
  const s = ctx.settings;
  const n = s.noWorker;
  const row = emptyRow(2, `MDP: no worker; 1 KB, 10 MB, ${n.connections} × 10 MB and 1 MB, ${n.services} names`);
  const broker = await startBroker(s);
  const { target, endpoint, probe } = broker;
  try {
    const phases = [
      { label: "1 KB", spec: { service: "nobody", bodyBytes: 1024, duration: n.smallDuration, connections: 1, sendHwm: 1000 } },
      { label: "10 MB", spec: { service: "nobody", bodyBytes: 10 * 1024 * 1024, duration: n.bigDuration, count: n.bigCount, connections: 1, sendHwm: 4 } },
      { label: `${n.connections} × 10 MB`, spec: { service: "nobody", bodyBytes: 10 * 1024 * 1024, duration: n.bigDuration, connections: n.connections, sendHwm: 4 } },
      { label: `${n.connections} × 1 MB`, spec: { service: "nobody", bodyBytes: 1024 * 1024, duration: n.bigDuration, connections: n.connections, sendHwm: 16 } },
      { label: "names", spec: { service: "svc", distinctServices: n.services, bodyBytes: 16, duration: 60_000, count: n.services, connections: Math.ceil(n.services / 1000), sendHwm: 1000, linger: 3000 } },
    ];
    for (const phase of phases) {
      const flood = startFlood(`mdp-flooder ${phase.label}`, { endpoint, protocol: "mdp", rate: 0, idPrefix: `flood-${phase.label}`, seed: s.seed, ...phase.spec });
      await floodWhileProbing(row, flood, probe, ticker(ctx, `2 no worker (${phase.label})`, target, flood));
    }
  } finally {
    await finishBrokerRow(row, broker);
  }
  row.checks.push({ name: "--max-services drops counted", ok: (target.drops["too-many-services"] ?? 0) > 0 });
  return row;
}

/** The MDP client's default per-attempt timeout (`MAJORDOMO_DEFAULTS.timeout`): a reply later than this costs a default client a retry. */
const MDP_CLIENT_TIMEOUT = 2500;

/**
 * Row 3: one client sends 1 KB requests as fast as it can and never reads
 * (a fast echo worker answers); the normal client, one request at a time
 * while the flood lasts (at most `fairness.requests`), against the same
 * client on the idle broker; then the time to the first reply after the
 * flood stops.
 *
 * @param ctx - the context.
 */
export async function fairness(ctx: Context): Promise<RowResult> {
  const s = ctx.settings;
  const row = emptyRow(3, "MDP: one client floods, never reads");
  const broker = await startBroker(s);
  const { target, endpoint, echo, probe } = broker;
  try {
    const idle = await probe.run(s.fairness.requests, PROBE_TIMEOUT);
    const flood = startFlood("mdp-flooder", { endpoint, protocol: "mdp", service: "echo", bodyBytes: 1024, rate: 0, duration: s.fairness.duration, connections: 1, idPrefix: "flood", sendHwm: 1000, seed: s.seed });
    const tick = ticker(ctx, "3 fairness", target, flood);
    await within(waitUntil(() => flood.sent.count >= 1000, tick), 15_000, "row 3: the flood did not start"); // under way before the normal client starts
    let over = false;
    void flood.done.then(() => (over = true));
    const timer = setInterval(tick, 250);
    row.normal = await probe.run(s.fairness.requests, 5 * PROBE_TIMEOUT, () => over);
    clearInterval(timer);
    const sent = await flood.stop();
    row.sent = sent.count;
    row.sentBytes = sent.bytes;
    const firstReply = await probe.firstReply(1000, 20_000);
    const p99 = percentile(row.normal.latencies, 99);
    row.notes.push(
      `idle p50/p99 ${percentile(idle.latencies, 50).toFixed(1)}/${percentile(idle.latencies, 99).toFixed(1)} ms`,
      `flood p50/p99 ${percentile(row.normal.latencies, 50).toFixed(1)}/${p99.toFixed(1)} ms`,
      `first reply after the flood ${firstReply === undefined ? "none in 20 s" : `${firstReply.toFixed(0)} ms`}`,
      `echo worker served ${echo.received}`,
    );
    // Reported, not checked: the latency under the flood (the broker serves the clients of a service in turn, so the
    // normal client waits behind about one of the flooder's requests, but the machine is loaded). Checked: every
    // request answered (within 10 s) and service at once after the flood.
    if (p99 > MDP_CLIENT_TIMEOUT) row.notes.push(`p99 over a default MDP client's ${MDP_CLIENT_TIMEOUT} ms timeout: such a client would retry`);
    row.checks.push({ name: `service immediate after the flood (first reply within ${MDP_CLIENT_TIMEOUT} ms)`, ok: firstReply !== undefined && firstReply <= MDP_CLIENT_TIMEOUT });
  } finally {
    await finishBrokerRow(row, broker);
  }
  return row;
}

export { emptyRow, PROBE_PACE, PROBE_TIMEOUT, floodWhileProbing };
