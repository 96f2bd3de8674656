#!/usr/bin/env node
/**
 * `paranoid-pirate-queue`: runs a {@link ParanoidPirateQueue} as a process,
 * on core's CLI runner (`--help` lists the flags).
 *
 * Prints `started frontend=<as bound> backend=<as bound> heartbeat=<ms>
 * liveness=<n> pid=<pid> at=<t>` on stdout once both sockets are bound, and
 * `stopped at=<t>` after a clean shutdown on SIGINT/SIGTERM (exit 0).
 * Life-cycle lines (workers ready and expired, lost requests) go to stderr;
 * `--verbose` adds a line per message. Exit 1 on a runtime failure (such as
 * an endpoint in use), 2 on bad usage, each with one line on stderr.
 *
 * @module
 */
import { MAX_CLI_COUNT, MAX_CLI_MS, runCli } from "@zmq-reliable/core";
import { PARANOID_PIRATE_DEFAULTS as D } from "./defaults.js";
import { ParanoidPirateQueue } from "./queue.js";

void runCli({
  name: "paranoid-pirate-queue",
  summary: "Runs a Paranoid Pirate (6/PPP) queue: Lazy Pirate clients connect to the frontend, PPP workers to the backend.",
  flags: {
    frontend: { type: "string", default: D.frontend, placeholder: "endpoint", help: "endpoint to bind for clients" },
    backend: { type: "string", default: D.backend, placeholder: "endpoint", help: "endpoint to bind for workers" },
    heartbeat: { type: "integer", min: 1, max: MAX_CLI_MS, default: D.heartbeatInterval, placeholder: "ms", help: "heartbeat interval" },
    liveness: { type: "integer", min: 1, max: MAX_CLI_COUNT, default: D.liveness, help: "silent heartbeats before a worker is expired" },
  },
  epilog: `Output: "started frontend=<ep> backend=<ep> heartbeat=<ms> liveness=<n> pid=<pid> at=<t>" once bound,
"stopped at=<t>" after SIGINT/SIGTERM. Workers coming and going and lost requests are logged to stderr.
Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 on bad usage.`,
  // Role options passed: bind { frontend, backend }, heartbeatInterval, liveness, logger.
  create: (v, { logger }) =>
    new ParanoidPirateQueue({ bind: { frontend: v.frontend, backend: v.backend }, heartbeatInterval: v.heartbeat, liveness: v.liveness, logger }),
  started: (queue) => ({ ...queue.boundEndpoints, heartbeat: queue.heartbeatInterval, liveness: queue.liveness }),
});
