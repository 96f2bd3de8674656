/**
 * The stderr logger of every bin: readable lines (`--log-format text`, the
 * default) or one JSON object per line (`--log-format json`).
 *
 * @module
 */
import { createRequire } from "node:module";
import { format as format_ } from "node:util";
import type { LogFormat } from "../pure/cli-flags.js";
import { escapeControls } from "../pure/log-escape.js";
import type { LogFields, LogLevel, Logger } from "../pure/logger.js";

/**
 * A logger for stderr that takes both forms, console's `(message, ...args)`
 * and pino's `(fields, message)` (it is `structured`, so roles give it their
 * fields); `debug` is there only when `verbose`.
 *
 * - `text` (the default): `<ISO time> <LEVEL> [<role>] <message>`, readable
 *   (the fields are not repeated: the message says it).
 * - `json`: one JSON object per line, written by pino:
 *   `{"level", "time", "tag", …fields, "message"}` for a `(fields, message)`
 *   call (`tag` is the `role` field, e.g. `mdp-broker`; every field such as
 *   `service`, `peer`, `reason` at the top level); a console-form call gives
 *   `{"time", "level", "tag"?, "message", "fields"?}` as before (`tag` from a
 *   leading `[tag] `, `fields` from object arguments).
 *
 * Either way every control character of the message is escaped
 * ({@link escapeControls}): one call, one line, whatever a peer sent. Pino is
 * loaded only for `json`.
 *
 * @param verbose - whether to log debug lines.
 * @param write - where lines go.
 * @param format - `text` or `json`.
 */
export function cliLogger(verbose: boolean, write: (line: string) => void = (line) => process.stderr.write(line), format: LogFormat = "text"): Logger {
  const structured = format === "json" ? pinoWriter(verbose, write) : undefined;
  const level =
    (name: string) =>
    (first: string | LogFields, ...args: unknown[]): void => {
      const fields = typeof first === "string" ? undefined : first;
      const message = typeof first === "string" ? first : String(args.shift() ?? "");
      if (structured === undefined) {
        const tag = fields?.role === undefined ? "" : `[${String(fields.role)}] `;
        write(`${new Date().toISOString()} ${name} ${tag}${escapeControls(args.length > 0 ? format_(message, ...args) : message)}\n`);
      } else if (fields === undefined) write(`${jsonLine(name.toLowerCase(), message, args)}\n`);
      else {
        const { role, ...rest } = fields;
        const extra = splitArgs(args);
        const text = extra.rest.length > 0 ? format_(message, ...extra.rest) : message;
        const line: LogFields = { ...(role === undefined ? {} : { tag: role }), ...rest, ...(extra.fields ? { fields: extra.fields } : {}) };
        structured[name.toLowerCase() as LogLevel](line, escapeControls(text));
      }
    };
  const logger: Logger & { structured: true } = { structured: true, info: level("INFO"), warn: level("WARN"), error: level("ERROR") };
  if (verbose) logger.debug = level("DEBUG");
  return logger;
}

/** A pino logger writing `{"level": "<name>", "time": "<ISO>", …, "message"}` lines to `write`. */
function pinoWriter(verbose: boolean, write: (line: string) => void): Record<LogLevel, (fields: LogFields, message: string) => void> {
  const pino = createRequire(import.meta.url)("pino") as typeof import("pino");
  return pino.pino(
    {
      level: verbose ? "debug" : "info",
      messageKey: "message",
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write },
  );
}

const isFields = (arg: unknown): arg is Record<string, unknown> => typeof arg === "object" && arg !== null && !Array.isArray(arg) && !(arg instanceof Error);

/** A console-form call's extra arguments: objects become `fields` (an error its `error` field), the rest is formatted into the message. */
function splitArgs(args: readonly unknown[]): { fields: Record<string, unknown> | undefined; rest: unknown[] } {
  let fields: Record<string, unknown> | undefined;
  const rest: unknown[] = [];
  for (const arg of args) {
    if (isFields(arg)) {
      if (Object.keys(arg).length > 0) fields = Object.assign(fields ?? {}, arg);
    } else if (arg instanceof Error) (fields ??= {}).error = arg.message;
    else rest.push(arg);
  }
  return { fields, rest };
}

/**
 * One JSON log line (without the newline): time, level, tag, message, fields.
 *
 * @param level - the level name, lower case.
 * @param message - the message (a leading `[tag] ` becomes `tag`).
 * @param args - the call's other arguments: objects are fields, an error its message, the rest formatted into the message.
 */
export function jsonLine(level: string, message: string, args: readonly unknown[]): string {
  const { fields, rest } = splitArgs(args);
  let text = rest.length > 0 ? format_(message, ...rest) : message;
  const tag = /^\[([^\]\s]+)\] /.exec(text);
  if (tag) text = text.slice(tag[0].length);
  const line: Record<string, unknown> = { time: new Date().toISOString(), level, ...(tag ? { tag: tag[1] } : {}), message: escapeControls(text) };
  if (fields !== undefined) line.fields = fields;
  try {
    return JSON.stringify(line);
  } catch {
    return JSON.stringify({ ...line, fields: format_("%o", fields) }); // a cycle or a BigInt
  }
}
