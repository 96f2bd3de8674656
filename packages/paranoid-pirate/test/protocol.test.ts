import { randomBytes } from "node:crypto";
import { ProtocolError, toBuffers } from "@zmq-reliable/core";
import { describe, expect, it } from "vitest";
import {
  decodeClientRequest,
  decodeQueueMessage,
  decodeWorkerMessage,
  encodeHeartbeat,
  encodeReady,
  encodeReply,
  encodeRequest,
  HEARTBEAT_FRAME,
  PARANOID_PIRATE_DEFAULTS,
  PPP_HEARTBEAT,
  PPP_READY,
  READY_FRAME,
} from "../src/index.js";

const b = (...frames: (string | number[])[]) => frames.map((f) => (typeof f === "string" ? Buffer.from(f) : Buffer.from(f)));
const CID = [0x00, 0x6b, 0x8b, 0x45, 0x67];

describe("6/PPP wire (docs/protocols/paranoid-pirate.md#frames)", () => {
  it("READY and HEARTBEAT are single one-byte frames", () => {
    expect(PPP_READY).toBe(0x01);
    expect(PPP_HEARTBEAT).toBe(0x02);
    expect(toBuffers(encodeReady())).toEqual([Buffer.from([0x01])]);
    expect(toBuffers(encodeHeartbeat())).toEqual([Buffer.from([0x02])]);
    expect(READY_FRAME).toEqual(Buffer.from([0x01]));
    expect(HEARTBEAT_FRAME).toEqual(Buffer.from([0x02]));
  });

  it("a request is [client id, ∅, body…] with no empty frame before the client id", () => {
    const frames = toBuffers(encodeRequest([Buffer.from(CID)], ["a", "b"]));
    expect(frames).toEqual(b(CID, "", "a", "b"));
    expect(toBuffers(encodeReply([Buffer.from(CID)], ["x"]))).toEqual(b(CID, "", "x"));
  });

  it("defaults are the reference constants", () => {
    expect(PARANOID_PIRATE_DEFAULTS).toMatchObject({
      frontend: "tcp://*:5555",
      backend: "tcp://*:5556",
      heartbeatInterval: 1000,
      liveness: 3,
      reconnect: { initial: 1000, max: 32_000 },
    });
  });

  it("decodes worker → queue messages", () => {
    expect(decodeWorkerMessage(b([0x01]))).toEqual({ type: "ready" });
    expect(decodeWorkerMessage(b([0x02]))).toEqual({ type: "heartbeat" });
    expect(decodeWorkerMessage(b(CID, "", "x", "", "y"))).toEqual({ type: "reply", envelope: b(CID), body: b("x", "", "y") });
    // Address stacks of several hops are kept whole.
    expect(decodeWorkerMessage(b("c1", "c2", "", "x"))).toEqual({ type: "reply", envelope: b("c1", "c2"), body: b("x") });
  });

  it("decodes queue → worker messages, multi-frame bodies included", () => {
    expect(decodeQueueMessage(b([0x02]))).toEqual({ type: "heartbeat" });
    expect(decodeQueueMessage(b(CID, "", "hello"))).toEqual({ type: "request", envelope: b(CID), body: b("hello") });
    expect(decodeQueueMessage(b(CID, "", "a", "b", "c"))).toEqual({ type: "request", envelope: b(CID), body: b("a", "b", "c") });
    // An empty body frame is content, not a second delimiter.
    expect(decodeQueueMessage(b(CID, "", ""))).toEqual({ type: "request", envelope: b(CID), body: b("") });
  });

  it.each([
    ["empty message", [[]]],
    ["no frames", []],
    ["unknown command byte", [[0x07]]],
    ["two-byte command", [[0x01, 0x00]]],
    ["reply without delimiter", ["a", "b"]],
    ["reply without address", ["", "b"]],
    ["reply without body", ["c", ""]],
  ] as [string, (string | number[])[]][])("rejects %s from a worker with ProtocolError", (_name, frames) => {
    expect(() => decodeWorkerMessage(b(...frames))).toThrow(ProtocolError);
  });

  it("rejects READY from the queue, unknown commands and malformed requests", () => {
    expect(() => decodeQueueMessage(b([0x01]))).toThrow(ProtocolError);
    expect(() => decodeQueueMessage(b([0x05]))).toThrow(ProtocolError);
    expect(() => decodeQueueMessage(b([]))).toThrow(ProtocolError);
    expect(() => decodeQueueMessage(b("cid", "body"))).toThrow(ProtocolError);
    expect(() => decodeClientRequest(b("cid", "body"))).toThrow(ProtocolError);
    expect(decodeClientRequest(b(CID, "", "q"))).toEqual({ envelope: b(CID), body: b("q") });
  });

  it("refuses to encode what could not be decoded", () => {
    expect(() => encodeReply([Buffer.from(CID)], [])).toThrow(ProtocolError);
    expect(() => encodeRequest([""], ["x"])).toThrow(ProtocolError);
  });

  it("round-trips random envelopes and bodies", () => {
    for (let i = 0; i < 500; i++) {
      const envelope = Array.from({ length: 1 + (i % 3) }, () => randomBytes(1 + (i % 7)));
      const body = Array.from({ length: 1 + (i % 4) }, (_, j) => randomBytes((i + j) % 5));
      const wire = toBuffers(encodeRequest(envelope, body));
      expect(decodeQueueMessage(wire)).toEqual({ type: "request", envelope, body });
      expect(decodeWorkerMessage(toBuffers(encodeReply(envelope, body)))).toEqual({ type: "reply", envelope, body });
    }
  });

  it("random frames decode to a valid message or throw ProtocolError, never anything else", () => {
    let decoded = 0;
    for (let i = 0; i < 5000; i++) {
      const frames = Array.from({ length: Math.floor(Math.random() * 5) }, () => randomBytes(Math.floor(Math.random() * 3)));
      for (const decode of [decodeWorkerMessage, decodeQueueMessage]) {
        try {
          const message = decode(frames);
          expect(["ready", "heartbeat", "reply", "request"]).toContain(message.type);
          decoded++;
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
