/**
 * What role processes tell the demo: one JSON object per stdout line.
 */

/** An event a role process reports. */
export type RoleEvent =
  | { kind: "up"; name: string; detail?: string }
  | { kind: "state"; name: string; state: string }
  | { kind: "reply"; name: string; id: number; by?: string; attempts: number }
  | { kind: "failed"; name: string; id: number; error: string }
  | { kind: "duplicate"; name: string; id: number }
  | { kind: "work"; name: string; id: string; phase: "start" | "done" }
  | { kind: "note"; name: string; text: string }
  | { kind: "totals"; name: string; sent: number; answered: number; retried: number; failed: number; duplicates: number };

/** Writes one event as a JSON line on stdout (used inside role processes). */
export function report(event: RoleEvent): void {
  process.stdout.write(`${JSON.stringify({ ...event, t: Date.now() })}\n`);
}

/** Parses a line from a role process; `undefined` for anything that is not an event. */
export function parseEvent(line: string): (RoleEvent & { t: number }) | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line) as RoleEvent & { t: number };
    return typeof value.kind === "string" && typeof value.name === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
