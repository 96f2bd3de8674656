import type { RoleEvent } from "./report.js";

/** One line of the story: something that happened, at a time relative to the start. */
export interface StoryEvent {
  /** Milliseconds since the story began. */
  at: number;
  /** What happened. */
  text: string;
  /** Kind, for colouring: a fault we injected, a recovery, or information. */
  kind: "fault" | "recovery" | "info";
}

/** The machine-readable result of a run (`--json`). */
export interface Summary {
  scenario: string;
  seed: number;
  durationMs: number;
  sent: number;
  answered: number;
  retried: number;
  failed: number;
  lost: number;
  duplicates: number;
  failovers: number;
  failoverGapMs: number | null;
  childrenLeft: number;
  events: StoryEvent[];
  ok: boolean;
}

/** Counts what the role processes report and derives the live numbers the timeline shows. */
export class Tally {
  readonly started = Date.now();
  readonly events: StoryEvent[] = [];
  answered = 0;
  retried = 0;
  failed = 0;
  duplicates = 0;
  failovers = 0;
  active: string | undefined;
  private readonly seen = new Set<string>();
  private readonly states = new Map<string, string>();
  private readonly replyTimes: number[] = [];
  private readonly totals = new Map<string, Extract<RoleEvent, { kind: "totals" }>>();
  private faultAt: number | undefined;
  private gaps: number[] = [];

  /** Milliseconds since the start. */
  elapsed(now = Date.now()): number {
    return now - this.started;
  }

  /** Records a story line. */
  story(text: string, kind: StoryEvent["kind"] = "info", at = Date.now()): StoryEvent {
    const event = { at: this.elapsed(at), text, kind };
    this.events.push(event);
    return event;
  }

  /** Marks the moment a serving process was killed: the next reply closes the failover gap. */
  markFault(at = Date.now()): void {
    this.faultAt = at;
  }

  /** Feeds one role event. Returns a story line when the event is worth telling. */
  add(event: RoleEvent & { t: number }): StoryEvent | undefined {
    switch (event.kind) {
      case "reply": {
        const key = `${event.name}#${event.id}`;
        if (this.seen.has(key)) {
          this.duplicates++;
          return this.story(`${event.name} got a second reply to request ${event.id}`, "fault", event.t);
        }
        this.seen.add(key);
        this.answered++;
        this.retried += event.attempts - 1;
        this.replyTimes.push(event.t);
        if (this.faultAt !== undefined && event.t >= this.faultAt) {
          const gap = event.t - this.faultAt;
          this.gaps.push(gap);
          this.faultAt = undefined;
          return this.story(`traffic flowing again ${gap} ms after the fault`, "recovery", event.t);
        }
        if (event.attempts > 1) {
          return this.story(`${event.name}: request ${event.id} answered after ${event.attempts} attempts${event.by ? ` (by ${event.by})` : ""}`, "recovery", event.t);
        }
        return undefined;
      }
      case "failed":
        this.failed++;
        return this.story(`${event.name}: request ${event.id} FAILED: ${event.error}`, "fault", event.t);
      case "duplicate":
        this.duplicates++;
        return this.story(`${event.name}: duplicate reply to request ${event.id}`, "fault", event.t);
      case "state": {
        this.states.set(event.name, event.state);
        if (event.state === "active" && this.active !== event.name) {
          const previous = this.active;
          this.active = event.name;
          if (previous !== undefined) this.failovers++;
          return this.story(`${event.name} is now ACTIVE${previous ? ` (took over from ${previous})` : ""}`, "recovery", event.t);
        }
        if (event.state !== "active" && this.active === event.name) this.active = undefined;
        return this.story(`${event.name} is ${event.state}`, "info", event.t);
      }
      case "totals":
        this.totals.set(event.name, event);
        return undefined;
      case "note":
        return this.story(`${event.name}: ${event.text}`, "info", event.t);
      default:
        return undefined;
    }
  }

  /** The last state process `name` reported. */
  stateOf(name: string): string | undefined {
    return this.states.get(name);
  }

  /** Replies in the last `windowMs`. */
  rate(windowMs = 1000, now = Date.now()): number {
    let n = 0;
    for (let i = this.replyTimes.length - 1; i >= 0 && this.replyTimes[i]! > now - windowMs; i--) n++;
    return (n * 1000) / windowMs;
  }

  /** Builds the final summary from the clients' totals and what was observed. */
  summary(scenario: string, seed: number, childrenLeft: number): Summary {
    const totals = [...this.totals.values()];
    const sum = (k: "sent" | "answered" | "retried" | "failed" | "duplicates") => totals.reduce((a, t) => a + t[k], 0);
    const sent = sum("sent");
    const answered = Math.max(sum("answered"), 0);
    const failed = Math.max(sum("failed"), this.failed);
    const duplicates = Math.max(sum("duplicates"), this.duplicates);
    const lost = Math.max(0, sent - answered - failed);
    const failoverGapMs = this.gaps.length ? Math.max(...this.gaps) : null;
    return {
      scenario,
      seed,
      durationMs: this.elapsed(),
      sent,
      answered,
      retried: Math.max(sum("retried"), this.retried),
      failed,
      lost,
      duplicates,
      failovers: this.failovers,
      failoverGapMs,
      childrenLeft,
      events: this.events,
      ok: sent > 0 && failed === 0 && lost === 0 && duplicates === 0 && childrenLeft === 0 && totals.length > 0,
    };
  }
}
