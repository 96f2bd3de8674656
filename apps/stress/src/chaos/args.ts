/**
 * Command-line arguments of `npm run chaos`.
 *
 * @module
 */
import { FAULT_KINDS, type FaultKind } from "./faults.js";
import { TOPOLOGIES, type TopologyName } from "./topology.js";

/** The chaos run's settings from the command line. */
export interface ChaosArgs {
  /** Seed of the fault schedule and of the clients' bodies. */
  seed: number;
  /** Seconds of faults. */
  duration: number;
  /** Where to write the figures as JSON, if anywhere. */
  json: string | undefined;
  /** Worker processes. */
  workers: number;
  /** Client processes. */
  clients: number;
  /** The topologies to run, at the same time. */
  topology: TopologyName[];
  /** The fault kinds the schedule draws from (default all). */
  faults: FaultKind[];
  /** Clients' per-attempt timeout in ms (15 attempts per request). */
  timeout: number;
}

/** The usage text. */
export const USAGE = `Usage: npm run chaos -- [--seed S] [--duration SECONDS] [--json FILE] [--workers N] [--clients N] [--topology LIST] [--faults LIST]
       [--timeout MS]

Runs an HA Majordomo pair (two ha-majordomo-broker processes), echo workers and
clients as child processes, injects a seeded fault every 1-3 s for the whole
duration (SIGKILL/restart of the active broker, SIGSTOP/SIGCONT of a broker or
a worker, SIGKILL of a worker or a client, a burst of requests from one client),
then settles, probes and stops
everything, and accounts for every request. Other topologies run at the same
time, each with its own schedule: ppp (paranoid-pirate-queue, PPP workers, Lazy
Pirate clients) and binary-star (a binary-star-server pair, Binary Star clients).

Options:
  --seed <n>          seed of the schedule (0..4294967295; default 1)
  --duration <s>      seconds of faults (5..3600; default 30)
  --json <file>       also write the figures as JSON
  --workers <n>       HA Majordomo echo workers (1..16; default 4; ppp runs half)
  --clients <n>       HA Majordomo clients (1..16; default 4; ppp and binary-star run half)
  --topology <list>   comma-separated, of ha-majordomo, ppp, binary-star (default ha-majordomo)
  --timeout <ms>      clients' per-attempt timeout, 15 attempts per request (50..60000; default 400)
  --faults <list>     comma-separated fault kinds to draw from (default all: kill-active-server,
                      stop-server, kill-worker, stop-worker, kill-client, burst)
  -h, --help          show this help

Exit status: 0 when every check holds, 1 otherwise, 2 on bad usage.`;

/** Thrown for bad usage (exit 2). */
export class UsageError extends Error {}

function integer(name: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new UsageError(`--${name} needs an integer`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`--${name} must be ${min}..${max}`);
  return value;
}

/**
 * Parses the arguments; `undefined` for `--help`.
 *
 * @param argv - the arguments after the script.
 * @throws {@link UsageError} on bad usage.
 */
export function parseArgs(argv: readonly string[]): ChaosArgs | undefined {
  const args: ChaosArgs = { seed: 1, duration: 30, json: undefined, workers: 4, clients: 4, topology: ["ha-majordomo"], faults: [...FAULT_KINDS], timeout: 400 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case "-h":
      case "--help":
        return undefined;
      case "--seed":
        args.seed = integer("seed", value(), 0, 0xffffffff);
        break;
      case "--duration":
        args.duration = integer("duration", value(), 5, 3600);
        break;
      case "--workers":
        args.workers = integer("workers", value(), 1, 16);
        break;
      case "--clients":
        args.clients = integer("clients", value(), 1, 16);
        break;
      case "--timeout":
        args.timeout = integer("timeout", value(), 50, 60_000);
        break;
      case "--json": {
        const file = value();
        if (!file) throw new UsageError("--json needs a file name");
        args.json = file;
        break;
      }
      case "--topology": {
        const list = [...new Set((value() ?? "").split(",").filter(Boolean))];
        const unknown = list.filter((t) => !TOPOLOGIES.includes(t as TopologyName));
        if (list.length === 0 || unknown.length > 0) throw new UsageError(`--topology takes a list of ${TOPOLOGIES.join(", ")}${unknown.length ? ` (not ${unknown.join(", ")})` : ""}`);
        args.topology = TOPOLOGIES.filter((t) => list.includes(t));
        break;
      }
      case "--faults": {
        const list = [...new Set((value() ?? "").split(",").filter(Boolean))];
        const unknown = list.filter((k) => !FAULT_KINDS.includes(k as FaultKind));
        if (list.length === 0 || unknown.length > 0) throw new UsageError(`--faults takes a list of ${FAULT_KINDS.join(", ")}${unknown.length ? ` (not ${unknown.join(", ")})` : ""}`);
        args.faults = FAULT_KINDS.filter((k) => list.includes(k));
        break;
      }
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
    }
  }
  return args;
}
