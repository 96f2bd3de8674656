#!/usr/bin/env node
/**
 * `majordomo-broker`: runs a {@link MajordomoBroker} as a process.
 *
 * ```sh
 * majordomo-broker --bind tcp://*:5555 [--bind ipc:///tmp/mdp.sock] [--heartbeat 2500]
 *                  [--liveness 3] [--request-expiry 7500] [--max-attempts 3] [--verbose]
 * ```
 *
 * Prints `majordomo-broker: MDP/0.1 broker active at <endpoints>` on stdout
 * once bound. On SIGINT or SIGTERM it tells every worker DISCONNECT, closes
 * and exits 0.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Logger } from "@zmq-reliable/core";
import { MajordomoBroker } from "./broker.js";
import { MAJORDOMO_DEFAULTS } from "./defaults.js";

const USAGE = `Usage: majordomo-broker [options]

A Majordomo (7/MDP 0.1 + 8/MMI) broker: one ROUTER for clients and workers.

Options:
  -b, --bind <endpoint>     endpoint to bind; repeat for several (default ${MAJORDOMO_DEFAULTS.bind})
      --heartbeat <ms>      heartbeat interval (default ${MAJORDOMO_DEFAULTS.heartbeatInterval})
      --liveness <n>        silent intervals before a worker expires (default ${MAJORDOMO_DEFAULTS.liveness})
      --request-expiry <ms> how long a request waits for a service nobody serves (default ${MAJORDOMO_DEFAULTS.requestExpiry})
      --max-attempts <n>    workers a request may be handed to (default ${MAJORDOMO_DEFAULTS.maxAttempts})
  -v, --verbose             log every message (to stderr)
  -h, --help                show this help

On SIGINT/SIGTERM the broker sends DISCONNECT to every worker and exits.
`;

function fail(message: string): never {
  process.stderr.write(`majordomo-broker: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function numberOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || value.trim() === "") fail(`--${name} must be a number >= ${min}, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        bind: { type: "string", short: "b", multiple: true },
        heartbeat: { type: "string" },
        liveness: { type: "string" },
        "request-expiry": { type: "string" },
        "max-attempts": { type: "string" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return;
  }
  const stamp = () => new Date().toISOString();
  const logger: Logger = {
    info: (m) => process.stderr.write(`${stamp()} I: ${m}\n`),
    warn: (m) => process.stderr.write(`${stamp()} W: ${m}\n`),
    error: (m) => process.stderr.write(`${stamp()} E: ${m}\n`),
  };
  if (v.verbose) logger.debug = (m) => process.stderr.write(`${stamp()} D: ${m}\n`);

  const broker = new MajordomoBroker({
    bind: v.bind && v.bind.length > 0 ? v.bind : MAJORDOMO_DEFAULTS.bind,
    heartbeatInterval: numberOption("heartbeat", v.heartbeat, 1),
    liveness: numberOption("liveness", v.liveness, 1),
    requestExpiry: numberOption("request-expiry", v["request-expiry"], 0),
    maxAttempts: numberOption("max-attempts", v["max-attempts"], 1),
    logger,
  });
  try {
    await broker.start();
  } catch (err) {
    process.stderr.write(`majordomo-broker: cannot bind: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`majordomo-broker: MDP/0.1 broker active at ${broker.endpoints.join(" ")}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // second signal: leave now
    stopping = true;
    logger.info?.(`${signal}: disconnecting workers`);
    broker.close().then(
      () => {
        process.stdout.write("majordomo-broker: closed\n");
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`majordomo-broker: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main();
