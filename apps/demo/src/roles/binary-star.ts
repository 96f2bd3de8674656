import { BinaryStarClient, BinaryStarServer } from "@zmq-reliable/binary-star";
import { type RoleArgs, closeOnStop, demoHandler, num, report, runClient } from "./common.js";

/** One server of a Binary Star echo pair. Args: role, frontend, local, remote, heartbeat. */
export async function bstarServer(name: string, args: RoleArgs): Promise<void> {
  const handler = demoHandler(name, num(args, "work", 5));
  const server = new BinaryStarServer({
    role: args.role === "backup" ? "backup" : "primary",
    bind: { frontend: args.frontend!, state: args.local! },
    peer: args.remote!,
    heartbeatInterval: num(args, "heartbeat", 250),
    handler: (message) => handler(message),
  });
  server.node.on("state-change", (e) => report({ kind: "state", name, state: e.to.toLowerCase() }));
  await server.start();
  report({ kind: "up", name });
  closeOnStop(server);
}

/** A Binary Star client. Args: endpoints (primary,backup), heartbeat. */
export async function bstarClient(name: string, args: RoleArgs): Promise<void> {
  const [primary, backup] = args.endpoints!.split(",") as [string, string];
  const client = new BinaryStarClient({ endpoint: [primary, backup], heartbeatInterval: num(args, "heartbeat", 250) });
  await client.start();
  report({ kind: "up", name });
  await runClient(name, (l) => client.on("retry", l), (id) => client.request(String(id), { signal: AbortSignal.timeout(10_000) }));
  await client.close();
  process.exit(0);
}
