/**
 * The optional logger every role accepts. Libraries never write to the console
 * themselves.
 *
 * @module
 */
import { escapeControls } from "./log-escape.js";

/**
 * The structured fields of a log line (pino's first argument): what the
 * line is about. Roles set the ones they know; any other key may be added.
 */
export interface LogFields {
  /** The role's tag (`mdp-broker`, `ppp-queue`, …). */
  role?: string;
  /** An endpoint (bound or connected). */
  endpoint?: string;
  /** A peer's routing id, hex. */
  peer?: string;
  /** A Majordomo service name (peer-supplied: as sent). */
  service?: string;
  /** Why (a drop or disconnect reason, …). */
  reason?: string;
  /** Anything else. */
  [field: string]: unknown;
}

/** One level of a {@link Logger}: console's `(message, ...args)` or pino's `(fields, message)`. */
export type LogMethod = (messageOrFields: string | LogFields, ...args: unknown[]) => void;

/**
 * A console- or pino-shaped logger. Every method is optional. Roles call it
 * console's way, `(message)`, unless {@link Logger.structured} is true (or it
 * has pino's `child()`): then pino's way, `(fields, message)`, every line
 * with its {@link LogFields} (`role` at least).
 */
export interface Logger {
  /** Per-message traces (very verbose). */
  debug?(messageOrFields: string | LogFields, ...args: unknown[]): void;
  /** Life-cycle events: bound, connected, state changes. */
  info?(messageOrFields: string | LogFields, ...args: unknown[]): void;
  /** Recoverable problems: dropped messages, expired peers, retries. */
  warn?(messageOrFields: string | LogFields, ...args: unknown[]): void;
  /** Failures that lost work or stopped a role. */
  error?(messageOrFields: string | LogFields, ...args: unknown[]): void;
  /** Take `(fields, message)` calls (pino's form). Pino loggers are detected by their `child()`. */
  readonly structured?: boolean;
}

/** The level names of {@link Logger}. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The levels of a {@link Logger}, most verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/**
 * Whether `logger` takes pino's `(fields, message)` form: it says so
 * (`structured: true`) or it has pino's `child()`.
 *
 * @param logger - a logger.
 */
export function isStructuredLogger(logger: Logger): boolean {
  return logger.structured === true || typeof (logger as { child?: unknown }).child === "function";
}

/**
 * A logger that tags every line; a no-op when `logger` is undefined.
 * Methods are bound so callers can test `log.debug` once and skip building
 * messages, and take either form: `(message)` or `(fields, message)` (so it
 * is `structured` itself).
 *
 * - To a console-shaped logger each line goes as one string,
 *   `[tag] message` (the fields are left out: the message says it all).
 * - To a structured one ({@link isStructuredLogger}: pino, the CLIs' logger)
 *   it goes as `({ role: tag, ...fields }, message)`.
 *
 * Either way every message goes through {@link escapeControls}: no message,
 * whatever peer-supplied text it holds, writes a raw newline or ANSI escape.
 *
 * @param logger - the user's logger, if any.
 * @param tag - prefix such as `"mdp-broker"` (the `role` field).
 * @param base - fields every structured line carries (a worker's `service`, say); a line's own fields win.
 */
export function taggedLogger(logger: Logger | undefined, tag: string, base?: LogFields): Logger {
  if (!logger) return {};
  const out: { -readonly [K in keyof Logger]: Logger[K] } = { structured: true }; // it takes both forms
  const structured = isStructuredLogger(logger);
  for (const level of LOG_LEVELS) {
    const fn = logger[level];
    if (!fn) continue;
    out[level] = (first: string | LogFields, ...args: unknown[]) => {
      const fields = typeof first === "string" ? undefined : first;
      const message = typeof first === "string" ? first : String(args.shift() ?? "");
      if (structured) fn.call(logger, { role: tag, ...base, ...fields }, escapeControls(message), ...args);
      else fn.call(logger, `[${tag}] ${escapeControls(message)}`, ...args);
    };
  }
  return out;
}
