/** Issue 13: the queue's structured log lines carry their fields (endpoint, peer, reason) besides `role`. */
import { captureLogger, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { ParanoidPirateQueue } from "../src/index.js";
import { closeAll, track } from "./helpers.js";

afterEach(closeAll);

describe("queue structured log", () => {
  it("the bound line carries the endpoints, a worker's READY line its routing id as peer", async () => {
    const { logger, records } = captureLogger(["info", "warn"], { structured: true });
    const queue = track(new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" }, heartbeatInterval: 50, logger }));
    await queue.start();
    const { frontend, backend } = queue.endpoints;
    expect(records[0]).toEqual({ level: "info", fields: { role: "ppp-queue", endpoint: `${frontend},${backend}`, frontend, backend }, message: `frontend ${frontend}, backend ${backend}` });
    const worker = track(new zmq.Dealer({ linger: 0, routingId: "w1" }));
    worker.connect(backend);
    await worker.send(Buffer.from([1])); // READY
    await waitFor(() => records.some((r) => r.message.endsWith(" ready")), { timeout: 5000 });
    const peer = Buffer.from("w1").toString("hex");
    expect(records.find((r) => r.message.endsWith(" ready"))).toEqual({ level: "info", fields: { role: "ppp-queue", peer }, message: `worker ${peer} ready` });
  });
});
