/** Issue 13: the node's structured log lines carry their fields (endpoint, state) besides `role`. */
import { captureLogger, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStar } from "../src/index.js";
import { FakePeer, cleanup, closeAll, endpoints } from "./helpers.js";

afterEach(closeAll);

describe("BinaryStar structured log", () => {
  it("the started line carries endpoint, peer endpoint and state; a transition its new and previous state", async () => {
    const [local, remote] = await endpoints(2);
    const { logger, records } = captureLogger(["info"], { structured: true });
    const node = new BinaryStar({ role: "primary", bind: local!, peer: remote!, heartbeatInterval: 50, logger });
    cleanup.push(() => node.close());
    await node.start();
    expect(records[0]?.fields).toEqual({ role: "bstar primary", endpoint: local, peerEndpoint: remote, state: "PRIMARY" });
    const peer = await FakePeer.create(remote!, local!);
    peer.say("BACKUP");
    await waitFor(() => node.state === "ACTIVE", { timeout: 5000 });
    const change = records.find((r) => r.fields.state === "ACTIVE" && r.fields.previous === "PRIMARY");
    expect(change).toEqual({ level: "info", fields: { role: "bstar primary", state: "ACTIVE", previous: "PRIMARY", event: "PEER_BACKUP" }, message: expect.stringMatching(/^PRIMARY -> ACTIVE on PEER_BACKUP: /) });
  });
});
