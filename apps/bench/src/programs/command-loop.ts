/**
 * The command protocol of the long-lived bench programs: one JSON command
 * per stdin line, answered in order by one stdout line, `result <json>` or
 * `error <message>` (read by `BenchProcess.call`). The program exits when
 * stdin closes (its parent is gone).
 *
 * @module
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

/** A command handler: the command's fields in, named numbers out. */
export type CommandHandler = (command: Record<string, unknown>) => Promise<Record<string, number>>;

/**
 * Answers the commands on stdin one at a time with `handler`; calls `onEnd`
 * (then exits) when stdin closes.
 *
 * @param handler - answers one command.
 * @param onEnd - clean-up before the exit.
 */
export function commandLoop(handler: CommandHandler, onEnd: () => void | Promise<void> = () => undefined): void {
  const lines = createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  lines.on("line", (line) => {
    chain = chain.then(async () => {
      try {
        process.stdout.write(`result ${JSON.stringify(await handler(JSON.parse(line) as Record<string, unknown>))}\n`);
      } catch (err) {
        process.stdout.write(`error ${err instanceof Error ? err.message : String(err)}\n`.replace(/\n(?!$)/g, " "));
      }
    });
  });
  lines.on("close", () => void chain.then(onEnd).finally(() => process.exit(0)));
}

/**
 * A program's `--name value` options (all strings), with defaults.
 *
 * @param defaults - every option the program takes, with its default.
 */
export function options<K extends string>(defaults: Record<K, string>): Record<K, string> {
  const { values } = parseArgs({ options: Object.fromEntries(Object.keys(defaults).map((name) => [name, { type: "string" as const }])), strict: true });
  return { ...defaults, ...(values as Partial<Record<K, string>>) };
}

/**
 * A command field as a number (its default when absent).
 *
 * @param command - the command.
 * @param name - the field.
 * @param fallback - the default.
 */
export function num(command: Record<string, unknown>, name: string, fallback: number): number {
  const value = command[name];
  return typeof value === "number" ? value : fallback;
}

/**
 * A command field as a string; throws when absent.
 *
 * @param command - the command.
 * @param name - the field.
 */
export function str(command: Record<string, unknown>, name: string): string {
  const value = command[name];
  if (typeof value !== "string") throw new Error(`command needs "${name}"`);
  return value;
}

/**
 * Resolves once `ms` milliseconds have passed and `ready` has resolved (the
 * first reply came: the target has its workers), or after `cap` ms.
 *
 * @param ms - the least wait.
 * @param ready - what to wait for besides.
 * @param cap - the longest wait.
 */
export function warmUp(ms: number, ready: Promise<unknown>, cap = 30_000): Promise<unknown> {
  return Promise.race([Promise.all([delay(ms), ready]), delay(cap)]);
}

/**
 * Resolves after `ms` milliseconds (pacing a measurement window, never waiting for a condition).
 *
 * @param ms - how long.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
