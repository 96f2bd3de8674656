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
 *                  [--max-services 10000] [--send-hwm 1000] [--receive-hwm 1000]
 *                  [--curve-secret-file broker_secret [--allow-keys-file allowed-keys]]
 *                  [--metrics [host:]port] [--log-format text|json]
 * ```
 *
 * Prints `started bind=<as bound,…> heartbeat=<ms> liveness=<n>
 * request-expiry=<ms> max-attempts=<n> drain-timeout=<ms> curve=on|off pid=<pid> at=<t>` on stdout once
 * bound. On SIGINT or SIGTERM it drains (new requests dropped, those workers
 * hold answered, at most `--drain-timeout` ms), tells every worker DISCONNECT, closes,
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
import { BROKER_DRAIN_FLAG, BROKER_LIMIT_FLAGS, brokerLimitOptions } from "./broker-flags.js";
import { MajordomoBroker } from "./broker.js";
import { MAJORDOMO_DEFAULTS as D } from "./defaults.js";

void runCli({
  name: "majordomo-broker",
  summary: "A Majordomo (7/MDP 0.1 + 8/MMI) broker: one ROUTER for clients and workers.",
  flags: {
    bind: { type: "strings", short: "b", default: [D.bind].flat(), placeholder: "endpoint", help: "endpoint to bind; repeat for several" },
    heartbeat: { type: "integer", min: 1, max: MAX_CLI_MS, default: D.heartbeatInterval, placeholder: "ms", help: "heartbeat interval with workers" },
    liveness: { type: "integer", min: 1, max: MAX_CLI_COUNT, default: D.liveness, help: "silent heartbeats before a worker expires" },
    ...BROKER_DRAIN_FLAG,
    // Limit flags (declared once, shared with ha-majordomo-broker): --request-expiry, --max-attempts, --max-queued*,
    // --max-request-bytes, --max-services, --send-hwm, --receive-hwm.
    ...BROKER_LIMIT_FLAGS,
    ...CURVE_FLAGS,
  },
  epilog: `Output: "started bind=<ep,…> heartbeat=<ms> liveness=<n> request-expiry=<ms> max-attempts=<n> drain-timeout=<ms> curve=on|off pid=<pid> at=<t>"
once bound; on SIGINT/SIGTERM the broker drains (new requests dropped, those workers hold answered, at most
--drain-timeout ms), sends DISCONNECT to every worker, prints "stopped at=<t>" and exits.
--metrics serves /metrics (Prometheus: zmq_reliable_* from stats(), per service with a service label), /healthz and /readyz.
CURVE: --curve-secret-file encrypts every endpoint (clients and workers need its public key); --allow-keys-file
admits only the listed keys. Without CURVE, an endpoint bound beyond loopback gets one warning line.
Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 on bad usage.`,
  // Role options passed: bind (the --bind list), heartbeatInterval, liveness, the limits (requestExpiry, maxAttempts,
  // maxQueued, maxQueuedBytes, maxQueuedPerService, maxQueuedBytesPerService, maxQueuedPerClient, maxRequestBytes,
  // maxServices, sendHighWaterMark, receiveHighWaterMark), logger; curve (--curve-secret-file).
  create: (v, { logger, curve }) =>
    new MajordomoBroker({
      bind: v.bind,
      heartbeatInterval: v.heartbeat,
      liveness: v.liveness,
      drainTimeout: v["drain-timeout"],
      ...brokerLimitOptions(v),
      logger,
      curve: curve?.server,
    }),
  started: (broker, v) => ({
    bind: broker.boundEndpoints,
    heartbeat: v.heartbeat,
    liveness: v.liveness,
    "request-expiry": v["request-expiry"],
    "max-attempts": v["max-attempts"],
    "drain-timeout": v["drain-timeout"],
  }),
  bound: (broker) => broker.boundEndpoints,
});
