#!/usr/bin/env node
/**
 * The worker of scenario 5's HA Majordomo pair: `--primary <ep> --backup <ep>
 * --heartbeat <ms>` runs one library `MajordomoWorker` registered with both
 * brokers (`brokers: "all"`) that echoes service `echo`. Prints `started`.
 *
 * @module
 */
import { MajordomoWorker } from "@zmq-reliable/majordomo";
import { options } from "./command-loop.js";

const args = options({ primary: "", backup: "", heartbeat: "2500" });
const heartbeat = Number(args.heartbeat);
const worker = new MajordomoWorker({
  endpoint: [args.primary, args.backup],
  brokers: "all",
  service: "echo",
  heartbeatInterval: heartbeat,
  reconnect: { initial: Math.min(heartbeat, 1000), max: Math.min(4 * heartbeat, 4000) },
  handler: (body) => body,
});
await worker.start();
process.stdout.write("started\n");
process.on("SIGTERM", () => void worker.close({ timeout: 500 }).finally(() => process.exit(0)));
