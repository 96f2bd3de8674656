import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { report } from "../report.js";

/** Arguments every role gets as `--key value` pairs. */
export type RoleArgs = Record<string, string>;

/** Parses `--key value` pairs. */
export function roleArgs(argv: string[]): RoleArgs {
  const out: RoleArgs = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, "");
    out[key] = argv[i + 1] ?? "";
  }
  return out;
}

/** Resolves when the demo writes `stop` on stdin, or stdin closes (the demo died). */
export function stopRequested(): Promise<void> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on("line", (line) => {
      if (line.trim() === "stop") resolve();
    });
    rl.on("close", () => resolve());
  });
}

/** A number argument with a default. */
export function num(args: RoleArgs, key: string, fallback: number): number {
  const v = args[key];
  return v === undefined || v === "" ? fallback : Number(v);
}

/** Runs a client loop: sequential requests until stopped, then reports totals. */
export async function clientLoop(
  name: string,
  stop: Promise<void>,
  send: (id: number) => Promise<{ ok: true; body: string; attempts: number } | { ok: false; error: string; attempts: number }>,
  pauseMs: number,
): Promise<void> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const totals = { sent: 0, answered: 0, retried: 0, failed: 0, duplicates: 0 };
  for (let id = 1; !stopped; id++) {
    totals.sent++;
    const result = await send(id);
    if (result.attempts > 1) totals.retried += result.attempts - 1;
    if (!result.ok) {
      totals.failed++;
      report({ kind: "failed", name, id, error: result.error });
      continue;
    }
    const [replyId, by] = result.body.split(":");
    if (Number(replyId) !== id) {
      totals.duplicates++;
      report({ kind: "duplicate", name, id });
      continue;
    }
    totals.answered++;
    report({ kind: "reply", name, id, attempts: result.attempts, ...(by ? { by } : {}) });
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  report({ kind: "totals", name, ...totals });
}

/**
 * Runs {@link clientLoop} with `request(id)` returning reply frames
 * `[id, served-by]`, counting attempts from the client's `retry` events
 * (`onRetry` subscribes a listener to them).
 */
export function runClient(name: string, onRetry: (listener: () => void) => void, request: (id: number) => Promise<Buffer[]>, pauseMs = 10): Promise<void> {
  let retries = 0;
  onRetry(() => retries++);
  return clientLoop(
    name,
    stopRequested(),
    async (id) => {
      const before = retries;
      try {
        const reply = await request(id);
        return { ok: true, body: `${reply[0]?.toString()}:${reply[1]?.toString() ?? ""}`, attempts: 1 + retries - before };
      } catch (err) {
        return { ok: false, error: (err as Error).message, attempts: 1 + retries - before };
      }
    },
    pauseMs,
  );
}

/**
 * A demo handler: echoes the first frame and names who served it, after
 * `workMs`. After a `slow` line on stdin, the next request takes 60 s and is
 * announced first, so the demo can kill the process mid-request.
 */
export function demoHandler(name: string, workMs: number): (body: Buffer[]) => Promise<Buffer[]> {
  let slowNext = false;
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line.trim() === "slow") slowNext = true;
  });
  return async (body) => {
    let ms = workMs;
    if (slowNext) {
      slowNext = false;
      ms = 60_000;
      report({ kind: "work", name, id: body[0]?.toString() ?? "", phase: "start" });
    }
    await new Promise((r) => setTimeout(r, ms));
    return [body[0] ?? Buffer.alloc(0), Buffer.from(name)];
  };
}

/** Closes `role` and exits on SIGTERM/SIGINT or a `stop` line. */
export function closeOnStop(role: { close(): Promise<void> }): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    void role.close().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  void stopRequested().then(stop);
}

export { parseArgs, report };
