/** Issue 13: the worker's structured log lines carry its service and endpoint besides `role`; the broker's its peer and service. */
import { captureLogger, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { broker, closeTracked, worker } from "./live.js";

afterEach(closeTracked);

describe("Majordomo structured log", () => {
  it("a worker's connected line carries service and endpoint; the broker's ready line the worker as peer and the service", async () => {
    const brokerLog = captureLogger(["info"], { structured: true });
    const b = await broker({ logger: brokerLog.logger });
    const { logger, records } = captureLogger(["info"], { structured: true });
    await worker(b, "echo", (body) => body, { logger });
    await waitFor(() => records.length > 0, { timeout: 5000 });
    expect(records[0]).toEqual({ level: "info", fields: { role: "mdp-worker echo", service: "echo", endpoint: b.endpoint, attempt: 1 }, message: `connected to ${b.endpoint} (attempt 1)` });
    const ready = brokerLog.records.find((r) => r.message.includes(" ready for "));
    expect(ready?.fields).toEqual({ role: "mdp-broker", peer: expect.stringMatching(/^[0-9a-f]+$/), service: "echo" });
  });
});
