#!/usr/bin/env node
/**
 * `ha-majordomo-broker`: one half of a highly available Majordomo broker
 * pair, on core's CLI runner (`--help` lists the flags). Prints one line per
 * life-cycle event on stdout and exits 1 on a runtime failure, 2 on bad usage, 0 after SIGINT/SIGTERM.
 *
 * @module
 */
import { BINARY_STAR_DEFAULTS, checkPairRole, pairCurve, pairFlags, pairHealth, pairOptions, pairStartFields } from "@zmq-reliable/binary-star";
import { MAX_CLI_COUNT, MAX_CLI_MS, runCli } from "@zmq-reliable/core";
import { BROKER_DRAIN_FLAG, BROKER_LIMIT_FLAGS, brokerLimitFields, brokerLimitOptions, MAJORDOMO_DEFAULTS } from "@zmq-reliable/majordomo";
import { HaMajordomoBroker } from "./ha-broker.js";

const DEFAULTS = {
  primary: { frontend: "tcp://*:5555", local: BINARY_STAR_DEFAULTS.endpoints.primary.local, remote: BINARY_STAR_DEFAULTS.endpoints.primary.remote },
  backup: { frontend: "tcp://*:5556", local: BINARY_STAR_DEFAULTS.endpoints.backup.local, remote: BINARY_STAR_DEFAULTS.endpoints.backup.remote },
} as const;

void runCli({
  name: "ha-majordomo-broker",
  usage: "(--primary | --backup) [options]",
  summary: `Runs one Majordomo broker (7/MDP 0.1 + 8/MMI) of a Binary Star pair. Only the
active broker serves clients; workers register with both (MajordomoWorker
{ brokers: "all" }); clients list both endpoints and fail over on timeout.`,
  flags: {
    ...pairFlags(DEFAULTS, "Majordomo broker (clients and workers)"),
    "mdp-heartbeat": { type: "integer", min: 1, max: MAX_CLI_MS, default: MAJORDOMO_DEFAULTS.heartbeatInterval, placeholder: "ms", help: "broker-worker heartbeat" },
    liveness: { type: "integer", min: 1, max: MAX_CLI_COUNT, default: MAJORDOMO_DEFAULTS.liveness, help: "missed worker heartbeats before expiry" },
    // The majordomo-broker limit flags, declared once in @zmq-reliable/majordomo: --request-expiry, --max-attempts,
    // --max-queued*, --max-request-bytes, --max-services, --send-hwm, --receive-hwm.
    ...BROKER_LIMIT_FLAGS,
    ...BROKER_DRAIN_FLAG,
  },
  epilog: `Output (stdout, one line each; at= is epoch milliseconds):
  started role=<role> state=<state> frontend=<ep> local=<ep> remote=<ep> heartbeat=<ms> mdp-heartbeat=<ms> liveness=<n>
          request-expiry=<ms> max-attempts=<n> max-queued=<n> … (every limit flag) drain-timeout=<ms> curve=on|off pid=<pid> at=<t>
  state from=<state> to=<state> at=<t>
  stopped at=<t>
Endpoints are printed as bound (tcp://0.0.0.0:5555 for tcp://*:5555).
Dual actives (e.g. after a pause) and dual passives are resolved, never fatal: the stale broker steps down.
CURVE: --curve-secret-file with --curve-peer-key encrypts the broker and the state link (the state PUB admits only
the peer); --allow-keys-file admits only the listed clients and workers. Without CURVE, an endpoint beyond
loopback gets one warning line.
Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 on bad usage.`,
  check: checkPairRole,
  // Role options passed: role, bind { frontend, state } (--frontend, --local), peer (--remote), heartbeatInterval, broker: { heartbeatInterval, liveness,
  // and the limits: requestExpiry, maxAttempts, maxQueued, maxQueuedBytes, maxQueuedPerService, maxQueuedBytesPerService, maxQueuedPerClient,
  // maxRequestBytes, maxServices, sendHighWaterMark, receiveHighWaterMark }, logger, curve (--curve-secret-file, --curve-peer-key).
  create: (v, { logger, print, now, curve }) => {
    const ha = new HaMajordomoBroker({
      ...pairOptions(v, DEFAULTS),
      heartbeatInterval: v.heartbeat,
      broker: { heartbeatInterval: v["mdp-heartbeat"], liveness: v.liveness, ...brokerLimitOptions(v), drainTimeout: v["drain-timeout"] },
      logger,
      curve: pairCurve(curve),
    });
    ha.on("state-change", (e) => print(`state from=${e.from} to=${e.to} at=${now()}`));
    return ha;
  },
  started: (ha, v) => ({
    ...pairStartFields(ha.node, ha.broker.boundEndpoints, v, DEFAULTS),
    "mdp-heartbeat": v["mdp-heartbeat"],
    liveness: v.liveness,
    ...brokerLimitFields(v),
    "drain-timeout": v["drain-timeout"],
  }),
  bound: (ha) => [...ha.broker.boundEndpoints, ha.node.boundEndpoint],
  health: (ha) => pairHealth(ha.node),
});
