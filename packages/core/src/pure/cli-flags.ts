/**
 * Command-line flags, declared once: every bin of zmq-reliable describes its
 * flags as {@link FlagSpecs} (name, short letter, type, bounds, default,
 * help text); {@link parseFlags} parses them with `node:util`'s `parseArgs`
 * and checks every number against both of its bounds (`formatHelp`, in
 * `cli-help.ts`, writes the `--help` text). Pure: no process, no I/O.
 * The process side (signals, exit codes, the start line) is core's CLI
 * runner, `runCli`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { MAX_TIMER_DELAY } from "./clock.js";
import { ZmqReliableError } from "./errors.js";

/** What every flag declares. */
interface FlagBase {
  /**
   * One-letter alias. Only the letters of {@link SHORT_FLAGS} are allowed,
   * each for its one long name, so no letter means two things in two bins.
   */
  readonly short?: string;
  /** One line of help. */
  readonly help: string;
}

/** A switch: present or not. */
export interface BooleanFlag extends FlagBase {
  /** Discriminant. */
  readonly type: "boolean";
}

/** A text value, such as an endpoint. */
export interface StringFlag extends FlagBase {
  /** Discriminant. */
  readonly type: "string";
  /** Used when the flag is absent; without one the value is `undefined`. */
  readonly default?: string;
  /** The value's name in the help text, e.g. `endpoint`. Default `value`. */
  readonly placeholder?: string;
}

/** A text value that may be given several times, such as several endpoints to bind. */
export interface StringListFlag extends FlagBase {
  /** Discriminant. */
  readonly type: "strings";
  /** Used when the flag is absent; without one the value is `[]`. */
  readonly default?: readonly string[];
  /** The value's name in the help text. Default `value`. */
  readonly placeholder?: string;
}

/** A whole number with a lower and an upper bound, such as a heartbeat in ms. */
export interface IntegerFlag extends FlagBase {
  /** Discriminant. */
  readonly type: "integer";
  /** Smallest value accepted. */
  readonly min: number;
  /** Largest value accepted (at most `Number.MAX_SAFE_INTEGER`). */
  readonly max: number;
  /** Used when the flag is absent; without one the value is `undefined`. */
  readonly default?: number;
  /** The value's name in the help text, e.g. `ms`. Default `n`. */
  readonly placeholder?: string;
}

/** One flag's declaration. */
export type FlagSpec = BooleanFlag | StringFlag | StringListFlag | IntegerFlag;

/** A bin's flags by long name (without the leading `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** A flag declared with a number default: its value is never `undefined`. */
export interface WithNumberDefault {
  /** The default. */
  readonly default: number;
}

/** A flag declared with a text default: its value is never `undefined`. */
export interface WithStringDefault {
  /** The default. */
  readonly default: string;
}

/** The parsed value of one flag, typed from its declaration. */
export type FlagValue<F extends FlagSpec> = F extends BooleanFlag
  ? boolean
  : F extends StringListFlag
    ? string[]
    : F extends IntegerFlag
      ? F extends WithNumberDefault
        ? number
        : number | undefined
      : F extends WithStringDefault
        ? string
        : string | undefined;

/** The shape of {@link STANDARD_FLAGS}. */
export type StandardFlags = {
  /** `--verbose`, `-v`: debug logging to stderr. */
  readonly verbose: BooleanFlag;
  /** `--help`, `-h`: print the help and exit 0. */
  readonly help: BooleanFlag;
  /** `--log-format text|json`: stderr log lines as text (the default) or one JSON object per line. */
  readonly "log-format": StringFlag & WithStringDefault;
  /** `--metrics [host:]port`: serve `/metrics` (Prometheus), `/healthz` and `/readyz` over HTTP; a bare port is on 127.0.0.1. */
  readonly metrics: StringFlag;
};

/** The values `--log-format` takes: `text` (`<time> <LEVEL> <message>`) or `json` (one object per line). */
export const LOG_FORMATS = ["text", "json"] as const;

