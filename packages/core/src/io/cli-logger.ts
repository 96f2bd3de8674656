/**
 * The stderr logger of every bin: readable lines (`--log-format text`, the
 * default) or one JSON object per line (`--log-format json`).
 *
 * @module
 */
import { format as format_ } from "node:util";
import type { LogFormat } from "../pure/cli-flags.js";
import { escapeControls } from "../pure/log-escape.js";
import type { Logger } from "../pure/logger.js";

/**
 * A console-shaped logger for stderr; `debug` is there only when `verbose`.
 * As `text` (the default) each line is `<ISO time> <LEVEL> <message>`; as
 * `json` each line is one JSON object: `{"time", "level", "message"}`, plus
 * `tag` when the message starts with a {@link taggedLogger} tag (`[mdp-broker] …`)
 * and `fields` when the call passed objects (`log.warn("drop", { reason })`).
 * Either way every control character of the message is escaped
 * ({@link escapeControls}): one call, one line, whatever a peer sent.
 *
 * @param verbose - whether to log debug lines.
 * @param write - where lines go.
 * @param format - `text` or `json`.
 */
export function cliLogger(verbose: boolean, write: (line: string) => void = (line) => process.stderr.write(line), format: LogFormat = "text"): Logger {
  const level =
    (name: string) =>
    (message: string, ...args: unknown[]): void => {
      if (format === "text") {
        write(`${new Date().toISOString()} ${name} ${escapeControls(args.length > 0 ? format_(message, ...args) : message)}\n`);
        return;
      }
      write(`${jsonLine(name.toLowerCase(), message, args)}\n`);
    };
  const logger: Logger = { info: level("INFO"), warn: level("WARN"), error: level("ERROR") };
  if (verbose) logger.debug = level("DEBUG");
  return logger;
}

const isFields = (arg: unknown): arg is Record<string, unknown> => typeof arg === "object" && arg !== null && !Array.isArray(arg) && !(arg instanceof Error);

/**
 * One JSON log line (without the newline): time, level, tag, message, fields.
 *
 * @param level - the level name, lower case.
 * @param message - the message (a leading `[tag] ` becomes `tag`).
 * @param args - the call's other arguments: objects are fields, an error its message, the rest formatted into the message.
 */
export function jsonLine(level: string, message: string, args: readonly unknown[]): string {
  const fields: Record<string, unknown> = {};
  const rest: unknown[] = [];
  for (const arg of args) {
    if (isFields(arg)) Object.assign(fields, arg);
    else if (arg instanceof Error) fields.error = arg.message;
    else rest.push(arg);
  }
  let text = rest.length > 0 ? format_(message, ...rest) : message;
  const tag = /^\[([^\]\s]+)\] /.exec(text);
  if (tag) text = text.slice(tag[0].length);
  const line: Record<string, unknown> = { time: new Date().toISOString(), level, ...(tag ? { tag: tag[1] } : {}), message: escapeControls(text) };
  if (Object.keys(fields).length > 0) line.fields = fields;
  try {
    return JSON.stringify(line);
  } catch {
    return JSON.stringify({ ...line, fields: format_("%o", fields) }); // a cycle or a BigInt
  }
}
