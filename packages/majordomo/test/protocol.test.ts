import { EMPTY, ProtocolError } from "@zmq-reliable/core";
import { describe, expect, it } from "vitest";
import type { MalformedReason, MdpMessage } from "../src/index.js";
import {
  MDPC_CLIENT,
  MDPW_WORKER,
  MdpCommand,
  MdpProtocolError,
  decode,
  decodeAfterDelimiter,
  encode,
  encodeClientMessage,
  encodeDisconnect,
  encodeHeartbeat,
  encodeReady,
  encodeWorkerReply,
  isMmiService,
} from "../src/index.js";
import { bufs, int, rng } from "./helpers.js";

const b = (s: string) => Buffer.from(s);
const byte = (n: number) => Buffer.from([n]);

describe("MDP/0.1 constants (mdp.h)", () => {
  it("has the reference headers and command bytes", () => {
    expect(MDPC_CLIENT).toBe("MDPC01");
    expect(MDPW_WORKER).toBe("MDPW01");
    expect(MdpCommand).toEqual({ READY: 1, REQUEST: 2, REPLY: 3, HEARTBEAT: 4, DISCONNECT: 5 });
  });
});

describe("encoders produce the RFC 7 frames byte for byte", () => {
  it("client REQUEST / broker REPLY", () => {
    expect(bufs(encodeClientMessage("echo", ["a", b("b")]))).toEqual([EMPTY, b("MDPC01"), b("echo"), b("a"), b("b")]);
    expect(bufs(encodeClientMessage("echo", "x", { delimiter: false }))).toEqual([b("MDPC01"), b("echo"), b("x")]);
  });

  it("worker commands", () => {
    expect(bufs(encodeReady("echo"))).toEqual([EMPTY, b("MDPW01"), byte(1), b("echo")]);
    expect(bufs(encodeWorkerReply(b("CID"), ["r1", "r2"]))).toEqual([EMPTY, b("MDPW01"), byte(3), b("CID"), EMPTY, b("r1"), b("r2")]);
    expect(bufs(encodeHeartbeat())).toEqual([EMPTY, b("MDPW01"), byte(4)]);
    expect(bufs(encodeDisconnect())).toEqual([EMPTY, b("MDPW01"), byte(5)]);
    expect(bufs(encode({ type: "request", client: b("C"), body: ["x"] }))).toEqual([EMPTY, b("MDPW01"), byte(2), b("C"), EMPTY, b("x")]);
  });

  it("refuses bodies without frames", () => {
    expect(() => encodeClientMessage("echo", [])).toThrow(ProtocolError);
    expect(() => encodeWorkerReply("c", [])).toThrow(ProtocolError);
    expect(() => encode({ type: "request", client: "c", body: [] })).toThrow(ProtocolError);
  });
});

