/**
 * The memory-limit and load flags, declared once for every bin that has
 * them (`majordomo-broker`, `ha-majordomo-broker`, `binary-star-server`, …):
 * each limit option of the API vocabulary has one flag name, one pair of
 * bounds and one help line everywhere. {@link limitFlags} declares the flags
 * for the options a role has (with the role's defaults), {@link limitOptions}
 * maps the parsed values back to the role's option names. Pure.
 *
 * ```ts
 * const LIMITS = { maxQueued: 1000, sendHighWaterMark: 1000 };
 * runCli({ flags: { ...limitFlags(LIMITS) }, create: (v) => new Role({ ...limitOptions(LIMITS, v) }), … });
 * ```
 *
 * @module
 */
import { MAX_CLI_COUNT, MAX_CLI_MS, type IntegerFlag, type WithNumberDefault } from "./cli-flags.js";

/** The largest request count a limit flag takes. */
export const MAX_CLI_REQUESTS = 10_000_000;

/** The largest byte count a byte-limit flag takes: 1 TiB. */
export const MAX_CLI_BYTES = 2 ** 40;

/** The largest high-water mark a flag takes (messages). */
export const MAX_CLI_HWM = 1_000_000;

/** The flag name of each limit option that has one. */
export interface LimitFlagNames {
  /** Requests handled at once. */
  concurrency: "concurrency";
  /** Requests waiting, in all. */
  maxQueued: "max-queued";
  /** Bytes of requests waiting, in all. */
  maxQueuedBytes: "max-queued-bytes";
  /** Requests waiting for one service. */
  maxQueuedPerService: "max-queued-per-service";
  /** Bytes of requests waiting for one service. */
  maxQueuedBytesPerService: "max-queued-bytes-per-service";
  /** Requests waiting from one client. */
  maxQueuedPerClient: "max-queued-per-client";
  /** Largest request. */
  maxRequestBytes: "max-request-bytes";
  /** Services known at once. */
  maxServices: "max-services";
  /** Timed-out handlers not settled yet that free their slot. */
  maxAbandoned: "max-abandoned";
  /** Milliseconds a handler may run. */
  handlerTimeout: "handler-timeout";
  /** Milliseconds a request may wait. */
  requestExpiry: "request-expiry";
  /** Workers a request may be handed to. */
  maxAttempts: "max-attempts";
  /** ZMQ_RCVHWM. */
  receiveHighWaterMark: "receive-hwm";
  /** ZMQ_SNDHWM. */
  sendHighWaterMark: "send-hwm";
  /** ZMQ_MAXMSGSIZE. */
  maxMessageSize: "max-message-size";
}

/** A limit option that has a flag: `maxQueued` (`--max-queued`), `sendHighWaterMark` (`--send-hwm`), …. */
export type LimitOption = keyof LimitFlagNames;

/** The flag name of limit option `K`, e.g. `"max-queued"` for `maxQueued`. */
export type LimitFlagName<K extends LimitOption> = LimitFlagNames[K];

