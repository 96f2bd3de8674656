/**
 * Issue 11, finding 8, on the Binary Star state link: a flood of malformed
 * state messages (with newlines and ANSI escapes) makes at most 10 escaped
 * log lines, and one summary line counting the rest when the node closes.
 */
import type { Logger } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStar } from "../src/index.js";
import { FakePeer, cleanup, closeAll, endpoints } from "./helpers.js";

afterEach(closeAll);

// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe("BinaryStar log safety", () => {
  it("2,000 malformed state messages: at most 10 drop lines, escaped, and a summary on close", async () => {
    const [local, remote] = await endpoints(2);
    const lines: string[] = [];
    const logger: Logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const node = new BinaryStar({ role: "primary", bind: local!, peer: remote!, heartbeatInterval: 50, logger });
    let closed = false;
    cleanup.push(() => (closed ? undefined : node.close()));
    await node.start();
    const peer = await FakePeer.create(remote!, local!);
    const garbage = [Buffer.from("3\n2026-01-01 INFO forged \u001b[31mred")];
    peer.say(garbage, 5);
    await waitFor(() => node.stats().malformed >= 1, { timeout: 5000 }); // connected
    peer.stop();
    // in batches: a PUB drops what its subscriber's high-water mark (1000) cannot take, which a loaded machine hits
    for (let sent = 0; sent < 2000; sent += 100) {
      for (let i = 0; i < 100; i++) peer.pub.post(garbage);
      await waitFor(() => node.stats().malformed >= sent + 101, { timeout: 10_000 });
    }
    await node.close();
    closed = true;
    const malformed = node.stats().malformed; // after close: nothing more is counted

    const drops = lines.filter((l) => l.includes("ignored malformed state message"));
    expect(drops.length).toBe(10);
    for (const line of lines) expect(line).not.toMatch(RAW);
    const summary = lines.filter((l) => /more drops \(malformed\) not logged/.test(l));
    expect(summary).toEqual([expect.stringMatching(new RegExp(`^\\[bstar primary\\] ${malformed - 10} more drops \\(malformed\\)`))]);
  });

  it("an impostor flipping the peer's state 1,000 times (found by npm run fuzz): at most 10 peer-state lines, and a summary on close", async () => {
    const [local, remote] = await endpoints(2);
    const lines: string[] = [];
    const logger: Logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const node = new BinaryStar({ role: "primary", bind: local!, peer: remote!, heartbeatInterval: 50, logger });
    let closed = false;
    cleanup.push(() => (closed ? undefined : node.close()));
    await node.start();
    const peer = await FakePeer.create(remote!, local!);
    peer.say("BACKUP", 5);
    await waitFor(() => node.stats().stateReceived >= 1, { timeout: 5000 }); // connected
    peer.stop();
    const received = node.stats().stateReceived;
    for (let i = 0; i < 1000; i++) peer.pub.post([Buffer.from(i % 2 === 0 ? "1" : "2")]); // PRIMARY, BACKUP, …
    await waitFor(() => node.stats().stateReceived >= received + 1000, { timeout: 10_000 });
    await node.close();
    closed = true;

    expect(lines.filter((l) => l.includes("peer is")).length).toBeLessThanOrEqual(10);
    expect(lines.some((l) => /more drops \(peer-state\) not logged/.test(l))).toBe(true);
    expect(lines.length).toBeLessThanOrEqual(30);
  });
});
