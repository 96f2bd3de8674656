/**
 * The shell of {@link DropSummary}: drop warnings rate-limited per reason,
 * with one summary line per window for the drops not logged, written by a
 * timer that never keeps the process alive.
 *
 * @module
 */
import { DropSummary, type DropSummaryOptions, formatDropTally } from "../pure/log-escape.js";
import { type LogFields, type Logger, isStructuredLogger } from "../pure/logger.js";

let defaults: Required<DropSummaryOptions> = { limit: 10, window: 10_000 };

/**
 * Sets the limit and window of every {@link DropLog} created from now on
 * without options of its own (the ones roles create for their drop lines),
 * process-wide. Default: 10 drops of each reason per 10,000 ms.
 *
 * @param options - the new limit and/or window.
 * @returns the settings before, to restore them.
 */
export function configureDropLog(options: DropSummaryOptions): Required<DropSummaryOptions> {
  const before = defaults;
  const next = { ...defaults, ...options };
  new DropSummary(next); // validates
  defaults = next;
  return before;
}

/**
 * Writes drop warnings to `log.warn`, at most `limit` per reason per
 * `window` ms; the drops beyond that are counted and, when the window ends,
 * summarised in one line (`9990 more drops (malformed) not logged in 10000 ms`).
 * Without `log.warn` it does nothing and builds no message.
 */
export class DropLog {
  private readonly summary: DropSummary;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param log - where to write (its `warn`).
   * @param options - the limit per reason and the window (default: those of {@link configureDropLog}).
   * @param now - the clock, in ms (default `performance.now()`).
   */
  constructor(
    private readonly log: Logger,
    options?: DropSummaryOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.summary = new DropSummary({ ...defaults, ...options });
  }

  /**
   * One drop: logged when it is among the first of its reason in the window,
   * counted otherwise.
   *
   * @param reason - why it was dropped (the limiter's key).
   * @param message - the line, or a function building it (called only when logged).
   * @param fields - the line's structured fields (`service`, `peer`, `reason`, …) for a structured logger; default `{ reason }`.
   */
  warn(reason: string, message: string | (() => string), fields?: LogFields): void {
    if (!this.log.warn) return;
    if (this.summary.note(reason, this.now())) this.write(fields ?? { reason }, typeof message === "string" ? message : message());
    else this.schedule();
  }

  /** One line: `(fields, message)` to a structured logger, `(message)` to a console-shaped one. */
  private write(fields: LogFields, message: string): void {
    if (isStructuredLogger(this.log)) this.log.warn?.(fields, message);
    else this.log.warn?.(message);
  }

  /**
   * A logger whose `warn` is {@link DropLog.warn} for `reason` (its other
   * levels are left out): hand it to code that logs drops one by one.
   *
   * @param reason - the drops' reason.
   */
  as(reason: string): Logger {
    return this.log.warn
      ? { structured: true, warn: (first: string | LogFields, ...args: unknown[]) => (typeof first === "string" ? this.warn(reason, first) : this.warn(reason, String(args[0] ?? ""), first)) }
      : {};
  }

  /** Writes the summaries of every drop not yet logged (the open windows' too) and stops the timer. Call it on close. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const tally of this.summary.flush(this.now())) this.write({ reason: tally.reason, suppressed: tally.suppressed }, formatDropTally(tally));
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const at = this.summary.wakeAt();
    if (at === Infinity) return;
    this.timer = setTimeout(() => this.wake(), Math.max(0, at - this.now()) + 1);
    this.timer.unref?.();
  }

  private wake(): void {
    this.timer = undefined;
    for (const tally of this.summary.due(this.now())) this.write({ reason: tally.reason, suppressed: tally.suppressed }, formatDropTally(tally));
    this.schedule();
  }
}

/** The rate limiters of one logger, one per level (see {@link limitedLog}). */
export interface LimitedLog {
  /** Drop warnings, written to the logger's `warn`. */
  readonly warn: DropLog;
  /** Info lines a peer can make a role repeat at will (registrations, disconnects, state changes), written to its `info`. */
  readonly info: DropLog;
}

const limited = new WeakMap<Logger, LimitedLog>();

/**
 * The rate limiters of `log`, created on first use and shared by every caller
 * with the same logger: at most 10 lines per reason per 10 s at each level (see
 * {@link configureDropLog}), the rest summarised in one line per reason and window.
 *
 * @param log - a role's logger.
 */
export function limitedLog(log: Logger): LimitedLog {
  let l = limited.get(log);
  if (!l) {
    const info = log.info;
    l = { warn: new DropLog(log), info: new DropLog(info ? { structured: isStructuredLogger(log), warn: (...args: [string | LogFields, ...unknown[]]) => info.apply(log, args) } : {}) };
    limited.set(log, l);
  }
  return l;
}

/**
 * Writes the summary lines of `log`'s limiters for the windows still open (call it on close).
 *
 * @param log - a role's logger.
 */
export function flushLimitedLog(log: Logger): void {
  const l = limited.get(log);
  l?.warn.flush();
  l?.info.flush();
}
