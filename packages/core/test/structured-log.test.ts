/** Structured logs (issue 13): pino's (fields, message) form through taggedLogger, limitedLog and the CLI logger. */
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { type LogFields, DropLog, RequestServer, cliLogger, isStructuredLogger, limitedLog, taggedLogger } from "../src/index.js";
import { captureLogger, waitFor } from "../src/testing/index.js";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("structured logging", () => {
  it("gives a structured logger (fields, message) with the role, and a console-shaped one the same line as before", () => {
    const calls: unknown[][] = [];
    const structured = { structured: true, warn: (...args: unknown[]) => void calls.push(args) };
    taggedLogger(structured, "mdp-broker").warn?.({ service: "echo", reason: "queue-full" }, "drop\nx");
    taggedLogger(structured, "mdp-broker").warn?.("plain");
    expect(calls).toEqual([
      [{ role: "mdp-broker", service: "echo", reason: "queue-full" }, "drop\\nx"],
      [{ role: "mdp-broker" }, "plain"],
    ]);
    const lines: string[] = [];
    const console_ = { warn: (m: string) => void lines.push(m) };
    expect(isStructuredLogger(console_)).toBe(false);
    taggedLogger(console_, "mdp-broker").warn?.({ service: "echo" }, "drop\nx");
    taggedLogger(console_, "mdp-broker").warn?.("plain");
    expect(lines).toEqual(["[mdp-broker] drop\\nx", "[mdp-broker] plain"]);
  });

  it("detects pino by its child(), and every line carries the fields", () => {
    const out: string[] = [];
    const logger = pino({ base: undefined, timestamp: false }, { write: (s: string) => void out.push(s) });
    expect(isStructuredLogger(logger)).toBe(true);
    const log = taggedLogger(logger, "ppp-queue");
    limitedLog(log).warn.warn("queue-full", () => "dropped (queue-full)", { reason: "queue-full", peer: "c1" });
    log.info?.({ endpoint: "tcp://127.0.0.1:5555" }, "bound");
    expect(out.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      { level: 40, role: "ppp-queue", reason: "queue-full", peer: "c1", msg: "dropped (queue-full)" },
      { level: 30, role: "ppp-queue", endpoint: "tcp://127.0.0.1:5555", msg: "bound" },
    ]);
  });

  it("DropLog summaries carry reason and count; without fields a drop line gets { reason }", () => {
    const calls: [LogFields, string][] = [];
    const drops = new DropLog({ structured: true, warn: (f, m) => void calls.push([f as LogFields, m as string]) }, { limit: 1, window: 100 }, () => 0);
    drops.warn("too-large", "d1");
    drops.warn("too-large", "d2");
    drops.flush();
    expect(calls).toEqual([
      [{ reason: "too-large" }, "d1"],
      [{ reason: "too-large", suppressed: 1 }, "1 more drop (too-large) not logged in 0 ms"],
    ]);
  });

  it("the CLI logger: JSON by pino with the fields at the top level (role as tag); text lines as before", () => {
    const json: string[] = [];
    const tagged = taggedLogger(cliLogger(false, (l) => json.push(l), "json"), "mdp-broker");
    tagged.warn?.({ service: 'e"cho\n', peer: "ab", reason: "queue-full" }, "drop (queue-full)");
    tagged.debug?.("not without --verbose");
    expect(json).toHaveLength(1);
    expect(json[0]).toMatch(/"message":"drop \(queue-full\)"/); // what apps/stress's drop counter reads
    expect(JSON.parse(json[0]!)).toEqual({ level: "warn", time: expect.stringMatching(/Z$/), tag: "mdp-broker", service: 'e"cho\n', peer: "ab", reason: "queue-full", message: "drop (queue-full)" });
    const text: string[] = [];
    taggedLogger(cliLogger(false, (l) => text.push(l), "text"), "mdp-broker").warn?.({ service: "echo" }, "drop (queue-full)");
    expect(text).toEqual([expect.stringMatching(/^\S+Z WARN \[mdp-broker\] drop \(queue-full\)\n$/)]);
  });

  it("the request server's lines carry endpoint, and a failed request's peer, request number and reason; base fields join every line", async () => {
    const { logger, records } = captureLogger(["info", "warn"], { structured: true });
    const server = new RequestServer({ handler: () => Promise.reject(new Error("boom")), logger });
    closers.push(() => server.close());
    await server.start();
    expect(records[0]).toEqual({ level: "info", fields: { role: "request server", endpoint: server.endpoint }, message: `listening on ${server.endpoint}` });
    const client = new zmq.Dealer({ linger: 0, routingId: "c1" });
    closers.push(() => client.close());
    client.connect(server.endpoint);
    await client.send([Buffer.alloc(0), "x"]);
    await waitFor(() => records.some((r) => r.fields.reason === "handler-error"), { timeout: 5000 });
    expect(records.find((r) => r.fields.reason === "handler-error")).toEqual({
      level: "warn",
      fields: { role: "request server", peer: Buffer.from("c1").toString("hex"), request: 1, reason: "handler-error" },
      message: "request 1: handler failed: boom",
    });
    const base = captureLogger(["warn"], { structured: true });
    taggedLogger(base.logger, "mdp-worker echo", { service: "echo" }).warn?.({ endpoint: "tcp://x:1" }, "silent");
    expect(base.records).toEqual([{ level: "warn", fields: { role: "mdp-worker echo", service: "echo", endpoint: "tcp://x:1" }, message: "silent" }]);
  });
});
