/**
 * Issue 11, finding 8, on core's request server (every Lazy Pirate and
 * Binary Star server): a peer's text is escaped in log lines, and a flood of
 * malformed requests is at most 10 lines and one summary.
 */
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { RequestServer } from "../src/index.js";
import { captureLogger, waitFor } from "../src/testing/index.js";

// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("request server log safety (real sockets)", () => {
  it("a handler error built from the request body is logged escaped", async () => {
    const { logger, lines } = captureLogger();
    const server = new RequestServer({ handler: (body) => Promise.reject(new Error(`bad input ${String(body[0])}`)), logger });
    closers.push(() => server.close());
    await server.start();
    const req = new zmq.Request({ linger: 0 });
    closers.push(() => req.close());
    req.connect(server.endpoint);
    await req.send("x\n2026-01-01T00:00:00Z ERROR forged \u001b[31mred");
    await waitFor(() => lines.some((l) => l.includes("handler failed")), { timeout: 5000 });
    const line = lines.find((l) => l.includes("handler failed"));
    expect(line).toContain("bad input x\\n2026-01-01T00:00:00Z ERROR forged \\u001b[31mred");
    for (const l of lines) expect(l).not.toMatch(RAW);
  });

  it("2,000 malformed requests: 10 lines, then one summary line on close", async () => {
    const { logger, lines } = captureLogger();
    const server = new RequestServer({ handler: (body) => body, logger });
    let closed = false;
    closers.push(() => (closed ? undefined : server.close()));
    await server.start();
    const dealer = new zmq.Dealer({ linger: 0 });
    closers.push(() => dealer.close());
    dealer.connect(server.endpoint);
    for (let i = 0; i < 2000; i++) await dealer.send(["no delimiter\n\u001b[31m"]);
    await waitFor(() => server.stats().malformed >= 2000, { timeout: 10_000 });
    await server.close();
    closed = true;
    expect(lines.filter((l) => l.includes("malformed request")).length).toBe(10);
    expect(lines.filter((l) => l.includes("1990 more drops (malformed) not logged"))).toHaveLength(1);
    expect(lines.length).toBeLessThanOrEqual(15);
  });
});
