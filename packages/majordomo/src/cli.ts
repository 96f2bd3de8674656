#!/usr/bin/env node
/**
 * `majordomo-broker`: runs a {@link MajordomoBroker} as a process, on core's
 * CLI runner (`--help` lists the flags).
 *
 * ```sh
 * majordomo-broker --bind tcp://*:5555 [--bind ipc:///tmp/mdp.sock] [--heartbeat 2500]
 *                  [--liveness 3] [--request-expiry 7500] [--max-attempts 3] [--verbose]
 *                  [--max-queued 100000] [--max-queued-bytes 67108864]
 *                  [--max-queued-per-service 10000] [--max-queued-bytes-per-service 33554432]
 *                  [--max-queued-per-client 1000] [--max-request-bytes 16777216]
 *                  [--max-services 10000] [--send-hwm 1000]
 *                  [--curve-secret-file broker_secret [--allow-keys-file allowed-keys]]
 * ```
 *
 * Prints `started bind=<as bound,…> heartbeat=<ms> liveness=<n>
 * request-expiry=<ms> max-attempts=<n> curve=on|off pid=<pid> at=<t>` on stdout once
 * bound. On SIGINT or SIGTERM it tells every worker DISCONNECT, closes,
 * prints `stopped at=<t>` and exits 0. Exit 1 on a runtime failure (such as
 * an endpoint in use), 2 on bad usage, each with one line on stderr.
 *
 * CURVE (core's `CURVE_FLAGS`): `--curve-secret-file` encrypts every bound
 * endpoint, `--allow-keys-file` admits only the listed clients and workers;
 * without CURVE, an endpoint bound beyond loopback gets one warning line.
 *
 * @module
 */
import { CURVE_FLAGS, MAX_CLI_COUNT, MAX_CLI_MS, runCli } from "@zmq-reliable/core";
import { MajordomoBroker } from "./broker.js";
import { MAJORDOMO_DEFAULTS as D } from "./defaults.js";

/** The largest request count a queue-limit flag takes. */
const MAX_COUNT_FLAG = 10_000_000;
/** The largest byte count a byte-limit flag takes (1 TiB). */
const MAX_BYTES_FLAG = 2 ** 40;
/** The largest `--send-hwm`. */
const MAX_HWM_FLAG = 1_000_000;

void runCli({
  name: "majordomo-broker",
  summary: "A Majordomo (7/MDP 0.1 + 8/MMI) broker: one ROUTER for clients and workers.",
  flags: {
    bind: { type: "strings", short: "b", default: [D.bind].flat(), placeholder: "endpoint", help: "endpoint to bind; repeat for several" },
    heartbeat: { type: "integer", min: 1, max: MAX_CLI_MS, default: D.heartbeatInterval, placeholder: "ms", help: "heartbeat interval with workers" },
    liveness: { type: "integer", min: 1, max: MAX_CLI_COUNT, default: D.liveness, help: "silent heartbeats before a worker expires" },
    "request-expiry": { type: "integer", min: 0, max: MAX_CLI_MS, default: D.requestExpiry, placeholder: "ms", help: "how long a request waits for a service nobody serves" },
    "max-attempts": { type: "integer", min: 1, max: MAX_CLI_COUNT, default: D.maxAttempts, help: "workers a request may be handed to" },
    "max-queued": { type: "integer", min: 0, max: MAX_COUNT_FLAG, default: D.maxQueued, placeholder: "n", help: "requests queued at most, all services together" },
    "max-queued-bytes": { type: "integer", min: 0, max: MAX_BYTES_FLAG, default: D.maxQueuedBytes, placeholder: "bytes", help: "request bytes queued at most, all services together" },
    "max-queued-per-service": { type: "integer", min: 0, max: MAX_COUNT_FLAG, default: D.maxQueuedPerService, placeholder: "n", help: "requests queued at most for one service" },
    "max-queued-bytes-per-service": { type: "integer", min: 0, max: MAX_BYTES_FLAG, default: D.maxQueuedBytesPerService, placeholder: "bytes", help: "request bytes queued at most for one service" },
    "max-queued-per-client": { type: "integer", min: 0, max: MAX_COUNT_FLAG, default: D.maxQueuedPerClient, placeholder: "n", help: "requests queued at most from one client" },
    "max-request-bytes": { type: "integer", min: 0, max: MAX_BYTES_FLAG, default: D.maxRequestBytes, placeholder: "bytes", help: "largest request accepted, counting 256 bytes per frame besides the body" },
    "max-services": { type: "integer", min: 0, max: MAX_COUNT_FLAG, default: D.maxServices, placeholder: "n", help: "services known at most at once" },
    "send-hwm": { type: "integer", min: 1, max: MAX_HWM_FLAG, default: D.sendHighWaterMark, placeholder: "n", help: "messages queued per peer; past it a send is dropped and counted" },
    ...CURVE_FLAGS,
  },
  epilog: `Output: "started bind=<ep,…> heartbeat=<ms> liveness=<n> request-expiry=<ms> max-attempts=<n> curve=on|off pid=<pid> at=<t>"
once bound; on SIGINT/SIGTERM the broker sends DISCONNECT to every worker, prints "stopped at=<t>" and exits.
CURVE: --curve-secret-file encrypts every endpoint (clients and workers need its public key); --allow-keys-file
admits only the listed keys. Without CURVE, an endpoint bound beyond loopback gets one warning line.
Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 on bad usage.`,
  // Role options passed: bind (the --bind list), heartbeatInterval, liveness, requestExpiry, maxAttempts, the queue
  // limits (maxQueued, maxQueuedBytes, maxQueuedPerService, maxQueuedBytesPerService, maxQueuedPerClient,
  // maxRequestBytes, maxServices), sendHighWaterMark, logger; curve (--curve-secret-file).
  create: (v, { logger, curve }) =>
    new MajordomoBroker({
      bind: v.bind,
      heartbeatInterval: v.heartbeat,
      liveness: v.liveness,
      requestExpiry: v["request-expiry"],
      maxAttempts: v["max-attempts"],
      maxQueued: v["max-queued"],
      maxQueuedBytes: v["max-queued-bytes"],
      maxQueuedPerService: v["max-queued-per-service"],
      maxQueuedBytesPerService: v["max-queued-bytes-per-service"],
      maxQueuedPerClient: v["max-queued-per-client"],
      maxRequestBytes: v["max-request-bytes"],
      maxServices: v["max-services"],
      sendHighWaterMark: v["send-hwm"],
      logger,
      curve: curve?.server,
    }),
  bound: (broker) => broker.boundEndpoints,
  started: (broker, v) => ({
    bind: broker.boundEndpoints,
    heartbeat: v.heartbeat,
    liveness: v.liveness,
    "request-expiry": v["request-expiry"],
    "max-attempts": v["max-attempts"],
  }),
});