describe("decode", () => {
  const samples: MdpMessage[] = [
    { type: "client", service: "echo", body: [b("hello")] },
    { type: "client", service: "mmi.service", body: [b("a"), EMPTY, b("c")] },
    { type: "ready", service: "échø" },
    { type: "request", client: Buffer.from([0, 0x80, 1, 2, 3]), body: [b("x"), b("y")] },
    { type: "reply", client: b("client-id"), body: [EMPTY] },
    { type: "heartbeat" },
    { type: "disconnect" },
  ];

  it.each(samples.map((s) => [s.type, s] as const))("round-trips %s", (_type, message) => {
    const frames = bufs(encode(message));
    expect(decode(frames)).toEqual(message);
    // as a ROUTER sees it (routing id first) and as a REQ sees it (no delimiter)
    expect(decode([b("ID"), ...frames], 1)).toEqual(message);
    expect(decodeAfterDelimiter(bufs(encode(message, { delimiter: false })))).toEqual(message);
  });

  const W = (cmd: number, ...rest: Buffer[]) => [EMPTY, b("MDPW01"), byte(cmd), ...rest];
  const malformed: [string, Buffer[], MalformedReason, "client" | "worker" | undefined][] = [
    ["no frames", [], "too-few-frames", undefined],
    ["only the delimiter", [EMPTY], "too-few-frames", undefined],
    ["no delimiter", [b("MDPC01"), b("echo"), b("x")], "missing-delimiter", undefined],
    ["wrong header", [EMPTY, b("MDPC02"), b("echo"), b("x")], "unknown-header", undefined],
    ["0.2 header-less client command", [EMPTY, byte(1), b("echo"), b("x")], "unknown-header", undefined],
    ["client without body", [EMPTY, b("MDPC01"), b("echo")], "too-few-frames", "client"],
    ["client without service", [EMPTY, b("MDPC01")], "too-few-frames", "client"],
    ["client with empty service", [EMPTY, b("MDPC01"), EMPTY, b("x")], "empty-service", "client"],
    ["client with a 256-byte service", [EMPTY, b("MDPC01"), Buffer.alloc(256, 0x61), b("x")], "service-too-long", "client"],
    ["client with a non-UTF-8 service", [EMPTY, b("MDPC01"), Buffer.from([0x65, 0xff]), b("x")], "invalid-service", "client"],
    ["worker without command", [EMPTY, b("MDPW01")], "too-few-frames", "worker"],
    ["empty command frame", [EMPTY, b("MDPW01"), EMPTY], "bad-command-frame", "worker"],
    ["two-byte command frame", [EMPTY, b("MDPW01"), Buffer.from([1, 0]), b("echo")], "bad-command-frame", "worker"],
    ["unknown command 0x00", W(0), "unknown-command", "worker"],
    ["unknown command 0x06 (0.2 DISCONNECT)", W(6), "unknown-command", "worker"],
    ["unknown command 0xff", W(0xff), "unknown-command", "worker"],
    ["READY without service", W(1), "too-few-frames", "worker"],
    ["READY with empty service", W(1, EMPTY), "empty-service", "worker"],
    ["READY with extra frames", W(1, b("echo"), b("extra")), "extra-frames", "worker"],
    ["READY with oversized service", W(1, Buffer.alloc(1000, 0x61)), "service-too-long", "worker"],
    ["REPLY without body", W(3, b("C"), EMPTY), "too-few-frames", "worker"],
    ["REPLY without address", W(3), "too-few-frames", "worker"],
    ["REPLY with empty address", W(3, EMPTY, EMPTY, b("x")), "bad-address", "worker"],
    ["REPLY with oversized address", W(3, Buffer.alloc(256, 1), EMPTY, b("x")), "bad-address", "worker"],
    ["REPLY without address delimiter", W(3, b("C"), b("not-empty"), b("x")), "missing-address-delimiter", "worker"],
    ["REQUEST without body", W(2, b("C"), EMPTY), "too-few-frames", "worker"],
    ["HEARTBEAT with extra frame", W(4, b("x")), "extra-frames", "worker"],
    ["DISCONNECT with extra frame", W(5, EMPTY), "extra-frames", "worker"],
  ];

  it.each(malformed)("rejects %s", (_name, frames, reason, subprotocol) => {
    let error: unknown;
    try {
      decode(frames);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MdpProtocolError);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: "ERR_PROTOCOL", reason, subprotocol });
  });

  it("keeps body buffers as received (no copies)", () => {
    const body = b("payload");
    const msg = decode([EMPTY, b("MDPC01"), b("svc"), body]);
    expect(msg.type === "client" && msg.body[0]).toBe(body);
  });

  it("names the mmi namespace", () => {
    expect(isMmiService("mmi.service")).toBe(true);
    expect(isMmiService("mmi.")).toBe(true);
    expect(isMmiService("echo.mmi.")).toBe(false);
    expect(isMmiService("MMI.service")).toBe(false);
  });
});

describe("decode property: random frames give a valid message or MdpProtocolError, never anything else", () => {
  const pieces = [EMPTY, b("MDPC01"), b("MDPW01"), ...[0, 1, 2, 3, 4, 5, 6, 0xff].map(byte), b("echo"), b("mmi.service"), b("x")];

  function randomFrame(random: () => number): Buffer {
    const r = random();
    if (r < 0.6) return pieces[int(random, pieces.length)]!;
    if (r < 0.95) return Buffer.from(Array.from({ length: int(random, 8) }, () => int(random, 256)));
    return Buffer.alloc(200 + int(random, 200), int(random, 256));
  }

  const seeds: Buffer[][] = [
    bufs(encodeClientMessage("echo", ["a", "b"])),
    bufs(encodeReady("echo")),
    bufs(encode({ type: "request", client: "C", body: ["x"] })),
    bufs(encodeWorkerReply("C", "x")),
    bufs(encodeHeartbeat()),
    bufs(encodeDisconnect()),
  ];

  /** Half fully random, half a valid message with 0–2 mutations (drop, insert or replace a frame). */
  function randomFrames(random: () => number): Buffer[] {
    if (random() < 0.5) return Array.from({ length: int(random, 9) }, () => randomFrame(random));
    const frames = [...seeds[int(random, seeds.length)]!];
    for (let m = int(random, 3); m > 0; m--) {
      const at = int(random, frames.length + 1);
      const op = int(random, 3);
      if (op === 0) frames.splice(at, 1);
      else if (op === 1) frames.splice(at, 0, randomFrame(random));
      else frames[Math.min(at, frames.length - 1)] = randomFrame(random);
    }
    return frames;
  }

  it("holds for 20,000 random messages; valid ones survive encode → decode", () => {
    const random = rng(0x5eed);
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const frames = randomFrames(random);
      let msg: MdpMessage;
      try {
        msg = decode(frames);
      } catch (e) {
        expect(e).toBeInstanceOf(MdpProtocolError);
        continue;
      }
      valid++;
      expect(bufs(encode(msg))).toEqual(frames);
    }
    expect(valid).toBeGreaterThan(2000); // the generator does reach valid messages
  });
});
