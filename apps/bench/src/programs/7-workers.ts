#!/usr/bin/env node
/**
 * The worker of scenario 7: `--protocol mdp|ppp --endpoint <ep> --concurrency
 * <n> --delay <ms> [--service slow]` runs ONE library `MajordomoWorker` or
 * `ParanoidPirateWorker` with `concurrency: n` whose handler waits `delay` ms
 * (a slow handler: I/O, not CPU) and echoes. Prints `started` once started;
 * closes on SIGTERM.
 *
 * @module
 */
import { MajordomoWorker } from "@zmq-reliable/majordomo";
import { ParanoidPirateWorker } from "@zmq-reliable/paranoid-pirate";
import * as zmq from "zeromq";
import { delay, options } from "./command-loop.js";

const args = options({ protocol: "mdp", endpoint: "", concurrency: "1", delay: "10", service: "slow" });
const wait = Number(args.delay);
const concurrency = Number(args.concurrency);
zmq.context.maxSockets = Math.max(zmq.context.maxSockets, concurrency + 64); // a session is a socket; libzmq's default is 1,023
const handler = async (body: Buffer[]) => {
  await delay(wait);
  return body;
};
const worker =
  args.protocol === "mdp"
    ? new MajordomoWorker({ endpoint: args.endpoint, service: args.service, concurrency, handler })
    : new ParanoidPirateWorker({ endpoint: args.endpoint, concurrency, handler });
await worker.start();
process.stdout.write(`started concurrency=${worker.concurrency}\n`);
process.on("SIGTERM", () => void worker.close({ timeout: 0 }).finally(() => process.exit(0)));
