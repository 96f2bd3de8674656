/**
 * Issue 11, finding 8: a peer cannot forge or flood the broker's log. A
 * service name with a newline and an ANSI escape is logged escaped, and
 * 10,000 malformed messages make a bounded number of lines and one summary.
 */
import { fileURLToPath } from "node:url";
import { configureDropLog, nextEvent } from "@zmq-reliable/core";
import { captureLogger, killAllChildren, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { MajordomoBroker, MajordomoClient } from "../src/index.js";

const E = Buffer.alloc(0);
/** A raw line break, ESC or other control character: what no log line may hold. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const EVIL = "evil\n2026-01-01T00:00:00.000Z INFO [mdp-broker] forged line \u001b[31mred\u001b[0m";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await killAllChildren();
  for (const close of closers.splice(0).reverse()) await close();
});

function dealer(endpoint: string): zmq.Dealer {
  const d = new zmq.Dealer({ linger: 0 });
  d.connect(endpoint);
  closers.push(() => d.close());
  return d;
}

/**
 * A broker logging info, warn and error lines into `lines`, with drop lines
 * limited to 10 per reason per `window` ms; `start` is where its flood's lines begin.
 */
async function loggedBroker(window: number) {
  const before = configureDropLog({ limit: 10, window });
  closers.push(() => void configureDropLog(before));
  const { logger, lines } = captureLogger();
  const broker = new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: 50, logger });
  await broker.start();
  closers.push(() => broker.close());
  return { broker, lines, start: lines.length };
}

describe("broker log safety", () => {
  it("a service name with \\n and \\u001b[31m is logged escaped: no raw newline or ESC in any line", async () => {
    const { logger, lines } = captureLogger(["debug", "info", "warn", "error"]);
    const broker = new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: 50, requestExpiry: 50, logger });
    await broker.start();
    closers.push(() => broker.close());

    const worker = dealer(broker.endpoint);
    const ready = nextEvent(broker, "ready", { timeout: 5000 });
    await worker.send([E, "MDPW01", Buffer.from([1]), EVIL]); // READY
    expect((await ready)[0].service).toBe(EVIL); // the service itself is kept as sent

    // A request for another evil service with no worker expires: a drop line naming the service.
    const client = new MajordomoClient({ endpoint: broker.endpoint, timeout: 2000, attempts: 1 });
    closers.push(() => client.close());
    const dropped = nextEvent(broker, "drop", { timeout: 5000 });
    void client.request(`${EVIL}-2`, "x").catch(() => undefined);
    expect((await dropped)[0].reason).toBe("request-expired");
    await worker.send([E, "MDPW01", Buffer.from([5])]); // DISCONNECT
    await waitFor(() => lines.some((l) => l.includes("disconnected")), { timeout: 5000 });

    const ready1 = lines.find((l) => l.includes("ready for"));
    expect(ready1).toContain('ready for "evil\\n2026-01-01T00:00:00.000Z INFO [mdp-broker] forged line \\u001b[31mred\\u001b[0m"');
    expect(lines.find((l) => l.includes("request-expired"))).toContain('service="evil\\n');
    expect(lines.some((l) => l.startsWith("[mdp-broker] recv "))).toBe(true); // debug traces frames, escaped too
    for (const line of lines) expect(line).not.toMatch(RAW);
  });

  it("10,000 malformed messages: at most 100 log lines, and one summary line counting the rest", async () => {
    const { broker, lines, start } = await loggedBroker(300);

    const peer = dealer(broker.endpoint);
    const garbage = [E, "MDPC99", `svc\n\u001b[31m`, "body"];
    for (let i = 0; i < 10_000; i++) await peer.send(garbage);
    await waitFor(() => broker.stats().malformed >= 10_000, { timeout: 20_000 });
    await waitFor(() => lines.some((l) => /more drops \(malformed\) not logged/.test(l)), { timeout: 5000 });

    // Every drop is either logged in full or counted in a summary line (the last window's may come a window later).
    const count = () => {
      const flood = lines.slice(start);
      const logged = flood.filter((l) => l.includes("drop (malformed)")).length;
      const summarised = flood.map((l) => /(\d+) more drops? \(malformed\)/.exec(l)).reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
      return { flood, logged, summarised };
    };
    await waitFor(() => count().logged + count().summarised === 10_000, { timeout: 5000 });
    const { flood, logged } = count();
    expect(flood.length).toBeLessThanOrEqual(100);
    expect(logged).toBeGreaterThanOrEqual(10);
    for (const line of flood) expect(line).not.toMatch(RAW);
  });

  it("a peer cycling READY and a malformed worker message 1,000 times: registrations and disconnects rate-limited too", async () => {
    const { broker, lines, start } = await loggedBroker(10_000);

    const peer = dealer(broker.endpoint);
    for (let i = 0; i < 1_000; i++) {
      await peer.send([E, "MDPW01", Buffer.from([1]), "svc"]); // READY: a registration line
      await peer.send([E, "MDPW01", Buffer.from([9])]); // unknown command: a drop and a disconnect line
    }
    await waitFor(() => broker.stats().malformed >= 1_000, { timeout: 20_000 });
    const flood = lines.slice(start);
    expect(flood.filter((l) => l.includes("ready for")).length).toBeLessThanOrEqual(10);
    expect(flood.filter((l) => l.includes("disconnected")).length).toBeLessThanOrEqual(10);
    expect(flood.length).toBeLessThanOrEqual(40);
  });

  it("majordomo-broker --log-format json: one JSON object per stderr line, the evil service escaped inside it", async () => {
    const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
    const child = spawnNode(cli, ["--bind", "tcp://127.0.0.1:*", "--heartbeat", "50", "--log-format", "json"]);
    const endpoint = /^started bind=(\S+) /.exec(await child.waitForLine(/^started /))![1]!;
    await dealer(endpoint).send([E, "MDPW01", Buffer.from([1]), EVIL]);
    await waitFor(() => child.stderr.includes("ready for"), { timeout: 5000 });
    child.process.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const lines = child.stderr.split("\n").filter((l) => l !== "");
    const parsed = lines.map((l) => JSON.parse(l) as { time: string; level: string; tag?: string; message: string });
    for (const line of lines) expect(line).not.toMatch(RAW);
    const ready = parsed.find((p) => p.message.includes("ready for"));
    expect(ready).toMatchObject({ level: "info", tag: "mdp-broker", time: expect.stringMatching(/Z$/) });
    expect(ready!.message).toContain('ready for "evil\\n2026-01-01T00:00:00.000Z INFO [mdp-broker] forged line \\u001b[31mred');
  });
});
