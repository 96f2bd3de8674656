/**
 * Strict accounting of every chaos request: what each client said it sent,
 * the one outcome it printed for each, and how often the workers ran each.
 *
 * @module
 */

/** What is known of one request. */
interface Entry {
  /** The client process that sent it. */
  client: string;
  /** `ok`, `error`, `misdelivered`, or `gone` (its client was killed first); unset while open. */
  outcome?: string;
  /** The error code of an `error` outcome. */
  code?: string;
}

/** The figures the report prints. */
export interface LedgerTotals {
  /** Requests the clients said they sent. */
  sent: number;
  /** Answered with the request's own body. */
  ok: number;
  /** Failed, and the caller was told (a typed error). */
  failed: number;
  /** Failed calls by error code. */
  codes: Record<string, number>;
  /** Sent by a client we killed before it printed an outcome. */
  gone: number;
  /** Sent by a client that was not killed, and no outcome by the end. */
  lost: number;
  /** Answered with another request's body. */
  misdelivered: number;
  /** Outcome lines for an id never sent, or a second outcome for one id. */
  bogus: number;
  /** Requests the workers ran more than once. */
  duplicated: number;
  /** Most executions of one request. */
  maxRuns: number;
  /** Worker executions in all. */
  runs: number;
  /** Longest time in ms between two successful replies (any client). */
  longestGap: number;
  /** A few of the ids counted as lost or misdelivered, and the first failure of each error code, for the report. */
  examples: string[];
}

/** The request ledger. */
export class Ledger {
  private readonly entries = new Map<string, Entry>();
  private readonly runCounts = new Map<string, number>();
  private readonly examples: string[] = [];
  private bogus = 0;
  private okSoFar = 0;
  private readonly errorSeen = new Set<string>();
  private failedSoFar = 0;
  private lastOk: number | undefined;
  private gap = 0;

  /**
   * Takes one stdout line of a client process.
   *
   * @param client - the client's name.
   * @param line - the line.
   * @param now - when it arrived (epoch ms).
   */
  clientLine(client: string, line: string, now: number): void {
    if (!line.startsWith("{")) return;
    let value: { sent?: string; id?: string; outcome?: string; code?: string | null; got?: unknown; message?: string; ms?: number };
    try {
      value = JSON.parse(line) as typeof value;
    } catch {
      this.bogus++;
      return;
    }
    if (value.sent !== undefined) {
      if (this.entries.has(value.sent)) this.bogus++;
      else this.entries.set(value.sent, { client });
      return;
    }
    if (value.id === undefined || value.outcome === undefined) return;
    const entry = this.entries.get(value.id);
    if (!entry || entry.client !== client || (entry.outcome !== undefined && entry.outcome !== "gone")) {
      this.bogus++;
      return;
    }
    entry.outcome = value.outcome;
    if (value.outcome === "error") {
      entry.code = value.code ?? "UNKNOWN";
      this.failedSoFar++;
      if (!this.errorSeen.has(entry.code)) {
        this.errorSeen.add(entry.code);
        this.example(`first ${entry.code}: ${value.id} after ${value.ms} ms: ${JSON.stringify(value.message ?? "")}`);
      }
    }
    if (value.outcome === "misdelivered") this.example(`misdelivered ${value.id}: got ${JSON.stringify(value.got)}`);
    if (value.outcome === "ok") {
      this.okSoFar++;
      if (this.lastOk !== undefined) this.gap = Math.max(this.gap, now - this.lastOk);
      this.lastOk = now;
    }
  }

  /**
   * Takes one stdout line of a worker process (`ran <id>`).
   *
   * @param line - the line.
   */
  workerLine(line: string): void {
    if (!line.startsWith("ran ")) return;
    const id = line.slice(4);
    this.runCounts.set(id, (this.runCounts.get(id) ?? 0) + 1);
  }

  /**
   * Marks every open request of a client we killed as `gone` (never lost).
   *
   * @param client - the client's name.
   */
  clientGone(client: string): void {
    for (const entry of this.entries.values()) if (entry.client === client && entry.outcome === undefined) entry.outcome = "gone";
  }

  /**
   * Stops the gap clock: the time since the last success counts too.
   *
   * @param now - the time (epoch ms).
   */
  closeGap(now: number): void {
    if (this.lastOk !== undefined) this.gap = Math.max(this.gap, now - this.lastOk);
    this.lastOk = undefined;
  }

  /** Running counts for the progress line: requests sent, answered `ok`, failed. */
  progress(): { sent: number; ok: number; failed: number } {
    return { sent: this.entries.size, ok: this.okSoFar, failed: this.failedSoFar };
  }

  /** The final figures: call once, at the end; any request still open counts as lost. */
  totals(): LedgerTotals {
    const t: LedgerTotals = { sent: 0, ok: 0, failed: 0, codes: {}, gone: 0, lost: 0, misdelivered: 0, bogus: this.bogus, duplicated: 0, maxRuns: 0, runs: 0, longestGap: Math.round(this.gap), examples: this.examples };
    for (const [id, entry] of this.entries) {
      t.sent++;
      if (entry.outcome === "ok") t.ok++;
      else if (entry.outcome === "error") {
        t.failed++;
        t.codes[entry.code!] = (t.codes[entry.code!] ?? 0) + 1;
      } else if (entry.outcome === "misdelivered") t.misdelivered++;
      else if (entry.outcome === "gone") t.gone++;
      else {
        t.lost++;
        this.example(`lost ${id} (client ${entry.client})`);
      }
    }
    for (const count of this.runCounts.values()) {
      t.runs += count;
      if (count > 1) t.duplicated++;
      t.maxRuns = Math.max(t.maxRuns, count);
    }
    return t;
  }

  private example(text: string): void {
    if (this.examples.length < 20) this.examples.push(text);
  }
}
