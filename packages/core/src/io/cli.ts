/**
 * The CLI runner every bin of zmq-reliable is built on: flags declared once
 * ({@link FlagSpecs}), `--help`, `--verbose` and `--log-format text|json` everywhere, one start line
 * on stdout with the endpoints as bound and every timing in effect,
 * SIGINT/SIGTERM → `close()` then exit 0, and exactly one line on stderr
 * with exit status 1 on a runtime failure or 2 on bad usage.
 *
 * ```ts
 * void runCli({
 *   name: "echo-server",
 *   summary: "An echo server.",
 *   flags: { bind: { type: "string", short: "b", default: "tcp://*:5555", placeholder: "endpoint", help: "endpoint to bind" } },
 *   create: (values, { logger }) => new Echo({ bind: values.bind, logger }),
 *   started: (echo) => ({ bind: echo.boundEndpoint }),
 * });
 * ```
 *
 * @module
 */
import { type FlagSpecs, type FlagValues, LOG_FORMATS, type LogFormat, UsageError, parseFlags, withStandardFlags } from "../pure/cli-flags.js";
import { type HelpText, formatHelp } from "../pure/cli-help.js";
import { ZmqReliableError } from "../pure/errors.js";
import type { Logger } from "../pure/logger.js";
import { parseListen } from "../metrics/listen.js";
import type { MetricsServer } from "../metrics/server.js";
import type { ZapAuthenticator } from "../security/zap.js";
import { cliLogger, jsonLine } from "./cli-logger.js";
import { type CliCurve, type CurveFlagValues, cliZapAuthenticator, exposedEndpoints, exposedWarning, loadCliCurve } from "./cli-curve.js";

/** What a bin runs: a role with `start()` and `close()`. */
export interface CliRole {
  /** Binds, connects, starts serving. */
  start(): Promise<void>;
  /** Drains and releases everything. */
  close(): Promise<void>;
  /** Counters and gauges: with `--metrics`, served as Prometheus metrics (`registerMetrics`). */
  stats?(): object;
}

/** What a bin's {@link CliProgram.create} gets besides the flag values. */
export interface CliContext {
  /** Writes to stderr; `debug` only with `--verbose`. Pass it to the role. */
  readonly logger: Logger;
  /** Writes one line to stdout (for life-cycle lines scripts and tests wait for). */
  print(line: string): void;
  /** The wall-clock time in epoch ms with µs precision, as printed in `at=` fields. */
  now(): string;
  /**
   * A fatal runtime failure (say, a broken pair): writes `message` as the one
   * stderr line, closes the role, prints `stopped`, exits with status 1.
   */
  fail(message: string): void;
  /**
   * The keys of a bin with `CURVE_FLAGS`, read from the files its flags
   * name; `undefined` when CURVE is off. Pass `curve.server` to every
   * binding role (and `curve.peerKey` to a pair's state link).
   */
  readonly curve: CliCurve | undefined;
}

/** A bin: its help text, its flags and how to build and describe its role. */
export interface CliProgram<S extends FlagSpecs, R extends CliRole> extends HelpText {
  /** The bin's own flags; `--verbose` and `--help` are added. */
  readonly flags: S;
  /** Checks that need several flags at once; throws `UsageError`. */
  check?(values: FlagValues<S>): void;
  /** Builds the role (not started). An `InvalidOptionError` from it is bad usage (status 2). */
  create(values: FlagValues<S>, context: CliContext): R;
  /**
   * The start line's fields once started: every endpoint as bound (e.g. the
   * socket's `lastEndpoint`, `tcp://0.0.0.0:5555` for `tcp://*:5555`) and
   * every timing in effect. Printed as `started k=v … pid=<pid> at=<t>`.
   */
  started(role: R, values: FlagValues<S>): Readonly<Record<string, string | number | readonly string[] | undefined>>;
  /**
   * The endpoints the started role has bound, as bound. A bin with
   * `CURVE_FLAGS` gives them so the runner can warn, once, about TCP
   * endpoints bound beyond loopback without CURVE.
   */
  bound?(role: R): readonly string[];
  /**
   * More fields for the `--metrics` endpoint's `/healthz` and `/readyz`
   * bodies, such as a Binary Star node's `state`; `serving: false` makes
   * `/readyz` answer 503 (`/healthz` stays 200 while the process runs).
   */
  health?(role: R, values: FlagValues<S>): Readonly<Record<string, unknown>>;
  /**
   * A one-shot command (such as `zmq-reliable-keygen`): `start()` does the
   * work, then the runner closes the role, prints the {@link CliProgram.started}
   * fields (no `started`, `pid` or `at`) and exits 0. A failed `start()` is
   * one stderr line and exit 1.
   */
  readonly once?: boolean;
}

/**
 * One line describing a failure: a {@link ZmqReliableError}'s message (it
 * names the endpoint), a zeromq error's endpoint, message and code
 * (`tcp://0.0.0.0:5555: Address already in use (EADDRINUSE)`), or any
 * other error's message.
 *
 * @param err - what was thrown.
 */
export function failureLine(err: unknown): string {
  let line: string;
  const { address, code } = (err ?? {}) as { address?: unknown; code?: unknown };
  // Ours (checked by code too: `instanceof` breaks across duplicated installs) already name the endpoint.
  if (err instanceof ZmqReliableError || !(err instanceof Error) || (typeof code === "string" && code.startsWith("ERR_"))) {
    line = err instanceof Error ? err.message : String(err);
  } else {
    line = `${typeof address === "string" ? `${address}: ` : ""}${err.message}${typeof code === "string" && !err.message.includes(code) ? ` (${code})` : ""}`;
  }
  return line.replace(/\s*\n\s*/g, " ");
}

