/**
 * A wait for a child process to go quiet, on its CPU time as the kernel
 * reports it (core's `readCpuMs`).
 *
 * @module
 */
import { readCpuMs } from "@zmq-reliable/core/testing";

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
