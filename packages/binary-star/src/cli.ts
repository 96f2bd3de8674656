#!/usr/bin/env node
/**
 * `binary-star-server`: one member of a Binary Star echo-server pair, like the
 * zguide's `bstarsrv2 -p | -b`, on core's CLI runner (`--help` lists the
 * flags). Prints one line per life-cycle event on stdout (so scripts and
 * tests can wait for them) and exits with status 1 on a runtime failure, 2
 * on bad usage, 0 when stopped by SIGINT or SIGTERM. Dual actives and dual
 * passives are resolved, never fatal.
 *
 * @module
 */
import { REQUEST_SERVER_LIMIT_FLAGS, requestServerLimitOptions, runCli } from "@zmq-reliable/core";
import { BINARY_STAR_DEFAULTS as D } from "./defaults.js";
import { checkPairRole, pairCurve, pairFlags, pairHealth, pairOptions, pairStartFields } from "./pair-flags.js";
import { BinaryStarServer } from "./server.js";

const ep = D.endpoints;

void runCli({
  name: "binary-star-server",
  usage: "(--primary | --backup) [options]",
  summary: "Runs one server of a Binary Star pair: an echo server that serves clients only while it is the active one of the two.",
  flags: {
    ...pairFlags(ep, "client ROUTER"),
    // Limit flags (core's, shared by every request-server bin): --concurrency, --max-queued, --max-queued-bytes,
    // --max-request-bytes, --handler-timeout, --max-abandoned, --receive-hwm, --send-hwm.
    ...REQUEST_SERVER_LIMIT_FLAGS,
  },
  epilog: `Output (stdout, one line each; at= is epoch milliseconds; --verbose adds the drop lines):
  started role=<role> state=<STATE> frontend=<ep> local=<ep> remote=<ep> heartbeat=<ms> concurrency=<n> max-queued=<n>
          max-queued-bytes=<n> max-request-bytes=<n> handler-timeout=<ms> max-abandoned=<n> receive-hwm=<n> send-hwm=<n> curve=on|off pid=<pid> at=<t>
  peer state=<STATE> at=<t>
  state from=<STATE> to=<STATE> event=<EVENT> at=<t> note="<text>"
  drop reason=<reason> state=<STATE> at=<t>
  stopped at=<t>
Dual actives (e.g. after a pause) and dual passives are resolved, never fatal: a node steps down or takes over.
Endpoints are printed as bound (tcp://0.0.0.0:5001 for tcp://*:5001).
CURVE: --curve-secret-file (this node's pair) with --curve-peer-key (the peer's public key) encrypts the frontend and
the state link; the state PUB then admits only the peer, and --allow-keys-file admits only the listed clients.
Without CURVE anything that can reach the state ports can send state; an endpoint beyond loopback gets a warning.
Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 on bad usage.`,
  check: checkPairRole,
  // Role options passed: role, bind { frontend, state } (--frontend, --local), peer (--remote), heartbeatInterval, logger,
  // curve (--curve-secret-file, --curve-peer-key), and the limits: concurrency, maxQueued, maxQueuedBytes, maxRequestBytes,
  // handlerTimeout, maxAbandoned, receiveHighWaterMark, sendHighWaterMark.
  create: (v, { logger, print, now, curve }) => {
    const server = new BinaryStarServer({
      ...pairOptions(v, ep),
      heartbeatInterval: v.heartbeat,
      logger,
      curve: pairCurve(curve),
      ...requestServerLimitOptions(v),
    });
    server.on("state-change", (e) => print(`state from=${e.from} to=${e.to} event=${e.event} at=${now()} note=${JSON.stringify(e.note)}`));
    server.on("peer-state", (e) => print(`peer state=${e.state} at=${now()}`));
    if (v.verbose) server.on("drop", (e) => print(`drop reason=${e.reason} state=${e.state} at=${now()}`));
    return server;
  },
  started: (server, v) => ({
    ...pairStartFields(server.node, server.boundEndpoints.frontend, v, ep),
    ...Object.fromEntries(Object.keys(REQUEST_SERVER_LIMIT_FLAGS).map((flag) => [flag, v[flag as keyof typeof REQUEST_SERVER_LIMIT_FLAGS]])),
  }),
  bound: (server) => [server.boundEndpoints.frontend, server.node.boundEndpoint],
  health: (server) => pairHealth(server.node),
});
