import { randomBytes } from "node:crypto";
import { ProtocolError } from "@zmq-reliable/core";
import { describe, expect, it } from "vitest";
import { BINARY_STAR_STATES, STATE_CODES, decodeState, encodeState } from "../src/index.js";

describe("state messages (docs/protocols/binary-star.md#frames)", () => {
  it("encodes each state as one frame holding its ASCII digit, byte for byte", () => {
    expect(encodeState("PRIMARY")).toEqual([Buffer.from("1")]);
    expect(encodeState("BACKUP")).toEqual([Buffer.from("2")]);
    expect(encodeState("ACTIVE")).toEqual([Buffer.from("3")]);
    expect(encodeState("PASSIVE")).toEqual([Buffer.from("4")]);
    for (const state of BINARY_STAR_STATES) {
      const [frame, ...rest] = encodeState(state);
      expect(rest).toHaveLength(0);
      expect([...frame!]).toEqual([0x30 + STATE_CODES[state]]);
    }
  });

  it("round-trips every state", () => {
    for (const state of BINARY_STAR_STATES) expect(decodeState(encodeState(state))).toBe(state);
  });

  it("decodes what a reference node sends (zstr_sendf \"%d\")", () => {
    expect(decodeState([Buffer.from("3", "latin1")])).toBe("ACTIVE");
  });

  it.each([
    ["no frame", []],
    ["two frames", [Buffer.from("1"), Buffer.from("1")]],
    ["an empty frame", [Buffer.alloc(0)]],
    ["digit 0", [Buffer.from("0")]],
    ["digit 5 (CLIENT_REQUEST is internal)", [Buffer.from("5")]],
    ["two digits", [Buffer.from("12")]],
    ["a NUL-terminated digit", [Buffer.from("3\0", "latin1")]],
    ["a binary 3", [Buffer.from([3])]],
    ["a word", [Buffer.from("ACTIVE")]],
  ])("rejects %s with ProtocolError", (_name, message) => {
    expect(() => decodeState(message as Buffer[])).toThrow(ProtocolError);
  });

  it("never throws anything but ProtocolError on random input", () => {
    for (let i = 0; i < 2000; i++) {
      const frames = Array.from({ length: 1 + (i % 3) }, () => randomBytes(i % 5));
      try {
        const state = decodeState(frames);
        expect(frames).toHaveLength(1);
        expect(BINARY_STAR_STATES).toContain(state);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).code).toBe("ERR_PROTOCOL");
      }
    }
  });
});

