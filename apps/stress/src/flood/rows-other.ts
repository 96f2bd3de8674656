/**
 * Rows 4-6: the Paranoid Pirate queue CLI, a Lazy Pirate server with a hung
 * handler, and the Binary Star server CLI, flooded with raw DEALERs
 * (findings 4 and 5 of issue 11, and the same flood on a Binary Star frontend).
 *
 * @module
 */
import { reservePort } from "@zmq-reliable/core/testing";
import { waitQuiet } from "../cpu.js";
import { emptyRow, floodWhileProbing, PROBE_TIMEOUT, type Context, ticker } from "./rows-mdp.js";
import { hold, type RowResult, standardChecks, startFlood, startTarget, stopTarget, type Target } from "./harness.js";
import { PROGRAMS } from "./proc.js";
import { Probe, pppWorker } from "./wire.js";

const MB = 1024 * 1024;

/**
 * Row 4: a PPP queue with no worker: 10 MB requests from 20 connections,
 * then 1 KB requests at the highest rate; the flooders leave, a worker
 * attaches after the request expiry and must get none of their requests,
 * while the normal client is served.
 *
 * @param ctx - the context.
 */
export async function pppNoWorker(ctx: Context): Promise<RowResult> {
  const s = ctx.settings;
  const row = emptyRow(4, `PPP: no worker; ${s.ppp.bigCount} x 10 MB, 1 KB`);
  const args = ["--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--heartbeat", String(s.heartbeat), "--log-format", "json"];
  if (s.pppExpiry !== undefined) args.push("--request-expiry", String(s.pppExpiry));
  const target = await startTarget("paranoid-pirate-queue", PROGRAMS.paranoidPirate, args);
  const expiry = Number(target.fields["request-expiry"]);
  const phases = [
    { label: "10 MB", spec: { bodyBytes: 10 * MB, count: s.ppp.bigCount, duration: 60_000, sendHwm: 2 } },
    { label: "1 KB", spec: { bodyBytes: 1024, duration: s.ppp.smallDuration, sendHwm: 1000 } },
  ];
  for (const phase of phases) {
    const flood = startFlood(`ppp-flooder ${phase.label}`, { endpoint: target.fields.frontend!, protocol: "req", rate: 0, connections: 20, idPrefix: `flood-${phase.label}`, seed: s.seed, ...phase.spec });
    const timer = setInterval(ticker(ctx, `4 PPP no worker (${phase.label})`, target, flood), 250);
    const sent = await flood.done; // the flooder has closed its sockets: these clients left
    clearInterval(timer);
    row.sent += sent.count;
    row.sentBytes += sent.bytes;
  }
  // The queue's expiry clock starts when it reads a request: on a loaded machine it may still be
  // reading what the flooders left in its socket buffers after they left, so wait for it to go quiet.
  if (!(await waitQuiet(target.proc.pid))) row.notes.push("the queue never went quiet after the flood");
  await hold(expiry + 500, ticker(ctx, "4 PPP waiting for the request expiry", target));
  const worker = pppWorker(target.fields.backend!, s.heartbeat);
  const probe = new Probe(target.fields.frontend!, "req");
  try {
    row.normal = await probe.run(20, PROBE_TIMEOUT);
    const departed = [...worker.byClient].filter(([id]) => id.startsWith("flood")).reduce((sum, [, n]) => sum + n, 0);
    row.notes.push(`worker got ${departed} from departed clients, ${worker.byClient.get("normal") ?? 0} from the normal one`);
    row.checks.push({ name: `worker got 0 requests from departed clients (got ${departed})`, ok: departed === 0 });
  } finally {
    worker.close();
    probe.close();
  }
  const end = await stopTarget(target);
  Object.assign(row, { peakRss: end.peak, drops: target.drops, exit: end.exit });
  row.checks = [...standardChecks(row, end.crashed), ...row.checks];
  return row;
}

