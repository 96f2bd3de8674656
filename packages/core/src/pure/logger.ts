/**
 * The optional logger every role accepts. Libraries never write to the console
 * themselves.
 *
 * @module
 */
import { escapeControls } from "./log-escape.js";

/** A console- and pino-compatible logger. Every method is optional. */
export interface Logger {
  /** Per-message traces (very verbose). */
  debug?(message: string, ...args: unknown[]): void;
  /** Life-cycle events: bound, connected, state changes. */
  info?(message: string, ...args: unknown[]): void;
  /** Recoverable problems: dropped messages, expired peers, retries. */
  warn?(message: string, ...args: unknown[]): void;
  /** Failures that lost work or stopped a role. */
  error?(message: string, ...args: unknown[]): void;
}

/** The level names of {@link Logger}. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * A logger that prefixes every line with a tag; a no-op when `logger` is undefined.
 * Methods are bound so callers can test `log.debug` once and skip building messages.
 * Every message goes through {@link escapeControls}: no message, whatever
 * peer-supplied text it holds, writes a raw newline or ANSI escape.
 *
 * @param logger - the user's logger, if any.
 * @param tag - prefix such as `"mdp-broker"`.
 */
export function taggedLogger(logger: Logger | undefined, tag: string): Logger {
  if (!logger) return {};
  const out: Logger = {};
  for (const level of ["debug", "info", "warn", "error"] as const) {
    const fn = logger[level];
    if (fn) out[level] = (message: string, ...args: unknown[]) => fn.call(logger, `[${tag}] ${escapeControls(message)}`, ...args);
  }
  return out;
}
