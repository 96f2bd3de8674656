#!/usr/bin/env node
/**
 * `majordomo-broker`: runs a {@link MajordomoBroker} as a process, on core's
 * CLI runner (`--help` lists the flags).
 *
 * ```sh
 * majordomo-broker --bind tcp://*:5555 [--bind ipc:///tmp/mdp.sock] [--heartbeat 2500]
 *                  [--liveness 3] [--request-expiry 7500] [--max-attempts 3] [--verbose]
 * ```
 *
 * Prints `started bind=<as bound,…> heartbeat=<ms> liveness=<n>
 * request-expiry=<ms> max-attempts=<n> pid=<pid> at=<t>` on stdout once
 * bound. On SIGINT or SIGTERM it tells every worker DISCONNECT, closes,
 * prints `stopped at=<t>` and exits 0. Exit 1 on a runtime failure (such as
 * an endpoint in use), 2 on bad usage, each with one line on stderr.
 *
 * @module
 */
import { MAX_CLI_COUNT, MAX_CLI_MS, runCli } from "@zmq-reliable/core";
import { MajordomoBroker } from "./broker.js";
import { MAJORDOMO_DEFAULTS as D } from "./defaults.js";

void runCli({
  name: "majordomo-broker",
  summary: "A Majordomo (7/MDP 0.1 + 8/MMI) broker: one ROUTER for clients and workers.",
  flags: {
    bind: { type: "strings", short: "b", default: [D.bind].flat(), placeholder: "endpoint", help: "endpoint to bind; repeat for several" },
    heartbeat: { type: "integer", min: 1, max: MAX_CLI_MS, default: D.heartbeatInterval, placeholder: "ms", help: "heartbeat interval with workers" },
    liveness: { type: "integer", min: 1, max: MAX_CLI_COUNT, default: D.liveness, help: "silent heartbeats before a worker expires" },
    "request-expiry": { type: "integer", min: 0, max: MAX_CLI_MS, default: D.requestExpiry, placeholder: "ms", help: "how long a request waits for a service nobody serves" },
    "max-attempts": { type: "integer", min: 1, max: MAX_CLI_COUNT, default: D.maxAttempts, help: "workers a request may be handed to" },
  },
  epilog: `Output: "started bind=<ep,…> heartbeat=<ms> liveness=<n> request-expiry=<ms> max-attempts=<n> pid=<pid> at=<t>"
once bound; on SIGINT/SIGTERM the broker sends DISCONNECT to every worker, prints "stopped at=<t>" and exits.
Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 on bad usage.`,
  // Role options passed: bind (the --bind list), heartbeatInterval, liveness, requestExpiry, maxAttempts, logger.
  create: (v, { logger }) =>
    new MajordomoBroker({
      bind: v.bind,
      heartbeatInterval: v.heartbeat,
      liveness: v.liveness,
      requestExpiry: v["request-expiry"],
      maxAttempts: v["max-attempts"],
      logger,
    }),
  started: (broker, v) => ({
    bind: broker.boundEndpoints,
    heartbeat: v.heartbeat,
    liveness: v.liveness,
    "request-expiry": v["request-expiry"],
    "max-attempts": v["max-attempts"],
  }),
});
