#!/usr/bin/env node
/**
 * `paranoid-pirate-queue`: runs a {@link ParanoidPirateQueue} as a process.
 *
 * Prints one line to stdout once both sockets are bound:
 * `paranoid-pirate-queue ready frontend=<endpoint> backend=<endpoint>`,
 * and `paranoid-pirate-queue closed` after a clean shutdown on SIGINT/SIGTERM.
 * Life-cycle lines (workers ready and expired, lost requests) go to
 * stderr; `--verbose` adds a line per message.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Logger } from "@zmq-reliable/core";
import { PARANOID_PIRATE_DEFAULTS } from "./defaults.js";
import { ParanoidPirateQueue } from "./queue.js";

const NAME = "paranoid-pirate-queue";

const USAGE = `Usage: ${NAME} [options]

Runs a Paranoid Pirate (6/PPP) queue: Lazy Pirate clients connect to the
frontend, PPP workers to the backend.

Options:
  --frontend <endpoint>  endpoint to bind for clients (default ${PARANOID_PIRATE_DEFAULTS.frontend})
  --backend <endpoint>   endpoint to bind for workers (default ${PARANOID_PIRATE_DEFAULTS.backend})
  --heartbeat <ms>       heartbeat interval (default ${PARANOID_PIRATE_DEFAULTS.heartbeatInterval})
  --liveness <n>         silent intervals before a worker is expired (default ${PARANOID_PIRATE_DEFAULTS.liveness})
  -v, --verbose          also log every message to stderr (workers coming and
                         going and lost requests are always logged)
  -h, --help             show this help

Prints "${NAME} ready frontend=<endpoint> backend=<endpoint>" once bound.
SIGINT or SIGTERM closes the queue and exits with status 0.
`;

function fail(message: string): never {
  process.stderr.write(`${NAME}: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function positive(name: string, text: string | undefined, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 1 || (integer && !Number.isInteger(value))) fail(`--${name} must be a ${integer ? "positive integer" : "number >= 1"}, got "${text}"`);
  return value;
}

function stderrLogger(verbose: boolean): Logger {
  const line =
    (level: string) =>
    (message: string): void => {
      process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
    };
  return verbose
    ? { debug: line("DEBUG"), info: line("INFO"), warn: line("WARN"), error: line("ERROR") }
    : { info: line("INFO"), warn: line("WARN"), error: line("ERROR") };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        frontend: { type: "string" },
        backend: { type: "string" },
        heartbeat: { type: "string" },
        liveness: { type: "string" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const queue = new ParanoidPirateQueue({
    frontend: values.frontend ?? PARANOID_PIRATE_DEFAULTS.frontend,
    backend: values.backend ?? PARANOID_PIRATE_DEFAULTS.backend,
    heartbeatInterval: positive("heartbeat", values.heartbeat, PARANOID_PIRATE_DEFAULTS.heartbeatInterval, false),
    liveness: positive("liveness", values.liveness, PARANOID_PIRATE_DEFAULTS.liveness, true),
    logger: stderrLogger(values.verbose === true),
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${NAME}: ${signal}, closing\n`);
    queue.close().then(
      () => process.stdout.write(`${NAME} closed\n`),
      (err: unknown) => {
        process.stderr.write(`${NAME}: close failed: ${(err as Error).message}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    await queue.start();
  } catch (err) {
    process.stderr.write(`${NAME}: cannot start: ${(err as Error).message}\n`);
    process.exitCode = 1;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    return;
  }
  process.stdout.write(`${NAME} ready frontend=${queue.frontendEndpoint} backend=${queue.backendEndpoint}\n`);
}

void main();
