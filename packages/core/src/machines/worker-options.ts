/**
 * The options every connecting worker's state takes (6/PPP, 7/MDP), and the
 * check of its `endpoint`. A pattern extends {@link WorkerConnectOptions}
 * with its own and resolves them against its defaults into the link's
 * {@link WorkerLinkOptions}.
 *
 * @module
 */
import type { ReconnectOptions } from "../pure/backoff.js";
import { InvalidOptionError } from "../pure/errors.js";

/** Options every worker state takes; the pattern documents its defaults. */
export interface WorkerConnectOptions {
  /** The peer's (queue's, broker's) endpoint, or several in rotation order (the next one on each reconnect). Required. */
  endpoint: string | readonly string[];
  /** Milliseconds between heartbeats. */
  heartbeatInterval?: number;
  /** Intervals of peer silence (while idle) after which the worker reconnects. */
  liveness?: number;
  /** Back-off between reconnects, reset when the peer is heard from. */
  reconnect?: ReconnectOptions;
  /** Randomness for back-off jitter (tests). Default `Math.random`. */
  random?: () => number;
}

/**
 * Checks a worker's `endpoint` option: one non-empty string or a non-empty
 * list of them. There is no default: a worker given `undefined` must not
 * quietly connect somewhere else.
 *
 * @param given - the option as given.
 * @param hint - the start of the error message (what is wanted).
 * @returns the endpoints, in order.
 * @throws {@link InvalidOptionError} `"<hint>, got <given>"` for anything else.
 */
export function workerEndpoints(given: unknown, hint: string): string[] {
  const endpoints = typeof given === "string" ? [given] : Array.isArray(given) ? [...(given as unknown[])] : [];
  if (endpoints.length === 0 || endpoints.some((e) => typeof e !== "string" || e.length === 0)) {
    throw new InvalidOptionError(`${hint}, got ${String(given)}`);
  }
  return endpoints as string[];
}
