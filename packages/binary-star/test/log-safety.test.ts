/**
 * Issue 11, finding 8, on the Binary Star state link: a flood of malformed
 * state messages (with newlines and ANSI escapes) makes at most 10 escaped
 * log lines, and one summary line counting the rest when the node closes.
 */
import { captureLogger, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStar } from "../src/index.js";
import { FakePeer, cleanup, closeAll, endpoints } from "./helpers.js";

afterEach(closeAll);

// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A primary node logging into `lines`, facing a fake peer; `close()` closes it (the summary lines come then). */
async function loggedNode() {
  const [local, remote] = await endpoints(2);
  const { logger, lines } = captureLogger();
  const node = new BinaryStar({ role: "primary", bind: local!, peer: remote!, heartbeatInterval: 50, logger });
  let closed = false;
  cleanup.push(() => (closed ? undefined : node.close()));
  await node.start();
  const peer = await FakePeer.create(remote!, local!);
  const close = async () => {
    await node.close();
    closed = true;
  };
  return { node, peer, lines, close };
}

describe("BinaryStar log safety", () => {
  it("2,000 malformed state messages: at most 10 drop lines, escaped, and a summary on close", async () => {
    const { node, peer, lines, close } = await loggedNode();
    const garbage = [Buffer.from("3\n2026-01-01 INFO forged \u001b[31mred")];
    peer.say(garbage, 5);
    await waitFor(() => node.stats().malformed >= 1, { timeout: 5000 }); // connected
    peer.stop();
    // in batches: a PUB drops what its subscriber's high-water mark (1000) cannot take, which a loaded machine hits
    for (let sent = 0; sent < 2000; sent += 100) {
      for (let i = 0; i < 100; i++) peer.pub.post(garbage);
      await waitFor(() => node.stats().malformed >= sent + 101, { timeout: 10_000 });
    }
    await close();
    const malformed = node.stats().malformed; // after close: nothing more is counted

    const drops = lines.filter((l) => l.includes("ignored malformed state message"));
    expect(drops.length).toBe(10);
    for (const line of lines) expect(line).not.toMatch(RAW);
    const summary = lines.filter((l) => /more drops \(malformed\) not logged/.test(l));
    expect(summary).toEqual([expect.stringMatching(new RegExp(`^\\[bstar primary\\] ${malformed - 10} more drops \\(malformed\\)`))]);
  });

  it("an impostor flipping the peer's state 1,000 times (found by npm run fuzz): at most 10 peer-state lines, and a summary on close", async () => {
    const { node, peer, lines, close } = await loggedNode();
    peer.say("BACKUP", 5);
    await waitFor(() => node.stats().stateReceived >= 1, { timeout: 5000 }); // connected
    peer.stop();
    const received = node.stats().stateReceived;
    for (let i = 0; i < 1000; i++) peer.pub.post([Buffer.from(i % 2 === 0 ? "1" : "2")]); // PRIMARY, BACKUP, …
    await waitFor(() => node.stats().stateReceived >= received + 1000, { timeout: 10_000 });
    await close();

    expect(lines.filter((l) => l.includes("peer is")).length).toBeLessThanOrEqual(10);
    expect(lines.some((l) => /more drops \(peer-state\) not logged/.test(l))).toBe(true);
    expect(lines.length).toBeLessThanOrEqual(30);
  });
});
