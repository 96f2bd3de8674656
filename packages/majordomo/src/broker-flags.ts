/**
 * The `majordomo-broker` limit flags, declared once (on core's shared limit
 * flags) for every bin that runs a Majordomo broker: `majordomo-broker` and
 * compositions such as `ha-majordomo-broker`.
 *
 * @module
 */
import { type IntegerFlag, type LimitFlags, type LimitFlagValues, limitFlagName, limitFlags, limitOptions, MAX_CLI_MS, type WithNumberDefault } from "@zmq-reliable/core";
import { MAJORDOMO_DEFAULTS as D } from "./defaults.js";

/** The broker options that have a limit flag. */
export type BrokerLimitOption =
  | "requestExpiry"
  | "maxAttempts"
  | "maxQueued"
  | "maxQueuedBytes"
  | "maxQueuedPerService"
  | "maxQueuedBytesPerService"
  | "maxQueuedPerClient"
  | "maxRequestBytes"
  | "maxServices"
  | "sendHighWaterMark"
  | "receiveHighWaterMark"
  | "maxMessageSize";

/** The broker options that have a limit flag, each with its default (zeromq's 1000 for the receive mark). */
const BROKER_LIMIT_DEFAULTS: Readonly<Record<BrokerLimitOption, number>> = Object.freeze({
  requestExpiry: D.requestExpiry,
  maxAttempts: D.maxAttempts,
  maxQueued: D.maxQueued,
  maxQueuedBytes: D.maxQueuedBytes,
  maxQueuedPerService: D.maxQueuedPerService,
  maxQueuedBytesPerService: D.maxQueuedBytesPerService,
  maxQueuedPerClient: D.maxQueuedPerClient,
  maxRequestBytes: D.maxRequestBytes,
  maxServices: D.maxServices,
  sendHighWaterMark: D.sendHighWaterMark,
  receiveHighWaterMark: 1000,
  maxMessageSize: 0, // 0: --max-request-bytes (a limit also applies to workers' replies)
});

/** The broker limit flags: `--request-expiry`, `--max-attempts`, `--max-queued*`, `--max-request-bytes`, `--max-services`, `--send-hwm`, `--receive-hwm`, `--max-message-size`. */
export type BrokerLimitFlags = LimitFlags<BrokerLimitOption>;

/**
 * The Majordomo broker's limit flags, with `MAJORDOMO_DEFAULTS`: spread them
 * into a bin's flags and pass {@link brokerLimitOptions} of the parsed values
 * to the broker.
 */
export const BROKER_LIMIT_FLAGS: BrokerLimitFlags = Object.freeze(
  limitFlags(BROKER_LIMIT_DEFAULTS, {
    help: {
      requestExpiry: "how long a request may wait in a queue, workers or not",
      maxQueued: "requests queued at most, all services together",
      maxQueuedBytes: "request bytes queued at most, all services together",
      maxMessageSize: "largest frame zeromq reads from any peer, workers' replies included; a bigger one disconnects its sender before it is read (0: --max-request-bytes; -1: no limit)",
    },
  }),
);

/**
 * The broker options the parsed limit flags give (`requestExpiry`,
 * `maxAttempts`, the queue limits, `sendHighWaterMark`, `receiveHighWaterMark`,
 * `maxMessageSize`, whose 0 means `maxRequestBytes`).
 *
 * @param values - the parsed flag values.
 */
export function brokerLimitOptions(values: LimitFlagValues<BrokerLimitOption>): Record<BrokerLimitOption, number> {
  const options = limitOptions(BROKER_LIMIT_DEFAULTS, values);
  if (options.maxMessageSize === 0) options.maxMessageSize = options.maxRequestBytes;
  return options;
}

/**
 * The limit flags as a start line shows them: each flag name with the value
 * the broker runs with (`max-message-size` resolved from 0).
 *
 * @param values - the parsed flag values.
 */
export function brokerLimitFields(values: LimitFlagValues<BrokerLimitOption>): Record<string, number> {
  const options = brokerLimitOptions(values);
  return Object.fromEntries((Object.keys(options) as BrokerLimitOption[]).map((option) => [limitFlagName(option), options[option]]));
}

/**
 * `--drain-timeout <ms>`: on SIGINT/SIGTERM, how long a broker bin waits for
 * the requests workers hold to be answered (`drainTimeout`), for every bin
 * that runs a Majordomo broker.
 */
export const BROKER_DRAIN_FLAG: Readonly<{
  /** `--drain-timeout <ms>` (`drainTimeout`; 0: close at once). */
  "drain-timeout": IntegerFlag & WithNumberDefault;
}> = Object.freeze({
  "drain-timeout": { type: "integer", min: 0, max: MAX_CLI_MS, default: D.drainTimeout, placeholder: "ms", help: "on SIGINT/SIGTERM, how long to wait for the requests workers hold to be answered (0: close at once)" },
});
