import { LazyPirateClient, LazyPirateServer } from "@zmq-reliable/lazy-pirate";
import { ParanoidPirateQueue, ParanoidPirateWorker } from "@zmq-reliable/paranoid-pirate";
import { type RoleArgs, closeOnStop, demoHandler, num, report, runClient } from "./common.js";

/** A Lazy Pirate echo server. Args: frontend, work. */
export async function lpServer(name: string, args: RoleArgs): Promise<void> {
  const handler = demoHandler(name, num(args, "work", 5));
  const server = new LazyPirateServer({ bind: args.frontend!, handler: (message) => handler(message) });
  await server.start();
  report({ kind: "up", name });
  closeOnStop(server);
}

/** A Lazy Pirate client (also the client of the Paranoid Pirate queue). Args: endpoints, timeout, attempts (sends in all). */
export async function lpClient(name: string, args: RoleArgs): Promise<void> {
  const client = new LazyPirateClient({ endpoint: args.endpoints!.split(","), timeout: num(args, "timeout", 300), attempts: num(args, "attempts", 40) });
  await client.start();
  report({ kind: "up", name });
  await runClient(name, (l) => client.on("retry", l), (id) => client.request(String(id)));
  await client.close();
  process.exit(0);
}

/** A Paranoid Pirate queue. Args: frontend, backend, heartbeat. */
export async function ppQueue(name: string, args: RoleArgs): Promise<void> {
  const queue = new ParanoidPirateQueue({ bind: { frontend: args.frontend!, backend: args.backend! }, heartbeatInterval: num(args, "heartbeat", 250), liveness: 3 });
  queue.on("request-lost", () => report({ kind: "note", name, text: "a worker died holding a request (the client's retry covers it)" }));
  await queue.start();
  report({ kind: "up", name });
  closeOnStop(queue);
}

/** A Paranoid Pirate echo worker. Args: backend, heartbeat, work. */
export async function ppWorker(name: string, args: RoleArgs): Promise<void> {
  const handler = demoHandler(name, num(args, "work", 5));
  const worker = new ParanoidPirateWorker({
    endpoint: args.backend!,
    heartbeatInterval: num(args, "heartbeat", 250),
    liveness: 3,
    reconnect: { initial: 250, max: 1000 },
    handler: (request) => handler(request),
  });
  await worker.start();
  report({ kind: "up", name });
  closeOnStop({ close: () => worker.close({ timeout: 1000 }) });
}
