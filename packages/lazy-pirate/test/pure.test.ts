import { describe, expect, it } from "vitest";
import { EMPTY, replyFrames, seededRandom } from "@zmq-reliable/core";
import { FaultPlan } from "../src/faults.js";
import { decodeSequence, encodeRequest, encodeSequence, isEcho } from "../src/protocol.js";

describe("protocol", () => {
  it("sends the body frames exactly as given, any frame type", () => {
    expect(encodeRequest("1")).toEqual([Buffer.from("1")]);
    const bytes = new Uint8Array([0, 255, 7]);
    expect(encodeRequest(["a", Buffer.from([1, 2]), bytes, ""])).toEqual([Buffer.from("a"), Buffer.from([1, 2]), Buffer.from(bytes), Buffer.alloc(0)]);
  });

  it("refuses an empty request; replies follow core's replyFrames (an empty result is one empty frame)", () => {
    expect(() => encodeRequest([])).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    // The server turns a handler's result into reply frames with core's one rule (replyFrames).
    expect(replyFrames([])).toEqual([EMPTY]);
    expect(replyFrames(undefined)).toEqual([EMPTY]);
    expect(() => replyFrames(null)).toThrow(/null/);
    expect(() => replyFrames(42)).toThrow(expect.objectContaining({ code: "ERR_PROTOCOL" }));
    expect(() => replyFrames(["ok", { not: "a frame" }])).toThrow(expect.objectContaining({ code: "ERR_PROTOCOL" }));
    expect(replyFrames("x")).toEqual(["x"]);
    const bytes = new Uint8Array([1]);
    expect(replyFrames(["x", bytes])).toEqual(["x", bytes]);
  });

  it("encodes and decodes decimal sequence numbers like the reference programs", () => {
    expect(encodeSequence(0)).toEqual(Buffer.from("0"));
    expect(encodeSequence(1)).toEqual(Buffer.from("1"));
    expect(encodeSequence(12345)).toEqual(Buffer.from("12345"));
    for (const n of [0, 1, 9, 10, 99, 1000, 2 ** 40, Number.MAX_SAFE_INTEGER]) expect(decodeSequence(encodeSequence(n))).toBe(n);
    expect(() => encodeSequence(-1)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => encodeSequence(1.5)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    for (const bad of ["", "01", "+1", "-1", " 1", "1 ", "1a", "0x10", "1e3", "99999999999999999999"]) {
      expect(() => decodeSequence(bad), bad).toThrow(expect.objectContaining({ code: "ERR_PROTOCOL" }));
    }
  });

  it("random bytes decode to a number or a ProtocolError, nothing else", () => {
    const random = seededRandom(7);
    for (let i = 0; i < 2000; i++) {
      const frame = Buffer.from(Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * 256)));
      try {
        expect(Number.isSafeInteger(decodeSequence(frame))).toBe(true);
      } catch (err) {
        expect((err as { code?: string }).code).toBe("ERR_PROTOCOL");
      }
    }
  });

  it("isEcho compares frame by frame", () => {
    const req = [Buffer.from("1"), Buffer.from("x")];
    expect(isEcho([Buffer.from("1"), Buffer.from("x")], req)).toBe(true);
    expect(isEcho([Buffer.from("1")], req)).toBe(false);
    expect(isEcho([Buffer.from("2"), Buffer.from("x")], req)).toBe(false);
  });
});

describe("fault plan", () => {
  it("injects nothing by default", () => {
    const plan = new FaultPlan();
    expect(plan.active).toBe(false);
    for (let n = 1; n <= 100; n++) expect(plan.decide(n)).toEqual({ crash: false, dropReply: false, delay: 0 });
  });

  it("is deterministic for a seed and close to the asked probability", () => {
    const run = (seed: number) => {
      const plan = new FaultPlan({ dropReply: 0.3, crash: 0.05, seed });
      return Array.from({ length: 2000 }, (_, i) => plan.decide(i + 1));
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    expect(run(43)).not.toEqual(a);
    const drops = a.filter((d) => d.dropReply).length;
    const crashes = a.filter((d) => d.crash).length;
    expect(drops).toBeGreaterThan(500);
    expect(drops).toBeLessThan(700);
    expect(crashes).toBeGreaterThan(50);
    expect(crashes).toBeLessThan(150);
    expect(new FaultPlan({ dropReply: 1, seed: 1 }).seed).toBe(1);
  });

  it("functions and crashAfter decide by request number", () => {
    const plan = new FaultPlan({ dropReply: (n) => n % 2 === 0, delay: (n) => n * 10, crashAfter: 3 });
    expect([1, 2, 3, 4].map((n) => plan.decide(n))).toEqual([
      { crash: false, dropReply: false, delay: 10 },
      { crash: false, dropReply: true, delay: 20 },
      { crash: false, dropReply: false, delay: 30 },
      { crash: true, dropReply: true, delay: 40 },
    ]);
    expect(new FaultPlan({ delay: 5 }).decide(1).delay).toBe(5);
  });

  it("rejects bad fault options", () => {
    expect(() => new FaultPlan({ dropReply: 1.5 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => new FaultPlan({ crash: -0.1 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => new FaultPlan({ delay: -1 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    expect(() => new FaultPlan({ crashAfter: 1.5 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });
});
