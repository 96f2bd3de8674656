/**
 * A logger for tests that keeps every line it is given.
 *
 * @module
 */
import type { LogLevel, Logger } from "../pure/logger.js";

/** What {@link captureLogger} returns: the logger and the lines it has kept. */
export interface CapturedLog {
  /** Hand this to a role's `logger` option. */
  readonly logger: Logger;
  /** Every line logged so far, in order (extra arguments joined with spaces). */
  readonly lines: string[];
}

/**
 * A logger that keeps every line of the given levels (the others are absent,
 * so nothing is formatted for them).
 *
 * @param levels - the levels to keep; default info, warn and error.
 */
export function captureLogger(levels: readonly LogLevel[] = ["info", "warn", "error"]): CapturedLog {
  const lines: string[] = [];
  const logger: Logger = {};
  for (const level of levels) logger[level] = (message: unknown, ...args: unknown[]) => void lines.push(args.length === 0 ? String(message) : [message, ...args].map(String).join(" "));
  return { logger, lines };
}
