#!/usr/bin/env node
/**
 * `paranoid-pirate-queue`: runs a {@link ParanoidPirateQueue} as a process,
 * on core's CLI runner (`--help` lists the flags).
 *
 * Prints `started frontend=<as bound> backend=<as bound> heartbeat=<ms>
 * liveness=<n> request-expiry=<ms> max-queued=<n> max-queued-bytes=<n>
 * max-queued-per-client=<n> max-request-bytes=<n> receive-hwm=<n> curve=on|off pid=<pid> at=<t>` on stdout once both
 * sockets are bound, and `stopped at=<t>` after a clean shutdown on
 * SIGINT/SIGTERM (exit 0). Life-cycle lines (workers ready and expired, lost
 * requests) and drops (10 per reason per 10 s, then a summary line) go to
 * stderr; `--verbose` adds a line per message.
 * Exit 1 on a runtime failure (such as an endpoint in use), 2 on bad usage,
 * each with one line on stderr.
 *
 * CURVE (core's `CURVE_FLAGS`): `--curve-secret-file` encrypts both sockets,
 * `--allow-keys-file` admits only the listed clients and workers; without
 * CURVE, an endpoint bound beyond loopback gets one warning line at start.
 *
 * @module
 */
import { CURVE_FLAGS, MAX_CLI_COUNT, MAX_CLI_MS, runCli } from "@zmq-reliable/core";
import { PARANOID_PIRATE_DEFAULTS as D } from "./defaults.js";
import { ParanoidPirateQueue } from "./queue.js";

/** The largest request count a limit flag takes. */
const MAX_CLI_REQUESTS = 10_000_000;
/** The largest byte count a limit flag takes: 64 GiB. */
const MAX_CLI_BYTES = 64 * 1024 ** 3;

void runCli({
  name: "paranoid-pirate-queue",
  summary: "Runs a Paranoid Pirate (6/PPP) queue: Lazy Pirate clients connect to the frontend, PPP workers to the backend.",
  flags: {
    frontend: { type: "string", default: D.frontend, placeholder: "endpoint", help: "endpoint to bind for clients" },
    backend: { type: "string", default: D.backend, placeholder: "endpoint", help: "endpoint to bind for workers" },
    heartbeat: { type: "integer", min: 1, max: MAX_CLI_MS, default: D.heartbeatInterval, placeholder: "ms", help: "heartbeat interval" },
    liveness: { type: "integer", min: 1, max: MAX_CLI_COUNT, default: D.liveness, help: "silent heartbeats before a worker is expired" },
    "request-expiry": { type: "integer", min: 1, max: MAX_CLI_MS, default: D.requestExpiry, placeholder: "ms", help: "how long a request waits for a ready worker before it is dropped" },
    "max-queued": { type: "integer", min: 0, max: MAX_CLI_REQUESTS, default: D.maxQueued, help: "requests held at most while no worker is ready" },
    "max-queued-per-client": { type: "integer", min: 0, max: MAX_CLI_REQUESTS, default: D.maxQueuedPerClient, help: "requests held at most for one client connection" },
    "max-queued-bytes": { type: "integer", min: 0, max: MAX_CLI_BYTES, default: D.maxQueuedBytes, placeholder: "bytes", help: "bytes of requests held at most while no worker is ready" },
    "max-request-bytes": { type: "integer", min: 1, max: MAX_CLI_BYTES, default: D.maxRequestBytes, placeholder: "bytes", help: "largest request taken (envelope and body, 256 bytes per frame besides the payload)" },
    "max-attempts": { type: "integer", min: 1, max: MAX_CLI_COUNT, default: D.maxAttempts, help: "workers a request given back (READY while holding it) may be handed to in all" },
    "receive-hwm": { type: "integer", min: 1, max: MAX_CLI_REQUESTS, default: D.receiveHighWaterMark, help: "frontend receive high-water mark, messages per client connection" },
    ...CURVE_FLAGS,
  },
  epilog: `Output: "started frontend=<ep> backend=<ep> heartbeat=<ms> liveness=<n> request-expiry=<ms> max-queued=<n>
max-queued-bytes=<n> max-queued-per-client=<n> max-request-bytes=<n> receive-hwm=<n> curve=on|off pid=<pid> at=<t>" once bound, "stopped at=<t>" after
SIGINT/SIGTERM. Workers coming and going, lost requests and drops (rate-limited) are logged to stderr.
CURVE: --curve-secret-file encrypts both sockets (clients and workers need its public key); --allow-keys-file
admits only the listed keys (clients and workers). Without CURVE, an endpoint bound beyond loopback gets one warning.
Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 on bad usage (a missing or malformed key file too).`,
  // Role options passed: bind { frontend, backend }, heartbeatInterval, liveness, requestExpiry, maxQueued,
  // maxQueuedBytes, maxQueuedPerClient, maxRequestBytes, receiveHighWaterMark, logger; curve (--curve-secret-file).
  create: (v, { logger, curve }) =>
    new ParanoidPirateQueue({
      bind: { frontend: v.frontend, backend: v.backend },
      heartbeatInterval: v.heartbeat,
      liveness: v.liveness,
      requestExpiry: v["request-expiry"],
      maxQueued: v["max-queued"],
      maxQueuedBytes: v["max-queued-bytes"],
      maxQueuedPerClient: v["max-queued-per-client"],
      maxRequestBytes: v["max-request-bytes"],
      receiveHighWaterMark: v["receive-hwm"],
      maxAttempts: v["max-attempts"],
      logger,
      curve: curve?.server,
    }),
  bound: (queue) => Object.values(queue.boundEndpoints),
  started: (queue, v) => ({
    ...queue.boundEndpoints,
    heartbeat: queue.heartbeatInterval,
    liveness: queue.liveness,
    "request-expiry": v["request-expiry"],
    "max-queued": v["max-queued"],
    "max-queued-bytes": v["max-queued-bytes"],
    "max-queued-per-client": v["max-queued-per-client"],
    "max-request-bytes": v["max-request-bytes"],
    "receive-hwm": queue.receiveHighWaterMark,
  }),
});
