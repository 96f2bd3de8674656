/**
 * CPU time of a child process as the kernel reports it (`/proc/<pid>/stat`,
 * Linux), and a wait for the process to go quiet.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of `/proc/<pid>/stat` (`sysconf(_SC_CLK_TCK)`, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used, in ms; `undefined` when the
 * process is gone or `/proc` is not available.
 *
 * @param pid - the process to read.
 */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) ": field 3 is state
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves once a process used at most `busyMs` of CPU over `window` ms (it
 * has read the backlog a flood left in its socket buffers), or after
 * `timeout` ms; resolves at once if the process is gone.
 *
 * @param pid - the process to watch.
 * @param options - `window` (default 500 ms), `busyMs` (default 40 ms), `timeout` (default 30 s).
 * @returns whether the process went quiet before the timeout.
 */
export async function waitQuiet(pid: number, options: { window?: number; busyMs?: number; timeout?: number } = {}): Promise<boolean> {
  const window = options.window ?? 500;
  const deadline = performance.now() + (options.timeout ?? 30_000);
  let before = readCpuMs(pid);
  while (before !== undefined && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, window));
    const now = readCpuMs(pid);
    if (now === undefined || now - before <= (options.busyMs ?? 40)) return true;
    before = now;
  }
  return before === undefined;
}