/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The flags every bin has, added by {@link withStandardFlags}. */
export const STANDARD_FLAGS: StandardFlags = Object.freeze<StandardFlags>({
  verbose: { type: "boolean", short: "v", help: "also log every message (debug level) to stderr" },
  help: { type: "boolean", short: "h", help: "show this help and exit" },
  "log-format": { type: "string", default: "text", placeholder: "text|json", help: "stderr log lines as text or as one JSON object per line (level, time, message, fields)" },
  metrics: { type: "string", placeholder: "host:port", help: "serve Prometheus /metrics, /healthz and /readyz over HTTP (a bare port: on 127.0.0.1)" },
});

/** The shape of {@link CURVE_FLAGS}. */
export type CurveFlags = {
  /** `--curve-secret-file <path>`: this server's key pair (a CZMQ secret certificate); turns CURVE on for every socket. */
  readonly "curve-secret-file": StringFlag;
  /** `--allow-keys-file <path>`: the client public keys admitted (a ZAP allow-list); needs `--curve-secret-file`. */
  readonly "allow-keys-file": StringFlag;
};

/**
 * The CURVE flags of every server bin, declared once: spread them into a
 * bin's flags and core's CLI runner reads the key files (bad usage, exit 2,
 * on a missing, unreadable or malformed one), hands the keys to `create` as
 * `context.curve`, runs the ZAP allow-list, and prints `curve=on|off`.
 */
export const CURVE_FLAGS: CurveFlags = Object.freeze<CurveFlags>({
  "curve-secret-file": {
    type: "string",
    placeholder: "path",
    help: "this server's CURVE key pair (a <name>_secret certificate from zmq-reliable-keygen); encrypts every socket",
  },
  "allow-keys-file": {
    type: "string",
    placeholder: "path",
    help: "admit only these CURVE client keys: one Z85 public key or certificate path per line, # comments (needs --curve-secret-file)",
  },
});

/** The shape of {@link CURVE_PEER_FLAGS}. */
export type CurvePeerFlags = {
  /** `--curve-peer-key <z85|path>`: the pair peer's public key; required with `--curve-secret-file`. */
  readonly "curve-peer-key": StringFlag;
};

/**
 * The flag of a pair bin whose node connects to its peer (Binary Star's
 * state link): the peer's public key, which its connecting socket verifies
 * and which alone may connect to this node's state socket. Add it next to
 * {@link CURVE_FLAGS}.
 */
export const CURVE_PEER_FLAGS: CurvePeerFlags = Object.freeze<CurvePeerFlags>({
  "curve-peer-key": {
    type: "string",
    placeholder: "z85|path",
    help: "the peer's CURVE public key, as Z85 or its certificate's path; required with --curve-secret-file",
  },
});

/** The parsed values of a bin's flags, {@link STANDARD_FLAGS} included. */
export type FlagValues<S extends FlagSpecs> = { -readonly [K in keyof S]: FlagValue<S[K]> } & {
  -readonly [K in keyof StandardFlags]: FlagValue<StandardFlags[K]>;
};

/**
 * The one-letter aliases, each with the one long flag it may stand for in
 * any bin. A bin may leave a letter out, never give it another meaning.
 */
export const SHORT_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  b: "bind",
  e: "endpoint",
  h: "help",
  v: "verbose",
});

/** The largest number of milliseconds a timing flag takes: Node's longest timer, 2^31 - 1 (about 24.8 days). */
export const MAX_CLI_MS = MAX_TIMER_DELAY;

/** The largest liveness (missed heartbeats) or attempt count a flag takes. */
export const MAX_CLI_COUNT = 1000;

/**
 * Bad usage: an unknown flag, a missing or out-of-range value, a stray
 * argument. Its message is one line naming the flag; bins exit with status 2.
 */
export class UsageError extends ZmqReliableError {
  /** @param message - one line naming the flag and what was wrong. */
  constructor(message: string) {
    super("ERR_INVALID_OPTION", message);
  }
}

/**
 * The flags with {@link STANDARD_FLAGS} added, after checking that no long
 * name is declared twice and that every short letter is the one
 * {@link SHORT_FLAGS} gives its long name.
 *
 * @param flags - the bin's own flags.
 * @throws `Error` on a declaration mistake (a bug in the bin, not bad usage).
 */
