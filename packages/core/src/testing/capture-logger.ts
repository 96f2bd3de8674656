/**
 * A logger for tests that keeps every line it is given.
 *
 * @module
 */
import type { LogFields, LogLevel, Logger } from "../pure/logger.js";

/** One line a structured {@link captureLogger} kept: its level, fields and message. */
export interface CapturedRecord {
  /** The level it was logged at. */
  readonly level: LogLevel;
  /** Its structured fields (`role`, `peer`, …); `{}` for a line logged without. */
  readonly fields: LogFields;
  /** Its message. */
  readonly message: string;
}

/** What {@link captureLogger} returns: the logger and the lines it has kept. */
export interface CapturedLog {
  /** Hand this to a role's `logger` option. */
  readonly logger: Logger;
  /** Every line logged so far, in order (extra arguments joined with spaces; a structured line's message only). */
  readonly lines: string[];
  /** Every line with its level and fields, in order (fields only in structured mode). */
  readonly records: CapturedRecord[];
}

/** Options of {@link captureLogger}. */
export interface CaptureLoggerOptions {
  /** Take pino's `(fields, message)` form (the logger says `structured: true`), as a JSON logger would. Default false. */
  structured?: boolean;
}

/**
 * A logger that keeps every line of the given levels (the others are absent,
 * so nothing is formatted for them).
 *
 * @param levels - the levels to keep; default info, warn and error.
 * @param options - `structured`: receive `(fields, message)` calls.
 */
export function captureLogger(levels: readonly LogLevel[] = ["info", "warn", "error"], options: CaptureLoggerOptions = {}): CapturedLog {
  const lines: string[] = [];
  const records: CapturedRecord[] = [];
  const logger: { -readonly [K in keyof Logger]: Logger[K] } = options.structured ? { structured: true } : {};
  for (const level of levels) {
    logger[level] = (first: unknown, ...args: unknown[]) => {
      if (typeof first === "object" && first !== null) {
        const message = String(args[0] ?? "");
        lines.push(message);
        records.push({ level, fields: first as LogFields, message });
        return;
      }
      const line = args.length === 0 ? String(first) : [first, ...args].map(String).join(" ");
      lines.push(line);
      records.push({ level, fields: {}, message: line });
    };
  }
  return { logger, lines, records };
}