/**
 * Row 5: a Lazy Pirate server whose handler never settles, sent 768 KB
 * requests (the finding's were 2 MB, which the default 1 MiB `maxRequestBytes`
 * now refuses on arrival; these are taken, so the hung handlers and the queue
 * hold them); no normal client (nothing can be answered).
 *
 * @param ctx - the context.
 */
export async function lazyPirateHung(ctx: Context): Promise<RowResult> {
  const s = ctx.settings;
  const row = emptyRow(5, `LazyPirateServer, hung handler: ${s.lazyPirate.count} x 768 KB`);
  const target = await startTarget("lazy-pirate-target", PROGRAMS.lazyPirateTarget, []);
  const flood = startFlood("lp-flooder", { endpoint: target.fields.endpoint!, protocol: "req", bodyBytes: 0.75 * MB, count: s.lazyPirate.count, rate: 0, duration: 60_000, connections: 10, idPrefix: "flood", sendHwm: 4, seed: s.seed });
  const tick = ticker(ctx, "5 Lazy Pirate hung handler", target, flood);
  const timer = setInterval(tick, 250);
  const sent = await flood.done;
  clearInterval(timer);
  row.sent = sent.count;
  row.sentBytes = sent.bytes;
  await hold(1000, tick); // what it holds, it holds for a while: sample it
  const end = await stopTarget(target);
  Object.assign(row, { peakRss: end.peak, drops: target.drops, exit: end.exit });
  row.checks = standardChecks(row, end.crashed);
  return row;
}

/**
 * Row 6: a Binary Star pair (`binary-star-server`, echo); the active node's
 * frontend is sent 768 KB requests (under the default 1 MiB `maxRequestBytes`,
 * so each is answered) at the highest rate by a client that never reads its
 * replies, while the normal client is served.
 *
 * @param ctx - the context.
 */
export async function binaryStar(ctx: Context): Promise<RowResult> {
  const s = ctx.settings;
  const row = emptyRow(6, "Binary Star active: 768 KB, never reads");
  const [pf, bf, ps, bs] = await Promise.all([reservePort(), reservePort(), reservePort(), reservePort()]);
  const ep = (port: number) => `tcp://127.0.0.1:${port}`;
  const common = ["--heartbeat", String(s.heartbeat), "--log-format", "json", "--verbose"];
  const primary = await startTarget("binary-star primary", PROGRAMS.binaryStar, ["--primary", "--frontend", ep(pf), "--local", ep(ps), "--remote", ep(bs), ...common]);
  let backup: Target | undefined;
  let steppedDown = false;
  try {
    backup = await startTarget("binary-star backup", PROGRAMS.binaryStar, ["--backup", "--frontend", ep(bf), "--local", ep(bs), "--remote", ep(ps), ...common]);
    await primary.proc.waitForLine(/to=ACTIVE/, 10_000);
    primary.proc.onLine((line) => (steppedDown ||= /^state from=ACTIVE /.test(line)));
    await backup.proc.waitForLine(/to=PASSIVE/, 10_000);
    const probe = new Probe(ep(pf), "req");
    try {
      if ((await probe.firstReply(500, 10_000)) === undefined) throw new Error("binary star: the active node never answered before the flood");
      const flood = startFlood("bstar-flooder", { endpoint: ep(pf), protocol: "req", bodyBytes: 0.75 * MB, rate: 0, duration: s.binaryStar.duration, connections: 1, idPrefix: "flood", sendHwm: 4, seed: s.seed });
      await floodWhileProbing(row, flood, probe, ticker(ctx, "6 Binary Star", primary, flood));
    } finally {
      probe.close();
    }
    row.notes.push(steppedDown ? "the primary left ACTIVE during the flood" : "the primary stayed active");
  } finally {
    const endBackup = backup ? await stopTarget(backup) : undefined;
    const end = await stopTarget(primary);
    Object.assign(row, { peakRss: end.peak, drops: primary.drops, exit: end.exit });
    if (endBackup) row.notes.push(`backup peak ${(endBackup.peak / MB).toFixed(1)} MB`);
    row.checks = standardChecks(row, end.crashed || (endBackup?.crashed ?? true));
  }
  return row;
}
