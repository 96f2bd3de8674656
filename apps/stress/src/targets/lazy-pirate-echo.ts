#!/usr/bin/env node
/**
 * `lazy-pirate-echo`: a tiny process running a `LazyPirateServer` whose
 * handler echoes every request, on core's CLI runner, so the fuzz harness can
 * attack a Lazy Pirate server as a real process. Prints `started bind=<ep as
 * bound> pid=<pid> at=<t>` once bound; exit 0 after SIGINT/SIGTERM, 1 on a
 * runtime failure, 2 on bad usage.
 *
 * @module
 */
import { MAX_CLI_COUNT, runCli } from "@zmq-reliable/core";
import { LazyPirateServer } from "@zmq-reliable/lazy-pirate";

void runCli({
  name: "lazy-pirate-echo",
  summary: "Runs a LazyPirateServer that echoes every request (a fuzz target).",
  flags: {
    bind: { type: "string", short: "b", default: "tcp://127.0.0.1:*", placeholder: "endpoint", help: "endpoint to bind" },
    concurrency: { type: "integer", min: 1, max: MAX_CLI_COUNT, default: 16, help: "requests handled at once" },
  },
  epilog: `Output: "started bind=<connectable ep> pid=<pid> at=<t>" once bound, "stopped at=<t>" after SIGINT/SIGTERM.
Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 on bad usage.`,
  create: (v, { logger }) => new LazyPirateServer({ bind: v.bind, concurrency: v.concurrency, handler: (body) => body, logger }),
  started: (server) => ({ bind: server.endpoint }),
});
