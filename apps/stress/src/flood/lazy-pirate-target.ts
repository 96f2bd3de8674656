/**
 * The Lazy Pirate flood target (finding 5): a `LazyPirateServer` with the
 * default limits whose handler never settles, bound to
 * `tcp://127.0.0.1:*`. Prints `started endpoint=<ep> pid=<pid>` once bound;
 * on SIGTERM or SIGINT prints `drops {"<reason>":<n>,…}` (the server's own
 * `drop` events) and `stopped`, closes and exits 0.
 *
 * @module
 */
import { LazyPirateServer } from "@zmq-reliable/lazy-pirate";

const drops: Record<string, number> = {};
const server = new LazyPirateServer({ handler: () => new Promise<never>(() => undefined) });
server.on("drop", (e) => {
  drops[e.reason] = (drops[e.reason] ?? 0) + 1;
});
server.on("error", (e) => {
  process.stderr.write(`lazy-pirate-target: ${e.message}\n`);
  process.exit(1);
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close({ timeout: 0 });
  process.stdout.write(`drops ${JSON.stringify(drops)}\nstopped\n`);
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());

await server.start();
process.stdout.write(`started endpoint=${server.endpoint} pid=${process.pid}\n`);
