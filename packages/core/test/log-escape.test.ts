/** Logs a peer cannot forge: the escaper, the drop limiter and the loggers that use them. */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  cliLogger,
  configureDropLog,
  describeFrame,
  DropLog,
  DropSummary,
  escapeControls,
  escapeForLog,
  formatDropTally,
  LOG_TEXT_MAX,
  quoteForLog,
  taggedLogger,
} from "../src/index.js";
import { FakeClock } from "../src/testing/index.js";

/** No raw line break, ESC or other control character: what a log line must never hold. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe("escapeForLog", () => {
  it("leaves plain text as it is", () => {
    expect(escapeForLog("echo.service-1 with spaces")).toBe("echo.service-1 with spaces");
    expect(escapeForLog("héllo wörld ✓ 😀")).toBe("héllo wörld ✓ 😀");
  });

  it("escapes newlines, tabs, quotes and backslashes JSON-style", () => {
    expect(escapeForLog('a\nb\r\tc"d\\e')).toBe('a\\nb\\r\\tc\\"d\\\\e');
  });

  it("makes ANSI escape sequences visible, never live", () => {
    const out = escapeForLog("\u001b[31mred\u001b[0m");
    expect(out).toBe("\\u001b[31mred\\u001b[0m");
    expect(out).not.toMatch(RAW);
  });

  it("escapes DEL, C1 controls, line separators, bidi overrides and lone surrogates", () => {
    expect(escapeForLog("\u007f\u0085\u009b\u2028\u2029\u202e\u2066\ufeff\u0000")).toBe("\\u007f\\u0085\\u009b\\u2028\\u2029\\u202e\\u2066\\ufeff\\u0000");
    expect(escapeForLog("x\ud800y\udc00")).toBe("x\\ud800y\\udc00");
    expect(escapeForLog("\ud83d\ude00")).toBe("\ud83d\ude00"); // a whole pair is a character
  });

  it("cuts long text and marks its full length, never splitting a surrogate pair", () => {
    expect(escapeForLog("a".repeat(5000))).toBe(`${"a".repeat(LOG_TEXT_MAX)}…(5000 chars)`);
    expect(escapeForLog("abcdef", 3)).toBe("abc…(6 chars)");
    expect(escapeForLog("ab\ud83d\ude00cd", 3)).toBe("ab…(6 chars)");
    expect(escapeForLog("abc", 3)).toBe("abc");
  });

  it("quoted, it is a JSON string that decodes to the (cut) text", () => {
    for (const text of ['a\nb\u001b[31m"x"\\', "\u0000\u007f\u2028", "plain", "\ud83d\ude00"]) {
      expect(JSON.parse(quoteForLog(text))).toBe(text);
    }
  });

  it("escapeControls escapes only controls, so an escaped message is unchanged", () => {
    expect(escapeControls('say "hi"\\n\nnext\u001b[2J')).toBe('say "hi"\\n\\nnext\\u001b[2J');
    const once = escapeControls(`x ${quoteForLog("a\nb")}`);
    expect(escapeControls(once)).toBe(once);
  });

  it("describeFrame shows printable text quoted and anything with a control as hex", () => {
    expect(describeFrame(Buffer.from('ab"c'))).toBe('"ab\\"c"');
    expect(describeFrame(Buffer.from("a\nb\u001b[31m"))).toBe(`0x${Buffer.from("a\nb\u001b[31m").toString("hex")}`);
    expect(describeFrame(Buffer.alloc(40, 0x61), 4)).toBe('"aaaa"…(40B)');
  });
});

describe("DropSummary", () => {
  it("logs the first `limit` drops of a reason per window, counts the rest, summarises each window once", () => {
    const clock = new FakeClock();
    const drops = new DropSummary({ limit: 3, window: 1000 });
    const logged = Array.from({ length: 10 }, () => drops.note("malformed", clock.now()));
    expect(logged).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(drops.note("queue-full", clock.now())).toBe(true); // reasons are limited apart
    expect(drops.due(clock.now())).toEqual([]);
    expect(drops.wakeAt()).toBe(clock.now() + 1000);
    clock.advance(999);
    expect(drops.due(clock.now())).toEqual([]);
    clock.advance(1);
    const [tally, ...rest] = drops.due(clock.now());
    expect(rest).toEqual([]);
    expect(tally).toEqual({ reason: "malformed", suppressed: 7, since: 0, until: 1000 });
    expect(formatDropTally(tally!)).toBe("7 more drops (malformed) not logged in 1000 ms");
    expect(drops.due(clock.now())).toEqual([]); // once
    expect(drops.wakeAt()).toBe(Infinity);
    expect(drops.note("malformed", clock.now())).toBe(true); // a new window
  });

  it("a window that ends while drops keep coming is summarised at the next drop, nothing lost", () => {
    const drops = new DropSummary({ limit: 1, window: 100 });
    for (let t = 0; t < 250; t += 10) drops.note("x", t); // 25 drops over three windows
    expect(drops.wakeAt()).toBe(-Infinity); // two ended windows are waiting
    const due = drops.due(250);
    expect(due.map((t) => t.suppressed)).toEqual([9, 9]);
    expect(drops.flush(260)).toEqual([{ reason: "x", suppressed: 4, since: 200, until: 260 }]);
    // 3 logged + 9 + 9 + 4 counted = the 25 drops
  });

  it("rejects a bad limit or window", () => {
    expect(() => new DropSummary({ limit: -1 })).toThrow(RangeError);
    expect(() => new DropSummary({ window: 0 })).toThrow(RangeError);
  });
});

describe("DropLog", () => {
  afterEach(() => vi.useRealTimers());

  it("10,000 drops: `limit` lines, then one summary line when the window ends", async () => {
    vi.useFakeTimers();
    let t = 0;
    const lines: string[] = [];
    const drops = new DropLog({ warn: (m: string) => lines.push(m) }, { limit: 5, window: 1000 }, () => t);
    let built = 0;
    for (let i = 0; i < 10_000; i++) drops.warn("malformed", () => `drop ${++built}`);
    expect(lines).toEqual(["drop 1", "drop 2", "drop 3", "drop 4", "drop 5"]);
    expect(built).toBe(5); // messages not logged are not built
    t = 1000;
    await vi.advanceTimersByTimeAsync(1001);
    expect(lines.slice(5)).toEqual(["9995 more drops (malformed) not logged in 1000 ms"]);
  });

  it("flush() writes the open window's summary; a logger without warn builds nothing", () => {
    const lines: string[] = [];
    const drops = new DropLog({ warn: (m: string) => lines.push(m) }, { limit: 1, window: 1000 }, () => 0);
    drops.as("r").warn?.("first");
    drops.as("r").warn?.("second");
    drops.flush();
    expect(lines).toEqual(["first", "1 more drop (r) not logged in 0 ms"]);
    const silent = new DropLog({});
    silent.warn("r", () => {
      throw new Error("built");
    });
    expect(silent.as("r")).toEqual({});
  });
});

describe("loggers escape every message", () => {
  it("taggedLogger: a peer's newline or ANSI escape cannot start a new line", () => {
    const lines: string[] = [];
    const log = taggedLogger({ warn: (m: string) => lines.push(m) }, "t");
    log.warn?.("service evil\n2026-01-01T00:00:00Z INFO forged \u001b[31mred");
    expect(lines).toEqual(["[t] service evil\\n2026-01-01T00:00:00Z INFO forged \\u001b[31mred"]);
  });

  it("cliLogger text: one line per call, controls escaped", () => {
    const lines: string[] = [];
    cliLogger(false, (l) => lines.push(l)).warn?.("a\nb %s", "c\u001bd");
    expect(lines).toEqual([expect.stringMatching(/^\S+Z WARN a\\nb c\\u001bd\n$/)]);
  });

  it("cliLogger json: one JSON object per line with time, level, tag, message and fields", () => {
    const lines: string[] = [];
    const log = cliLogger(true, (l) => lines.push(l), "json");
    taggedLogger(log, "mdp-broker").warn?.('drop "x\ny"', { reason: "malformed", count: 3 });
    log.debug?.("trace %d", 7);
    log.error?.("failed", new Error("boom"));
    for (const line of lines) {
      expect(line.endsWith("\n")).toBe(true);
      expect(line.slice(0, -1)).not.toMatch(RAW);
    }
    const [warn, debug, error] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warn).toEqual({ time: expect.stringMatching(/Z$/), level: "warn", tag: "mdp-broker", message: 'drop "x\\ny"', fields: { reason: "malformed", count: 3 } });
    expect(debug).toMatchObject({ level: "debug", message: "trace 7" });
    expect(debug).not.toHaveProperty("fields");
    expect(error).toMatchObject({ level: "error", message: "failed", fields: { error: "boom" } });
  });
});

describe("configureDropLog", () => {
  it("sets the limit and window of drop logs created later without options, and validates", () => {
    const before = configureDropLog({ limit: 2 });
    try {
      expect(before).toEqual({ limit: 10, window: 10_000 });
      const lines: string[] = [];
      const drops = new DropLog({ warn: (m: string) => lines.push(m) }, undefined, () => 0);
      for (let i = 0; i < 5; i++) drops.warn("r", `d${i}`);
      expect(lines).toEqual(["d0", "d1"]);
      expect(() => configureDropLog({ window: -1 })).toThrow(RangeError);
    } finally {
      configureDropLog(before);
    }
  });
});
