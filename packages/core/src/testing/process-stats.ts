/**
 * Memory and CPU time of a process as the kernel reports them (Linux
 * `/proc`), for harnesses and benchmarks that watch a child process.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** Resident memory of one process, in bytes. */
export interface Rss {
  /** Resident set size now (`VmRSS`). */
  current: number;
  /** Peak resident set size since the process started (`VmHWM`). */
  peak: number;
}

function field(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * Reads a process's current and peak resident memory; `undefined` when the
 * process is gone or `/proc` is not available.
 *
 * @param pid - the process to read.
 */
export function readRss(pid: number): Rss | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return { current: field(status, "VmRSS"), peak: field(status, "VmHWM") };
  } catch {
    return undefined;
  }
}

/**
 * Samples a process's resident memory every `interval` ms and keeps the
 * highest value seen (the kernel's own peak, `VmHWM`, is read too, so a spike
 * between samples still counts). Call `stop()` to end sampling and read the peak.
 */
export class RssSampler {
  private peakBytes = 0;
  private readonly timer: NodeJS.Timeout;

  /**
   * @param pid - the process to watch.
   * @param interval - milliseconds between samples; default 100.
   */
  constructor(private readonly pid: number, interval = 100) {
    this.timer = setInterval(() => this.sample(), interval);
    this.timer.unref();
    this.sample();
  }

  /** The highest resident memory seen so far, in bytes. */
  get peak(): number {
    this.sample();
    return this.peakBytes;
  }

  /** Stops sampling and returns the peak, in bytes. */
  stop(): number {
    const peak = this.peak;
    clearInterval(this.timer);
    return peak;
  }

  private sample(): void {
    const rss = readRss(this.pid);
    if (rss) this.peakBytes = Math.max(this.peakBytes, rss.current, rss.peak);
  }
}

/** Clock ticks per second of `/proc/<pid>/stat` (`sysconf(_SC_CLK_TCK)`, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used so far, in ms (10 ms
 * resolution); `undefined` when the process is gone or `/proc` is not
 * available. The difference of two readings over a window, divided by the
 * window, is the share of one core the process used.
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

/** Formats bytes as mebibytes with one decimal, e.g. `"83.4 MB"`. */
export function formatMb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