export function withStandardFlags<S extends FlagSpecs>(flags: S): S & StandardFlags {
  for (const name of Object.keys(STANDARD_FLAGS)) {
    if (name in flags) throw new Error(`flag --${name} is standard; do not declare it`);
  }
  const all = { ...flags, ...STANDARD_FLAGS };
  for (const [name, spec] of Object.entries(all)) {
    if (spec.short !== undefined && SHORT_FLAGS[spec.short] !== name) {
      throw new Error(`flag --${name} cannot have the short -${spec.short}: ${SHORT_FLAGS[spec.short] ? `-${spec.short} is --${SHORT_FLAGS[spec.short]}` : "not a known letter"}`);
    }
    if (spec.type === "integer" && !(Number.isSafeInteger(spec.min) && Number.isSafeInteger(spec.max) && spec.min <= spec.max)) {
      throw new Error(`flag --${name} has bad bounds ${spec.min}..${spec.max}`);
    }
  }
  return all;
}

/**
 * Parses `args` (without the node and script paths) against `flags`.
 * Numbers are checked against both bounds; a negative number after a
 * number flag (`--heartbeat -5`) is taken as its value so the message is the
 * bounds one. Absent flags get their defaults.
 *
 * @param flags - the bin's flags, as returned by {@link withStandardFlags}.
 * @param args - the command-line arguments.
 * @returns the values, one per flag.
 * @throws {@link UsageError} with one line naming the flag.
 */
export function parseFlags<S extends FlagSpecs>(flags: S, args: readonly string[]): FlagValues<S> {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] = {
      type: spec.type === "boolean" ? "boolean" : "string",
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === "strings" ? { multiple: true } : {}),
    };
  }
  let raw: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values: raw } = parseArgs({ args: joinNegativeNumbers(flags, args), options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(flags)) {
    const given = raw[name];
    switch (spec.type) {
      case "boolean":
        values[name] = given === true;
        break;
      case "strings":
        values[name] = Array.isArray(given) && given.length > 0 ? given.map(String) : [...(spec.default ?? [])];
        break;
      case "string":
        values[name] = typeof given === "string" ? given : spec.default;
        break;
      case "integer":
        values[name] = typeof given === "string" ? parseInteger(name, spec, given) : spec.default;
        break;
    }
  }
  return values as FlagValues<S>;
}

/**
 * Checks `text` as the value of integer flag `--name`.
 *
 * @param name - the flag's long name.
 * @param spec - its declaration.
 * @param text - the value as given.
 * @throws {@link UsageError} `--name must be an integer between min and max, got text`.
 */
export function parseInteger(name: string, spec: Pick<IntegerFlag, "min" | "max">, text: string): number {
  const value = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max) {
    throw new UsageError(`--${name} must be an integer between ${spec.min} and ${spec.max}, got ${text === "" || /\s/.test(text) ? JSON.stringify(text) : text}`);
  }
  return value;
}

/** `--heartbeat -5` → `--heartbeat=-5` (and `-x -5` → `--long=-5`) for number flags, which `parseArgs` would call ambiguous. */
function joinNegativeNumbers(flags: FlagSpecs, args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const long = arg.startsWith("--");
    const name = long ? arg.slice(2) : /^-[a-zA-Z]$/.test(arg) ? SHORT_FLAGS[arg.slice(1)] : undefined;
    const spec = name === undefined ? undefined : flags[name];
    const named = spec !== undefined && (long || spec.short === arg.slice(1));
    if (named && spec.type === "integer" && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** One line from a `parseArgs` error. */
function parseArgsMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown })?.code;
  let m: RegExpExecArray | null;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && (m = /^Unknown option '([^']+)'/.exec(message))) return `unknown option ${m[1]}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && (m = /^Unexpected argument '([^']*)'/.exec(message))) return `unexpected argument ${JSON.stringify(m[1])}`;
  if ((m = /^Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument missing/.exec(message))) return `${m[1]} needs a value`;
  if ((m = /^Option '(-\w|--[\w-]+)' argument is ambiguous/.exec(message))) return `${m[1]} needs a value (write ${m[1]}=<value> for one starting with a dash)`;
  if ((m = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message))) return `${m[1]} takes no value`;
  return message.split("\n")[0]!;
}
