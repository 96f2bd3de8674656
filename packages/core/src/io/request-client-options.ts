/**
 * The options every retrying request-client role takes (the Lazy Pirate and
 * Majordomo clients: `attempts` sends of `timeout` ms each over one or more
 * endpoints), declared and checked once. A role's own options extend
 * {@link RetryingClientOptions}; its `request()` takes
 * {@link RetryingRequestOptions} (or extends them).
 *
 * @module
 */
import type { Clock } from "../pure/clock.js";
import { checkNumber } from "../pure/errors.js";
import type { Logger } from "../pure/logger.js";
import { checkAttempts, checkRenamed } from "../machines/retry-plan.js";
import type { CurveClientOptions } from "../security/curve.js";

/** Options of a retrying request client role; each role documents its defaults (`LAZY_PIRATE_DEFAULTS`, `MAJORDOMO_DEFAULTS`). */
export interface RetryingClientOptions {
  /**
   * The server (or broker) endpoint, e.g. `"tcp://127.0.0.1:5555"`, or
   * several in failover order: a request that times out is sent again at the
   * next one (wrapping around), as the role's failover policy says.
   */
  endpoint: string | readonly string[];
  /** Milliseconds each attempt waits for its reply, counted from its own send. Default 2500 (the reference `REQUEST_TIMEOUT`). */
  timeout?: number;
  /**
   * How many times a request is sent in all before the call gives up with
   * `ServiceUnavailableError`, the first send included (the reference
   * `REQUEST_RETRIES`): 3 means one send and two retries. Default 3.
   */
  attempts?: number;
  /**
   * How many requests may be in flight at once, each on its own REQ socket
   * (so also the most REQ sockets open); more calls wait for a free one, in
   * call order. Default: the role's (1 for Lazy Pirate, 256 for Majordomo).
   */
  concurrency?: number;
  /**
   * How many calls may wait for a free socket; past this `request()` rejects
   * with `BackpressureError`. Default: the role's (10,000 for Lazy Pirate,
   * unbounded for Majordomo).
   */
  maxQueued?: number;
  /** CURVE: the server's public key and this client's key pair. */
  curve?: CurveClientOptions;
  /** Where to log; nothing is logged by default. */
  logger?: Logger;
  /** Clock for the timeouts; default the system clock. */
  clock?: Clock;
}

/** Per-call options of a retrying request client's `request()`. */
export interface RetryingRequestOptions {
  /** Overrides the client's per-attempt timeout (ms) for this call. */
  timeout?: number;
  /** Overrides the client's `attempts` (sends in all, the first included) for this call. */
  attempts?: number;
  /** Aborts the call at once with `AbortError`, queued or in flight; its socket is closed. */
  signal?: AbortSignal;
}

/** The role-independent part of {@link RetryingClientOptions}, checked and with defaults applied. */
export interface RetryingClientSettings {
  /** The endpoints, in failover order (not yet checked: the `RotationPolicy` checks them). */
  endpoints: string[];
  /** Per-attempt timeout in ms. */
  timeout: number;
  /** Sends in all per call. */
  attempts: number;
}

/**
 * Checks the options every retrying client shares and applies the role's defaults.
 *
 * @param options - the role's options as given.
 * @param defaults - the role's default `timeout` and `attempts`.
 * @param renamed - old option names the role refuses (old → new), besides `retries` → `attempts`.
 * @returns the endpoint list, timeout and attempts.
 * @throws `InvalidOptionError` for a renamed option or a value out of range.
 */
export function retryingClientSettings(
  options: RetryingClientOptions,
  defaults: { readonly timeout: number; readonly attempts: number },
  renamed: Readonly<Record<string, string>> = {},
): RetryingClientSettings {
  checkRenamed(options, { retries: "attempts", ...renamed });
  return {
    endpoints: typeof options.endpoint === "string" ? [options.endpoint] : [...(options.endpoint ?? [])],
    timeout: checkNumber("timeout", options.timeout ?? defaults.timeout, 1),
    attempts: checkAttempts(options.attempts ?? defaults.attempts),
  };
}

/**
 * Checks a call's {@link RetryingRequestOptions}; what is not given stays `undefined` (the client's default).
 *
 * @param options - the call's options as given.
 * @returns them, checked.
 * @throws `InvalidOptionError` for `retries` (renamed `attempts`) or a value out of range.
 */
export function retryingCallOptions(options: RetryingRequestOptions): RetryingRequestOptions {
  checkRenamed(options, { retries: "attempts" });
  return {
    timeout: options.timeout === undefined ? undefined : checkNumber("timeout", options.timeout, 1),
    attempts: options.attempts === undefined ? undefined : checkAttempts(options.attempts),
    signal: options.signal,
  };
}
