#!/usr/bin/env node
/**
 * `ha-majordomo-broker`: one half of a highly available Majordomo broker
 * pair. Prints one line per life-cycle event on stdout and exits 1 on a fatal
 * pair error, 2 on bad usage, 0 after SIGINT/SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { BinaryStarRole } from "@zmq-reliable/binary-star";
import { MAJORDOMO_DEFAULTS } from "@zmq-reliable/majordomo";
import { HaMajordomoBroker } from "./ha-broker.js";

const DEFAULTS = {
  primary: { frontend: "tcp://*:5555", local: "tcp://*:5003", remote: "tcp://localhost:5004" },
  backup: { frontend: "tcp://*:5556", local: "tcp://*:5004", remote: "tcp://localhost:5003" },
} as const;

const USAGE = `Usage: ha-majordomo-broker (--primary | --backup) [options]

Runs one Majordomo broker (7/MDP 0.1 + 8/MMI) of a Binary Star pair. Only the
active broker serves clients; workers register with both (MajordomoWorker
{ brokers: "all" }); clients list both endpoints and fail over on timeout.

  -p, --primary              run as the primary (normally active)
  -b, --backup               run as the backup (normally passive)
      --frontend <ep>        broker bind endpoint for clients and workers
                             (default ${DEFAULTS.primary.frontend} primary, ${DEFAULTS.backup.frontend} backup)
      --local <ep>           Binary Star state PUB bind endpoint
                             (default ${DEFAULTS.primary.local} primary, ${DEFAULTS.backup.local} backup)
      --remote <ep>          the peer's state PUB endpoint
                             (default ${DEFAULTS.primary.remote} primary, ${DEFAULTS.backup.remote} backup)
      --heartbeat <ms>       Binary Star heartbeat; peer presumed dead after two (default 1000)
      --mdp-heartbeat <ms>   broker-worker heartbeat (default ${MAJORDOMO_DEFAULTS.heartbeatInterval})
      --liveness <n>         missed worker heartbeats before expiry (default ${MAJORDOMO_DEFAULTS.liveness})
  -h, --help                 show this help

Output (stdout, one line each; at= is epoch milliseconds):
  started role=<role> state=<state> frontend=<ep> local=<ep> pid=<pid> at=<t>
  state from=<state> to=<state> at=<t>
  fatal reason=<reason> at=<t>
  stopped at=<t>
`;

const now = () => (performance.timeOrigin + performance.now()).toFixed(3);

function usageError(message: string): never {
  process.stderr.write(`ha-majordomo-broker: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) usageError(`--${name} must be a positive number, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        primary: { type: "boolean", short: "p" },
        backup: { type: "boolean", short: "b" },
        frontend: { type: "string" },
        local: { type: "string" },
        remote: { type: "string" },
        heartbeat: { type: "string" },
        "mdp-heartbeat": { type: "string" },
        liveness: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    usageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (Boolean(values.primary) === Boolean(values.backup)) usageError("give exactly one of --primary or --backup");
  const role: BinaryStarRole = values.primary ? "primary" : "backup";
  const ha = new HaMajordomoBroker({
    role,
    frontend: values.frontend ?? DEFAULTS[role].frontend,
    local: values.local ?? DEFAULTS[role].local,
    remote: values.remote ?? DEFAULTS[role].remote,
    heartbeatInterval: positive("heartbeat", values.heartbeat, 1000),
    broker: {
      heartbeatInterval: positive("mdp-heartbeat", values["mdp-heartbeat"], MAJORDOMO_DEFAULTS.heartbeatInterval),
      liveness: positive("liveness", values.liveness, MAJORDOMO_DEFAULTS.liveness),
    },
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await ha.close();
    process.stdout.write(`stopped at=${now()}\n`);
    process.exitCode = code;
  };
  ha.on("state-change", (e) => process.stdout.write(`state from=${e.from} to=${e.to} at=${now()}\n`));
  ha.on("fatal", (e) => {
    process.stdout.write(`fatal reason=${e.reason} at=${now()}\n`);
    void stop(1);
  });
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));
  await ha.start();
  process.stdout.write(
    `started role=${role} state=${ha.state} frontend=${ha.endpoints.join(",")} local=${ha.node.endpoint ?? ""} pid=${process.pid} at=${now()}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`ha-majordomo-broker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
