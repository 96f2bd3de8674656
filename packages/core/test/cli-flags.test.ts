import { describe, expect, it } from "vitest";
import {
  MAX_CLI_MS,
  SHORT_FLAGS,
  UsageError,
  cliLogger,
  failureLine,
  formatFields,
  formatHelp,
  parseFlags,
  parseInteger,
  SocketError,
  withStandardFlags,
} from "../src/index.js";

const FLAGS = withStandardFlags({
  bind: { type: "strings", short: "b", default: ["tcp://*:5555"], placeholder: "endpoint", help: "endpoint to bind" },
  peer: { type: "string", placeholder: "endpoint", help: "peer to connect to" },
  primary: { type: "boolean", help: "run as the primary" },
  heartbeat: { type: "integer", min: 1, max: MAX_CLI_MS, default: 1000, placeholder: "ms", help: "heartbeat interval" },
  expiry: { type: "integer", min: 0, max: MAX_CLI_MS, placeholder: "ms", help: "request expiry" },
});

function usage(args: string[]): string {
  try {
    parseFlags(FLAGS, args);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe("ERR_INVALID_OPTION");
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error(`accepted ${JSON.stringify(args)}`);
}

describe("parseFlags", () => {
  it("applies defaults and types every value", () => {
    const v = parseFlags(FLAGS, []);
    expect(v).toEqual({ bind: ["tcp://*:5555"], peer: undefined, primary: false, heartbeat: 1000, expiry: undefined, verbose: false, help: false, "log-format": "text" });
  });

  it("parses long, short, repeated and `=` forms", () => {
    const v = parseFlags(FLAGS, ["-b", "tcp://*:1", "--bind=ipc:///x", "--peer", "tcp://h:2", "--primary", "--heartbeat=50", "--expiry", "0", "-v"]);
    expect(v).toMatchObject({ bind: ["tcp://*:1", "ipc:///x"], peer: "tcp://h:2", primary: true, heartbeat: 50, expiry: 0, verbose: true });
    expect(parseFlags(FLAGS, ["-h"]).help).toBe(true);
  });

  it("checks numbers against both bounds, negative ones included (not 'ambiguous')", () => {
    expect(usage(["--heartbeat", "-5"])).toBe(`--heartbeat must be an integer between 1 and ${2 ** 31 - 1}, got -5`);
    expect(usage(["--heartbeat=-5"])).toBe(`--heartbeat must be an integer between 1 and 2147483647, got -5`);
    expect(usage(["--heartbeat", "99999999999"])).toBe("--heartbeat must be an integer between 1 and 2147483647, got 99999999999");
    expect(usage(["--heartbeat", "0"])).toMatch(/^--heartbeat must be .* got 0$/);
    expect(usage(["--heartbeat", "2.5"])).toMatch(/got 2.5$/);
    expect(usage(["--heartbeat", "1e3"])).toMatch(/got 1e3$/);
    expect(usage(["--heartbeat", "soon"])).toMatch(/got soon$/);
    expect(usage(["--heartbeat", ""])).toMatch(/got ""$/);
    expect(usage(["--heartbeat", "-0.5"])).toMatch(/got -0.5$/);
    expect(usage(["--expiry", "-1"])).toBe("--expiry must be an integer between 0 and 2147483647, got -1");
    expect(parseFlags(FLAGS, ["--heartbeat", String(2 ** 31 - 1)]).heartbeat).toBe(2 ** 31 - 1);
    expect(parseFlags(FLAGS, ["--heartbeat", "+7"]).heartbeat).toBe(7);
  });

  it("says what is wrong in one line", () => {
    expect(usage(["--bogus"])).toBe("unknown option --bogus");
    expect(usage(["-x"])).toBe("unknown option -x");
    expect(usage(["extra"])).toBe('unexpected argument "extra"');
    expect(usage(["--peer"])).toBe("--peer needs a value");
    expect(usage(["--heartbeat"])).toBe("--heartbeat needs a value");
    expect(usage(["--peer", "--primary"])).toMatch(/^--peer needs a value/);
    expect(usage(["--primary=yes"])).toBe("--primary takes no value");
  });

  it("leaves arguments after -- alone", () => {
    expect(usage(["--", "--heartbeat", "-5"])).toBe('unexpected argument "--heartbeat"');
  });
});

describe("withStandardFlags", () => {
  it("adds --verbose (-v), --help (-h) and --log-format", () => {
    expect(FLAGS.verbose).toMatchObject({ type: "boolean", short: "v" });
    expect(FLAGS.help).toMatchObject({ type: "boolean", short: "h" });
    expect(FLAGS["log-format"]).toMatchObject({ type: "string", default: "text" });
    expect(parseFlags(FLAGS, ["--log-format", "json"])["log-format"]).toBe("json");
  });

  it("refuses a short letter with another meaning than in SHORT_FLAGS", () => {
    expect(SHORT_FLAGS.b).toBe("bind");
    expect(() => withStandardFlags({ backup: { type: "boolean", short: "b", help: "" } })).toThrow(/-b is --bind/);
    expect(() => withStandardFlags({ primary: { type: "boolean", short: "p", help: "" } })).toThrow(/not a known letter/);
    expect(() => withStandardFlags({ verbose: { type: "boolean", help: "" } })).toThrow(/standard/);
    expect(() => withStandardFlags({ n: { type: "integer", min: 5, max: 1, help: "" } })).toThrow(/bounds/);
  });
});

describe("parseInteger", () => {
  it("names the flag and the bounds", () => {
    expect(parseInteger("liveness", { min: 1, max: 1000 }, "3")).toBe(3);
    expect(() => parseInteger("liveness", { min: 1, max: 1000 }, "1001")).toThrow("--liveness must be an integer between 1 and 1000, got 1001");
  });
});

describe("formatHelp", () => {
  it("lists every flag with its short letter, default and bounds", () => {
    const help = formatHelp({ name: "x", summary: "Does x.", epilog: "Exit status: 0." }, FLAGS);
    expect(help.split("\n").slice(0, 4)).toEqual(["Usage: x [options]", "", "Does x.", ""]);
    expect(help).toMatch(/^ {2}-b, --bind <endpoint> +endpoint to bind \(repeatable; default tcp:\/\/\*:5555\)$/m);
    expect(help).toMatch(/^ {6}--heartbeat <ms> +heartbeat interval \(1\.\.2147483647; default 1000\)$/m);
    expect(help).toMatch(/^ {6}--primary +run as the primary$/m);
    expect(help).toMatch(/^ {2}-v, --verbose +/m);
    expect(help).toMatch(/^ {2}-h, --help +/m);
    expect(help.endsWith("\nExit status: 0.\n")).toBe(true);
  });
});

describe("CLI output helpers", () => {
  it("formatFields writes k=v pairs, quoting when needed", () => {
    expect(formatFields({ bind: ["tcp://0.0.0.0:1", "ipc:///x"], heartbeat: 50, skip: undefined, note: "a b" })).toBe(
      'bind=tcp://0.0.0.0:1,ipc:///x heartbeat=50 note="a b"',
    );
  });

  it("failureLine names the endpoint of a zeromq error, in one line", () => {
    const zmqError = Object.assign(new Error("Address already in use"), { code: "EADDRINUSE", address: "tcp://0.0.0.0:5555" });
    expect(failureLine(zmqError)).toBe("tcp://0.0.0.0:5555: Address already in use (EADDRINUSE)");
    expect(failureLine(new SocketError("broker: cannot bind tcp://*:1: Address already in use", "EADDRINUSE"))).toBe(
      "broker: cannot bind tcp://*:1: Address already in use",
    );
    expect(failureLine(new Error("two\n  lines"))).toBe("two lines");
    expect(failureLine("text")).toBe("text");
  });

  it("cliLogger writes timestamped lines, debug only when verbose", () => {
    const lines: string[] = [];
    const quiet = cliLogger(false, (l) => lines.push(l));
    expect(quiet.debug).toBeUndefined();
    quiet.info?.("hello %d", 5);
    cliLogger(true, (l) => lines.push(l)).debug?.("trace");
    expect(lines).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO hello 5\n$/), expect.stringMatching(/ DEBUG trace\n$/)]);
  });
});
