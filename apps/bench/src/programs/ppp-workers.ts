#!/usr/bin/env node
/**
 * The workers of scenario 2: `--endpoint <ep> --count <n>` runs `n` library
 * `ParanoidPirateWorker`s that echo. Prints `started` once all have started;
 * closes them on SIGTERM.
 *
 * @module
 */
import { ParanoidPirateWorker } from "@zmq-reliable/paranoid-pirate";
import { options } from "./command-loop.js";

const args = options({ endpoint: "", count: "4" });
const workers = Array.from({ length: Number(args.count) }, () => new ParanoidPirateWorker({ endpoint: args.endpoint, handler: (body) => body }));
await Promise.all(workers.map((w) => w.start()));
process.stdout.write("started\n");
process.on("SIGTERM", () => void Promise.all(workers.map((w) => w.close())).finally(() => process.exit(0)));
