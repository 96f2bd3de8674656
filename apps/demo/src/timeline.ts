import type { StoryEvent, Summary, Tally } from "./tally.js";

/** ANSI colours, or nothing when the output is not a terminal (or NO_COLOR is set). */
export interface Palette {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/** Picks colours when `stream` is a colour terminal. */
export function palette(stream: NodeJS.WriteStream): Palette {
  const on = stream.isTTY === true && !process.env.NO_COLOR && stream.hasColors?.() !== false;
  const wrap = (code: number) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap(31), green: wrap(32), yellow: wrap(33), dim: wrap(2), bold: wrap(1) };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(5)}s`;

/** Prints the live timeline: one status line a second, and each event as it happens. */
export class Timeline {
  private readonly c: Palette;

  /**
   * @param tally - where the numbers come from.
   * @param out - the stream to write to; `undefined` keeps quiet (`--json`).
   * @param status - extra status fields for the scenario (e.g. workers alive).
   */
  constructor(
    private readonly tally: Tally,
    private readonly out: NodeJS.WriteStream | undefined,
    private readonly status: () => string,
  ) {
    this.c = palette(out ?? process.stdout);
  }

  /** Prints a line verbatim. */
  line(text = ""): void {
    this.out?.write(`${text}\n`);
  }

  /** Prints one story event. */
  event(e: StoryEvent): void {
    const mark = e.kind === "fault" ? this.c.red("✖") : e.kind === "recovery" ? this.c.green("✔") : this.c.dim("•");
    const text = e.kind === "fault" ? this.c.red(e.text) : e.kind === "recovery" ? this.c.green(e.text) : e.text;
    this.line(`${this.c.dim(seconds(e.at))}  ${mark} ${text}`);
  }

  /** Prints the once-a-second status line. */
  tick(): void {
    const t = this.tally;
    const active = t.active ? this.c.green(t.active) : this.c.yellow("none");
    this.line(
      this.c.dim(`${seconds(t.elapsed())}  `) +
        `active ${active} │ ${this.status()} │ ${String(Math.round(t.rate())).padStart(4)} req/s │ answered ${t.answered} │ retries ${t.retried} │ failed ${t.failed ? this.c.red(String(t.failed)) : "0"}`,
    );
  }

  /** Prints the closing table. */
  summary(s: Summary): void {
    const row = (label: string, value: string | number, good?: boolean) => {
      const v = String(value).padStart(10);
      this.line(`  ${label.padEnd(32)}${good === undefined ? v : good ? this.c.green(v) : this.c.red(v)}`);
    };
    this.line();
    this.line(this.c.bold(`Summary (${s.scenario}, seed ${s.seed}, ${(s.durationMs / 1000).toFixed(1)} s)`));
    row("requests sent", s.sent);
    row("answered", s.answered, s.answered === s.sent);
    row("retried", s.retried);
    row("failed", s.failed, s.failed === 0);
    row("lost (never answered)", s.lost, s.lost === 0);
    row("duplicates delivered to callers", s.duplicates, s.duplicates === 0);
    row("failovers", s.failovers);
    row("failover gap (ms)", s.failoverGapMs ?? "-");
    row("processes left running", s.childrenLeft, s.childrenLeft === 0);
    this.line();
    this.line(s.ok ? this.c.green("OK: every request answered exactly once.") : this.c.red("FAILED: see the numbers above."));
  }
}