/**
 * `k=v` pairs for a stdout line: lists joined with commas, values with
 * spaces or quotes JSON-quoted, `undefined` left out.
 *
 * @param fields - the fields in order.
 */
export function formatFields(fields: Readonly<Record<string, string | number | readonly string[] | undefined>>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      const text = Array.isArray(value) ? value.join(",") : String(value);
      return `${key}=${/[\s"]/.test(text) || text === "" ? JSON.stringify(text) : text}`;
    })
    .join(" ");
}

const now = (): string => (performance.timeOrigin + performance.now()).toFixed(3);

/**
 * Runs a bin: parses `args`, prints help or builds and starts the role,
 * prints the start line, and on SIGINT/SIGTERM closes it (a second signal
 * exits at once with status 1). Exit status: 0 after `--help` or a signal,
 * 1 on a runtime failure (a failed start, a fatal error, an uncaught
 * exception), 2 on bad usage; each failure is one line on stderr,
 * `<name>: <what>` (with `--log-format json`, a runtime failure is one JSON
 * line, `{"level":"error","tag":"<name>","message":"<what>"}`; bad usage
 * stays text).
 *
 * @param program - the bin.
 * @param args - the arguments, default `process.argv.slice(2)`.
 */
export async function runCli<S extends FlagSpecs, R extends CliRole>(program: CliProgram<S, R>, args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const flags = withStandardFlags(program.flags);
  let json = false; // --log-format json: the runner's own failure lines after parsing are JSON too
  const say = (line: string) => process.stderr.write(json ? `${jsonLine("error", `[${program.name}] ${line}`, [])}\n` : `${program.name}: ${line}\n`);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  let values: FlagValues<S>;
  let role: R;
  let logger: Logger;
  // A bin with CURVE_FLAGS: the keys are read before the role is built, so a bad file is bad usage (exit 2).
  const curveFlags = "curve-secret-file" in flags;
  let curve: CliCurve | undefined;
  try {
    values = parseFlags(flags, args) as FlagValues<S>;
    if (values.help) {
      print(formatHelp(program, flags).trimEnd());
      process.exit(0);
    }
    const logFormat = values["log-format"];
    if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) throw new UsageError(`--log-format must be ${LOG_FORMATS.join(" or ")}, got ${JSON.stringify(logFormat)}`);
    program.check?.(values);
    if (values.metrics !== undefined) parseListen(values.metrics);
    if (curveFlags) curve = loadCliCurve(values as CurveFlagValues, "curve-peer-key" in flags);
    logger = cliLogger(values.verbose, undefined, logFormat as LogFormat);
    role = program.create(values, { logger, print, now, fail: (message) => void stop(1, message), curve });
    json = logFormat === "json";
  } catch (err) {
    const usage = (err as { code?: unknown } | undefined)?.code === "ERR_INVALID_OPTION"; // UsageError, InvalidOptionError
    say(usage ? `${failureLine(err)} (see ${program.name} --help)` : failureLine(err));
    process.exit(usage ? 2 : 1);
  }

  const crash = (err: unknown) => {
    say(values.verbose && err instanceof Error && err.stack ? err.stack.replace(/\n\s*/g, " | ") : failureLine(err));
    process.exit(1);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);

  const zap: ZapAuthenticator | undefined = curve && cliZapAuthenticator(curve, logger);
  let stopping = false;
  let metrics: MetricsServer | undefined;
  async function stop(code: number, message?: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    if (message !== undefined) say(message);
    try {
      await role.close();
      await metrics?.close();
      await zap?.close();
    } catch (err) {
      say(`close failed: ${failureLine(err)}`);
      process.exit(1);
    }
    print(`stopped at=${now()}`);
    process.exit(code);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      say(`${signal} again: exiting without draining`);
      process.exit(1);
    }
    logger.info?.(`${signal}: closing`);
    void stop(0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    await zap?.start(); // before any bind: without a ZAP handler libzmq admits every CURVE client
    await role.start();
  } catch (err) {
    if (stopping) return;
    // A failed start() has released what it took (the lifecycle contract): exit with the one line.
    say(program.once ? failureLine(err) : `cannot start: ${failureLine(err)}`);
    process.exit(1);
  }
  if (stopping) return;
  if (values.metrics !== undefined && !program.once) {
    try {
      const { startCliMetrics } = await import("./cli-metrics.js"); // prom-client loads only here
      const health = program.health && (() => program.health!(role, values));
      metrics = await startCliMetrics({ listen: values.metrics, name: program.name, role, health, stopping: () => stopping });
    } catch (err) {
      return void stop(1, `cannot start: --metrics ${values.metrics}: ${failureLine(err)}`);
    }
    if (stopping) return void metrics.close();
  }
  if (program.once) {
    await role.close();
    print(formatFields(program.started(role, values)));
    process.exit(0);
  }
  const exposed = curveFlags && !curve && program.bound ? exposedEndpoints(program.bound(role)) : [];
  if (exposed.length > 0) logger.warn?.(exposedWarning(exposed));
  const security = curveFlags ? { curve: curve ? "on" : "off" } : {};
  print(`started ${formatFields({ ...program.started(role, values), ...security, ...(metrics ? { metrics: metrics.address } : {}), pid: process.pid, at: now() })}`);
}
