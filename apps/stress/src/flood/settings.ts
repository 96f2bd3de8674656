/**
 * Sizes and durations of the flood scenarios: the full run (the issue's
 * figures, about three minutes on two cores) and `--quick` (the same
 * scenarios, smaller, for CI).
 *
 * @module
 */

/** The bound every target process is checked against: 256 MB resident. */
export const RSS_BOUND = 256 * 1024 * 1024;

/** Everything a run's size depends on. */
export interface Settings {
  /** `full` or `quick`. */
  readonly mode: "full" | "quick";
  /** Seed of every random choice (request bodies). */
  readonly seed: number;
  /** Heartbeat interval given to every target and raw worker, ms. */
  readonly heartbeat: number;
  /** Broker `--request-expiry` (ms) in row 1 (rows 2 and 3 keep the default, 7500), `undefined` = the default. */
  readonly mdpExpiry: number | undefined;
  /** Queue `--request-expiry` (ms), `undefined` = the default (10000). */
  readonly pppExpiry: number | undefined;
  /** Row 1: requests per second and flood ms. */
  readonly stuck: { rate: number; duration: number; bodyBytes: number };
  /** Row 2: 1 KB phase ms, 10 MB phase (count, ms; also the ms of each many-connection phase), connections of the many-connection phases, distinct service names. */
  readonly noWorker: { smallDuration: number; bigCount: number; bigDuration: number; connections: number; services: number };
  /** Row 3: normal client requests at most (one at a time, while the flood lasts), flood ms. */
  readonly fairness: { requests: number; duration: number };
  /** Row 4: 10 MB requests, 1 KB phase ms. */
  readonly ppp: { bigCount: number; smallDuration: number };
  /** Row 5: 768 KB requests. */
  readonly lazyPirate: { count: number };
  /** Row 6: flood ms. */
  readonly binaryStar: { duration: number };
}

/** The full run. */
export const FULL: Settings = {
  mode: "full",
  seed: 1,
  heartbeat: 250,
  mdpExpiry: undefined,
  pppExpiry: undefined,
  stuck: { rate: 10_000, duration: 15_000, bodyBytes: 4096 },
  noWorker: { smallDuration: 10_000, bigCount: 313, bigDuration: 6_000, connections: 20, services: 100_000 },
  fairness: { requests: 100, duration: 40_000 },
  ppp: { bigCount: 200, smallDuration: 6_000 },
  lazyPirate: { count: 1_100 },
  binaryStar: { duration: 10_000 },
};

/** `--quick`: the same scenarios, smaller and shorter (request expiries shortened: row 1's so that it shows, row 4's to 5 s). */
export const QUICK: Settings = {
  mode: "quick",
  seed: 1,
  heartbeat: 250,
  mdpExpiry: 1_000,
  pppExpiry: 5_000,
  stuck: { rate: 10_000, duration: 2_000, bodyBytes: 4096 },
  noWorker: { smallDuration: 1_500, bigCount: 60, bigDuration: 1_500, connections: 20, services: 15_000 },
  fairness: { requests: 100, duration: 3_000 },
  ppp: { bigCount: 50, smallDuration: 1_000 },
  lazyPirate: { count: 300 },
  binaryStar: { duration: 4_000 },
};
