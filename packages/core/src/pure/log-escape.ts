/**
 * Log lines a peer cannot forge: {@link escapeForLog} makes any text a peer
 * supplied (a service name, a frame, an error message built from its input)
 * safe to put in one log line, and {@link DropSummary} keeps a flood of
 * dropped messages from flooding the log (the first few of each reason are
 * logged, the rest counted and summarised in one line per window). Pure: no
 * I/O, time is passed in.
 *
 * @module
 */

/** The longest peer-supplied text {@link escapeForLog} shows by default, in UTF-16 code units. */
export const LOG_TEXT_MAX = 200;

/**
 * Characters that could break or disguise a log line: C0 and C1 controls
 * (newline, carriage return, ESC of ANSI sequences, …), DEL, line and
 * paragraph separators, bidi and direction marks, the BOM, lone surrogates.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const SHORT: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

const escapeChar = (c: string): string => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * Makes `text` safe and visible in one log line, JSON-string style: `\` and
 * `"` are escaped (`\\`, `\"`), newlines and tabs become `\n`, `\r`, `\t`,
 * every other control or invisible formatting character (ESC of an ANSI
 * sequence, DEL, C1 controls, U+2028/U+2029, bidi overrides, lone
 * surrogates) becomes `\uXXXX`; text longer than `max` is cut and marked
 * with its full length: `aaaa…(5000 chars)`. The result, put in double
 * quotes, is a valid JSON string (see {@link quoteForLog}).
 *
 * @param text - peer-supplied text.
 * @param max - how many UTF-16 code units to keep at most (default {@link LOG_TEXT_MAX}).
 */
export function escapeForLog(text: string, max = LOG_TEXT_MAX): string {
  let shown = text;
  let marker = "";
  if (text.length > max) {
    let cut = Math.max(0, max);
    const last = text.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut -= 1; // never split a surrogate pair
    shown = text.slice(0, cut);
    marker = `…(${text.length} chars)`;
  }
  return shown.replace(/[\\"]/g, (c) => `\\${c}`).replace(UNSAFE, escapeChar) + marker;
}

/**
 * {@link escapeForLog} in double quotes: `"a\nb"`. Use it for a peer-supplied
 * name inside a log line, so its end is visible too.
 *
 * @param text - peer-supplied text.
 * @param max - how many UTF-16 code units to keep at most (default {@link LOG_TEXT_MAX}).
 */
export function quoteForLog(text: string, max = LOG_TEXT_MAX): string {
  return `"${escapeForLog(text, max)}"`;
}

/**
 * The last line of defence for a whole log message: every control or
 * invisible formatting character becomes a visible escape (`\n`, `\u001b`),
 * everything else (quotes and backslashes included) is left as it is, so a
 * message that is already escaped is unchanged. {@link taggedLogger} and the
 * CLI logger apply it to every message.
 *
 * @param message - a log message.
 */
export function escapeControls(message: string): string {
  return message.replace(UNSAFE, escapeChar);
}

/** Options of {@link DropSummary}. */
export interface DropSummaryOptions {
  /** How many drops of one reason are logged in full per window. Default 10. */
  readonly limit?: number;
  /** The window, in ms. Default 10,000. */
  readonly window?: number;
}

/** Drops of one reason that were counted but not logged, in one window. */
export interface DropTally {
  /** The reason. */
  readonly reason: string;
  /** How many drops were not logged. */
  readonly suppressed: number;
  /** When the window started (the clock's ms). */
  readonly since: number;
  /** When it ended. */
  readonly until: number;
}

interface Window {
  start: number;
  logged: number;
  suppressed: number;
}

/**
 * A rate limiter for repeated log lines: per reason, the first `limit` drops
 * in a `window` are to be logged ({@link DropSummary.note} returns `true`),
 * the rest are counted; when a window with counted drops ends,
 * {@link DropSummary.due} returns its {@link DropTally} for one summary line
 * ({@link formatDropTally}). Pure: time is passed in; a shell calls `due`
 * at {@link DropSummary.wakeAt}.
 *
 * ```ts
 * const drops = new DropSummary({ limit: 10, window: 10_000 });
 * if (drops.note("malformed", now)) log.warn(`drop (malformed) …`);
 * // later, at drops.wakeAt():
 * for (const tally of drops.due(now)) log.warn(formatDropTally(tally));
 * ```
 */
export class DropSummary {
  /** How many drops of one reason are logged per window. */
  readonly limit: number;
  /** The window, in ms. */
  readonly window: number;
  private readonly windows = new Map<string, Window>();
  private readonly ended: DropTally[] = [];

  /**
   * @param options - the limit and the window.
   */
  constructor(options: DropSummaryOptions = {}) {
    this.limit = options.limit ?? 10;
    this.window = options.window ?? 10_000;
    if (!Number.isSafeInteger(this.limit) || this.limit < 0) throw new RangeError(`DropSummary limit must be a whole number >= 0, got ${this.limit}`);
    if (!(this.window > 0)) throw new RangeError(`DropSummary window must be > 0 ms, got ${this.window}`);
  }

  /**
   * Counts one drop of `reason` at `now`.
   *
   * @param reason - why the message was dropped (the key of the limit).
   * @param now - the clock's ms.
   * @returns `true` when it is to be logged in full, `false` when it was only counted.
   */
  note(reason: string, now: number): boolean {
    this.roll(now);
    let w = this.windows.get(reason);
    if (!w) {
      w = { start: now, logged: 0, suppressed: 0 };
      this.windows.set(reason, w);
    }
    if (w.logged < this.limit) {
      w.logged += 1;
      return true;
    }
    w.suppressed += 1;
    return false;
  }

  /**
   * The tallies of the windows that have ended by `now` with drops not
   * logged, oldest first; each is returned once.
   *
   * @param now - the clock's ms.
   */
  due(now: number): DropTally[] {
    this.roll(now);
    return this.ended.splice(0);
  }

  /**
   * Every tally not yet returned, the open windows' included (for a role
   * that is closing); the limiter starts afresh.
   *
   * @param now - the clock's ms.
   */
  flush(now: number): DropTally[] {
    for (const [reason, w] of this.windows) if (w.suppressed > 0) this.ended.push({ reason, suppressed: w.suppressed, since: w.start, until: now });
    this.windows.clear();
    return this.ended.splice(0);
  }

  /** When the next summary is due: the end of the earliest window with drops not logged, or `Infinity`. */
  wakeAt(): number {
    if (this.ended.length > 0) return -Infinity;
    let at = Infinity;
    for (const w of this.windows.values()) if (w.suppressed > 0) at = Math.min(at, w.start + this.window);
    return at;
  }

  private roll(now: number): void {
    for (const [reason, w] of this.windows) {
      if (now < w.start + this.window) continue;
      if (w.suppressed > 0) this.ended.push({ reason, suppressed: w.suppressed, since: w.start, until: w.start + this.window });
      this.windows.delete(reason);
    }
  }
}

/**
 * The one summary line of a {@link DropTally}:
 * `9990 more drops (malformed) not logged in 10000 ms`.
 *
 * @param tally - the tally.
 */
export function formatDropTally(tally: DropTally): string {
  return `${tally.suppressed} more drop${tally.suppressed === 1 ? "" : "s"} (${escapeForLog(tally.reason)}) not logged in ${Math.round(tally.until - tally.since)} ms`;
}
