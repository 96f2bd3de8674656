/**
 * The request server's limit flags, declared once (on the shared limit
 * flags) for every bin that runs a {@link RequestServer}: `--concurrency`,
 * `--max-queued`, `--max-queued-bytes`, `--max-request-bytes`,
 * `--handler-timeout`, `--max-abandoned`, `--receive-hwm`, `--send-hwm`.
 *
 * @module
 */
import { type LimitFlags, type LimitFlagValues, limitFlags, limitOptions } from "../pure/limit-flags.js";
import { REQUEST_SERVER_DEFAULTS as D, type RequestServerOptions } from "./request-server-types.js";

/** The request-server options that have a limit flag, with their defaults. */
export const REQUEST_SERVER_LIMITS = Object.freeze({
  /** `--concurrency`. */
  concurrency: D.concurrency,
  /** `--max-queued`. */
  maxQueued: D.maxQueued,
  /** `--max-queued-bytes`. */
  maxQueuedBytes: D.maxQueuedBytes,
  /** `--max-request-bytes`. */
  maxRequestBytes: D.maxRequestBytes,
  /** `--handler-timeout`. */
  handlerTimeout: D.handlerTimeout,
  /** `--max-abandoned`. */
  maxAbandoned: D.maxAbandoned,
  /** `--receive-hwm`. */
  receiveHighWaterMark: D.receiveHighWaterMark,
  /** `--send-hwm`. */
  sendHighWaterMark: D.sendHighWaterMark,
});

/** A request-server option with a limit flag. */
export type RequestServerLimitOption = keyof typeof REQUEST_SERVER_LIMITS;

/**
 * The request server's limit options, documented once: a role built on the
 * request server (`LazyPirateServer`, `BinaryStarServer`) extends its options
 * with these and passes them on with {@link pickRequestServerLimits}.
 */
export type RequestServerLimits = Pick<RequestServerOptions, RequestServerLimitOption>;

/**
 * The request-server limits set in `options` (the ones left `undefined` take
 * the request server's defaults).
 *
 * @param options - a role's options that include the limits.
 */
export function pickRequestServerLimits(options: RequestServerLimits): RequestServerLimits {
  const limits: Record<string, number | undefined> = {};
  for (const key of Object.keys(REQUEST_SERVER_LIMITS) as RequestServerLimitOption[]) if (options[key] !== undefined) limits[key] = options[key];
  return limits;
}

/** The request server's limit flags, with {@link REQUEST_SERVER_DEFAULTS}: spread them into a bin's flags. */
export const REQUEST_SERVER_LIMIT_FLAGS: LimitFlags<RequestServerLimitOption> = Object.freeze(
  limitFlags(REQUEST_SERVER_LIMITS, {
    min: { maxRequestBytes: 1 },
    help: {
      maxQueued: "requests waiting for a handler at most; more are dropped (queue-full)",
      maxQueuedBytes: "bytes of requests waiting for a handler at most; more are dropped (queue-full)",
      maxRequestBytes: "largest request taken, every frame counted; bigger ones are dropped (too-large)",
      sendHighWaterMark: "replies queued per client; past it a reply is dropped (peer-full)",
      receiveHighWaterMark: "messages zeromq buffers per client connection",
    },
  }),
);

/**
 * The request-server options the parsed limit flags give.
 *
 * @param values - the parsed flag values.
 */
export function requestServerLimitOptions(values: LimitFlagValues<RequestServerLimitOption>): Record<RequestServerLimitOption, number> {
  return limitOptions(REQUEST_SERVER_LIMITS, values);
}