/** Each limit option, with its flag: name, smallest and largest value, placeholder and help line. */
const LIMIT_FLAGS: { readonly [K in LimitOption]: readonly [LimitFlagNames[K], number, number, string, string] } = {
  concurrency: ["concurrency", 1, MAX_CLI_COUNT, "n", "requests handled at once"],
  maxQueued: ["max-queued", 0, MAX_CLI_REQUESTS, "n", "requests waiting at most; more are dropped (queue-full)"],
  maxQueuedBytes: ["max-queued-bytes", 0, MAX_CLI_BYTES, "bytes", "bytes of requests waiting at most; more are dropped (queue-full)"],
  maxQueuedPerService: ["max-queued-per-service", 0, MAX_CLI_REQUESTS, "n", "requests queued at most for one service"],
  maxQueuedBytesPerService: ["max-queued-bytes-per-service", 0, MAX_CLI_BYTES, "bytes", "request bytes queued at most for one service"],
  maxQueuedPerClient: ["max-queued-per-client", 0, MAX_CLI_REQUESTS, "n", "requests queued at most from one client"],
  maxRequestBytes: ["max-request-bytes", 0, MAX_CLI_BYTES, "bytes", "largest request accepted, counting 256 bytes per frame besides the payload; bigger ones are dropped (too-large)"],
  maxServices: ["max-services", 0, MAX_CLI_REQUESTS, "n", "services known at most at once"],
  maxAbandoned: ["max-abandoned", 0, MAX_CLI_REQUESTS, "n", "timed-out handlers not yet settled that free their slot; past it they keep it"],
  handlerTimeout: ["handler-timeout", 0, MAX_CLI_MS, "ms", "how long a handler may run before its request is dropped (0: no limit)"],
  requestExpiry: ["request-expiry", 0, MAX_CLI_MS, "ms", "how long a request may wait before it is dropped"],
  maxAttempts: ["max-attempts", 1, MAX_CLI_COUNT, "n", "workers a request may be handed to"],
  receiveHighWaterMark: ["receive-hwm", 1, MAX_CLI_HWM, "n", "messages zeromq buffers per peer on receive"],
  sendHighWaterMark: ["send-hwm", 1, MAX_CLI_HWM, "n", "messages queued per peer; past it a send is dropped and counted (peer-full)"],
  maxMessageSize: ["max-message-size", -1, MAX_CLI_BYTES, "bytes", "largest frame zeromq reads; a peer that sends a bigger one is disconnected before it is read (-1: no limit)"],
};

/** The flags {@link limitFlags} declares for options `K`. */
export type LimitFlags<K extends LimitOption> = { readonly [P in K as LimitFlagName<P>]: IntegerFlag & WithNumberDefault };

/** The parsed values {@link limitOptions} reads: one number per flag of options `K`. */
export type LimitFlagValues<K extends LimitOption> = { readonly [P in K as LimitFlagName<P>]: number };

/** Per-option tweaks of {@link limitFlags}: a role's own help line or smallest value. */
export interface LimitFlagTweaks<K extends LimitOption> {
  /** Help lines to use instead of the shared ones. */
  readonly help?: Partial<Readonly<Record<K, string>>>;
  /** Smallest values to use instead of the shared ones (a role that refuses 0, say). */
  readonly min?: Partial<Readonly<Record<K, number>>>;
}

/**
 * The flag name of a limit option.
 *
 * @param option - the option, e.g. `"maxQueuedBytes"`.
 * @returns its flag name without dashes, e.g. `"max-queued-bytes"`.
 */
export function limitFlagName<K extends LimitOption>(option: K): LimitFlagName<K> {
  return LIMIT_FLAGS[option][0];
}

/**
 * Declares one integer flag per option of `defaults`, with the shared name,
 * bounds and help line, and the role's default.
 *
 * @param defaults - the role's default of each limit option it has.
 * @param tweaks - the role's own help lines or smallest values, if any.
 */
export function limitFlags<K extends LimitOption>(defaults: Readonly<Record<K, number>>, tweaks: LimitFlagTweaks<K> = {}): LimitFlags<K> {
  const flags: Record<string, IntegerFlag & WithNumberDefault> = {};
  for (const option of Object.keys(defaults) as K[]) {
    const [name, min, max, placeholder, help] = LIMIT_FLAGS[option];
    flags[name] = { type: "integer", min: tweaks.min?.[option] ?? min, max, default: defaults[option], placeholder, help: tweaks.help?.[option] ?? help };
  }
  return flags as LimitFlags<K>;
}

/**
 * The role options the parsed limit flags give, by option name.
 *
 * @param defaults - the same defaults given to {@link limitFlags} (only its keys are read).
 * @param values - the parsed flag values.
 */
export function limitOptions<K extends LimitOption>(defaults: Readonly<Record<K, number>>, values: LimitFlagValues<K>): Record<K, number> {
  const options = {} as Record<K, number>;
  for (const option of Object.keys(defaults) as K[]) options[option] = (values as Readonly<Record<string, number>>)[LIMIT_FLAGS[option][0]]!;
  return options;
}
