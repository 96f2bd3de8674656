#!/usr/bin/env node
/**
 * `binary-star-server`: one member of a Binary Star echo-server pair, like the
 * zguide's `bstarsrv2 -p | -b`. Prints one line per life-cycle event on
 * stdout (so scripts and tests can wait for them) and exits with status 1 on
 * a fatal error (dual actives or dual passives), 2 on bad usage, 0 when
 * stopped by SIGINT or SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BINARY_STAR_DEFAULTS, type BinaryStarRole } from "./defaults.js";
import { BinaryStarServer } from "./server.js";

const USAGE = `Usage: binary-star-server (--primary | --backup) [options]

Runs one server of a Binary Star pair: an echo server that serves clients only
while it is the active one of the two.

  -p, --primary            run as the primary (normally active)
  -b, --backup             run as the backup (normally passive)
      --frontend <ep>      client ROUTER bind endpoint
                           (default tcp://*:5001 primary, tcp://*:5002 backup)
      --local <ep>         state PUB bind endpoint
                           (default tcp://*:5003 primary, tcp://*:5004 backup)
      --remote <ep>        the peer's state PUB endpoint to connect to
                           (default tcp://localhost:5004 primary, tcp://localhost:5003 backup)
      --heartbeat <ms>     state message interval; the peer is presumed dead
                           after two (default ${BINARY_STAR_DEFAULTS.heartbeatInterval}); must match the peer's
  -v, --verbose            also print a line for every dropped request
  -h, --help               show this help

Output (stdout, one line each; at= is epoch milliseconds):
  started role=<role> state=<STATE> frontend=<ep> local=<ep> remote=<ep> heartbeat=<ms> pid=<pid> at=<t>
  peer state=<STATE> at=<t>
  state from=<STATE> to=<STATE> event=<EVENT> at=<t> note="<text>"
  drop reason=<reason> state=<STATE> at=<t>          (with --verbose)
  fatal reason=<dual-active|dual-passive> at=<t>
  stopped at=<t>

Exit status: 0 after SIGINT/SIGTERM, 1 on a fatal error, 2 on bad usage.
`;

function now(): string {
  return (performance.timeOrigin + performance.now()).toFixed(3);
}

function usageError(message: string): never {
  process.stderr.write(`binary-star-server: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse(): { role: BinaryStarRole; frontend: string; local: string; remote: string; heartbeat: number; verbose: boolean } {
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
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.primary === values.backup) usageError("give exactly one of --primary or --backup");
  const role: BinaryStarRole = values.primary ? "primary" : "backup";
  const defaults = BINARY_STAR_DEFAULTS.endpoints[role];
  const heartbeat = values.heartbeat === undefined ? BINARY_STAR_DEFAULTS.heartbeatInterval : Number(values.heartbeat);
  if (!Number.isFinite(heartbeat) || heartbeat < 1) usageError(`--heartbeat must be a number of ms >= 1, got ${values.heartbeat}`);
  return {
    role,
    frontend: values.frontend ?? defaults.frontend,
    local: values.local ?? defaults.local,
    remote: values.remote ?? defaults.remote,
    heartbeat,
    verbose: values.verbose ?? false,
  };
}

async function main(): Promise<void> {
  const args = parse();
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const server = new BinaryStarServer({
    role: args.role,
    bind: { frontend: args.frontend, state: args.local },
    peer: args.remote,
    heartbeatInterval: args.heartbeat,
  });
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await server.close();
    print(`stopped at=${now()}`);
    process.exitCode = code;
  };
  server.on("state-change", (e) => print(`state from=${e.from} to=${e.to} event=${e.event} at=${now()} note=${JSON.stringify(e.note)}`));
  server.on("peer-state", (e) => print(`peer state=${e.state} at=${now()}`));
  server.on("fatal", (e) => {
    print(`fatal reason=${e.reason} at=${now()}`);
    process.stderr.write(`binary-star-server: fatal error: ${e.reason === "dual-active" ? "dual actives" : "dual passives"}, exiting\n`);
    void exit(1);
  });
  if (args.verbose) server.on("drop", (e) => print(`drop reason=${e.reason} state=${e.state} at=${now()}`));
  process.once("SIGINT", () => void exit(0));
  process.once("SIGTERM", () => void exit(0));
  try {
    await server.start();
  } catch (err) {
    process.stderr.write(`binary-star-server: cannot start: ${(err as Error).message}\n`);
    await server.close();
    process.exit(1);
  }
  print(
    `started role=${args.role} state=${server.state} frontend=${server.endpoint} local=${server.node.endpoint} ` +
      `remote=${args.remote} heartbeat=${args.heartbeat} pid=${process.pid} at=${now()}`,
  );
}

void main();
