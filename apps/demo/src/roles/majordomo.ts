import { HaMajordomoBroker } from "@zmq-reliable/ha-majordomo";
import { MajordomoBroker, MajordomoClient, MajordomoWorker } from "@zmq-reliable/majordomo";
import { type RoleArgs, closeOnStop, demoHandler, num, report, runClient } from "./common.js";

/** One half of the HA Majordomo pair. Args: role, frontend, local, remote, heartbeat. */
export async function haBroker(name: string, args: RoleArgs): Promise<void> {
  const ha = new HaMajordomoBroker({
    role: args.role === "backup" ? "backup" : "primary",
    bind: { frontend: args.frontend!, state: args.local! },
    peer: args.remote!,
    heartbeatInterval: num(args, "heartbeat", 250),
    broker: { heartbeatInterval: num(args, "mdp-heartbeat", 250), liveness: 3 },
  });
  ha.on("state-change", (e) => report({ kind: "state", name, state: e.to.toLowerCase() }));
  ha.on("fatal", (e) => report({ kind: "note", name, text: `FATAL ${e.reason}` }));
  await ha.start();
  report({ kind: "up", name });
  closeOnStop(ha);
}

/** A plain Majordomo broker. Args: frontend, heartbeat. */
export async function mdpBroker(name: string, args: RoleArgs): Promise<void> {
  const broker = new MajordomoBroker({ bind: args.frontend!, heartbeatInterval: num(args, "heartbeat", 250), liveness: 3 });
  broker.on("retry", () => report({ kind: "note", name, text: "re-dispatched a request whose worker died" }));
  await broker.start();
  report({ kind: "up", name });
  closeOnStop(broker);
}

/** An `echo` worker. Args: endpoints (comma-separated), all (1 = register with every broker), heartbeat, work. */
export async function mdpWorker(name: string, args: RoleArgs): Promise<void> {
  const worker = new MajordomoWorker({
    endpoint: args.endpoints!.split(","),
    brokers: args.all === "1" ? "all" : "failover",
    service: "echo",
    heartbeatInterval: num(args, "heartbeat", 250),
    liveness: 3,
    reconnect: { initial: 250, max: 1000 },
    handler: demoHandler(name, num(args, "work", 5)),
  });
  await worker.start();
  report({ kind: "up", name });
  closeOnStop({ close: () => worker.close({ timeout: 1000 }) });
}

/** A client sending steady `echo` traffic. Args: endpoints, timeout, attempts (sends in all). */
export async function mdpClient(name: string, args: RoleArgs): Promise<void> {
  const client = new MajordomoClient({ endpoint: args.endpoints!.split(","), timeout: num(args, "timeout", 300), attempts: num(args, "attempts", 40) });
  await client.start();
  report({ kind: "up", name });
  await runClient(name, (l) => client.on("retry", l), (id) => client.request("echo", String(id)));
  await client.close();
  process.exit(0);
}
