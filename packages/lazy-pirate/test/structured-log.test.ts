/** Issue 13: the server's structured log lines carry their fields (endpoint; reason and request for faults) besides `role`. */
import { captureLogger, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { LazyPirateServer } from "../src/index.js";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("LazyPirateServer structured log", () => {
  it("the listening line carries the endpoint, an injected crash its reason and request", async () => {
    const { logger, records } = captureLogger(["info", "warn"], { structured: true });
    const server = new LazyPirateServer({ bind: "tcp://127.0.0.1:*", handler: (f) => f, faults: { crashAfter: 0 }, logger });
    closers.push(() => server.close());
    await server.start();
    expect(records[0]).toEqual({ level: "info", fields: { role: "lazy-pirate server", endpoint: server.endpoint }, message: `listening on ${server.endpoint}` });
    const req = new zmq.Request({ linger: 0 });
    closers.push(() => req.close());
    req.connect(server.endpoint);
    await req.send("x");
    await waitFor(() => records.some((r) => r.fields.reason === "crash"), { timeout: 5000 });
    expect(records.find((r) => r.fields.reason === "crash")).toEqual({ level: "warn", fields: { role: "lazy-pirate server", reason: "crash", request: 1 }, message: "request 1: injected crash" });
  });
});
