import { describe, expect, it } from "vitest";
import { limitFlagName, limitFlags, limitOptions, parseFlags, UsageError, withStandardFlags } from "../src/index.js";

describe("limitFlags / limitOptions: the limit flags declared once", () => {
  const defaults = { maxQueued: 1000, maxQueuedBytes: 1 << 25, sendHighWaterMark: 1000, handlerTimeout: 10_000 };

  it("declares one bounded integer flag per option, named as the vocabulary says, with the role's defaults", () => {
    const flags = limitFlags(defaults, { help: { maxQueued: "own help" }, min: { handlerTimeout: 1 } });
    expect(Object.keys(flags).sort()).toEqual(["handler-timeout", "max-queued", "max-queued-bytes", "send-hwm"]);
    expect(flags["max-queued"]).toMatchObject({ type: "integer", min: 0, max: 10_000_000, default: 1000, help: "own help" });
    expect(flags["handler-timeout"]).toMatchObject({ min: 1, default: 10_000 });
    expect(limitFlagName("receiveHighWaterMark")).toBe("receive-hwm");
  });

  it("maps parsed values back to option names; a bad value is a UsageError naming the flag", () => {
    const flags = withStandardFlags(limitFlags(defaults));
    const v = parseFlags(flags, ["--max-queued", "5", "--send-hwm", "7"]);
    expect(limitOptions(defaults, v)).toEqual({ maxQueued: 5, maxQueuedBytes: 1 << 25, sendHighWaterMark: 7, handlerTimeout: 10_000 });
    expect(() => parseFlags(flags, ["--send-hwm", "0"])).toThrow(new UsageError("--send-hwm must be an integer between 1 and 1000000, got 0"));
  });
});
