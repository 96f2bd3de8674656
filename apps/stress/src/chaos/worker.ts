/**
 * Chaos child program: an echo worker, either a `MajordomoWorker` registered
 * with both brokers of an HA Majordomo pair (`brokers: "all"`, service
 * `echo`) or a `ParanoidPirateWorker` on a PPP queue's backend. The reply is
 * the request body, unchanged. Prints `up`, then one line `ran <id>` per request
 * it executed (the first body frame is the request id), so the harness can
 * count executions per request. Exits 0 after SIGTERM/SIGINT (closing the
 * worker), and at once when its stdin closes (the harness is gone).
 *
 * argv[2]: JSON {@link ChaosWorkerConfig}.
 *
 * @module
 */
import { MajordomoWorker } from "@zmq-reliable/majordomo";
import { ParanoidPirateWorker } from "@zmq-reliable/paranoid-pirate";

/** What the harness passes to a chaos worker, as JSON in `argv[2]`. */
export interface ChaosWorkerConfig {
  /** Which worker: Majordomo (HA pair) or Paranoid Pirate (queue). */
  kind: "majordomo" | "paranoid-pirate";
  /** The broker endpoints (primary, backup), or the queue's backend. */
  endpoints: string[];
  /** Heartbeat interval in ms (must match the brokers' `--mdp-heartbeat` or the queue's `--heartbeat`). */
  heartbeat: number;
  /** Missed heartbeats before the broker is presumed dead. */
  liveness: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as ChaosWorkerConfig;
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const echo = (body: Buffer[]): Buffer[] => {
  out(`ran ${body[0]?.toString() ?? ""}`);
  return body;
};
const timings = { heartbeatInterval: config.heartbeat, liveness: config.liveness, reconnect: { initial: config.heartbeat, max: 4 * config.heartbeat } };
const worker =
  config.kind === "majordomo"
    ? new MajordomoWorker({ endpoint: config.endpoints, brokers: "all", service: "echo", ...timings, handler: echo })
    : new ParanoidPirateWorker({ endpoint: config.endpoints, ...timings, handler: echo });

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await worker.close({ timeout: 1000 });
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

await worker.start();
out("up");
