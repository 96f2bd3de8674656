/**
 * Issue 11, finding 8, on the Lazy Pirate server: 5,000 malformed requests
 * make 10 log lines and one summary, and a handler error echoing the request
 * is logged escaped.
 */
import { captureLogger, waitFor } from "@zmq-reliable/core/testing";
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, raw, server } from "./helpers.js";

afterEach(closeAll);

// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe("LazyPirateServer log safety", () => {
  it("5,000 malformed requests: 10 lines and a summary on close; peer text escaped", async () => {
    const { logger, lines } = captureLogger();
    const s = await server({ logger, handler: (frames) => Promise.reject(new Error(`cannot handle ${String(frames[0])}`)) });
    const dealer = raw(new zmq.Dealer({ linger: 0 }));
    dealer.connect(s.endpoint);
    for (let i = 0; i < 5000; i++) await dealer.send(["no delimiter"]);
    await dealer.send(["", "a\n2026-01-01 WARN forged \u001b[2J"]);
    await waitFor(() => s.stats().malformed >= 5000 && lines.some((l) => l.includes("handler failed")), { timeout: 10_000 });
    await s.close();
    expect(lines.filter((l) => l.includes("malformed request")).length).toBe(10);
    expect(lines.filter((l) => l.includes("4990 more drops (malformed) not logged"))).toHaveLength(1);
    expect(lines.find((l) => l.includes("handler failed"))).toContain("cannot handle a\\n2026-01-01 WARN forged \\u001b[2J");
    for (const line of lines) expect(line).not.toMatch(RAW);
    expect(lines.length).toBeLessThanOrEqual(20);
  });
});
