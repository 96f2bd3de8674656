/**
 * A flood load generator, run as its own child process so the harness's
 * normal client is not slowed by it: raw DEALER sockets sending MDP client
 * requests (`["", "MDPC01", service, body]`) or REQ-shaped requests
 * (`["", body]`) as fast as they are accepted, or at a fixed rate; it never
 * reads a reply. Takes its {@link FloodSpec} as JSON in `argv[2]`; prints
 * `progress sent=<n> bytes=<b>` every 500 ms and `done sent=<n> bytes=<b>`
 * at the end, then closes its sockets (lingering at most `linger` ms, so what
 * they accepted reaches the target) and exits: the clients leave.
 * SIGTERM ends the flood early (with the `done` line).
 *
 * @module
 */
import { seededRandom } from "@zmq-reliable/core";
import * as zmq from "zeromq";

/** What to send. */
export interface FloodSpec {
  /** Where to connect. */
  endpoint: string;
  /** `mdp`: MDP/0.1 client requests; `req`: `["", body]` as a REQ socket sends. */
  protocol: "mdp" | "req";
  /** The MDP service name (with `distinctServices`, the prefix of the names). */
  service?: string;
  /** Cycle through this many distinct service names, `<service>-<i>`. */
  distinctServices?: number;
  /** Bytes of each request body. */
  bodyBytes: number;
  /** Requests per second, all connections together; 0 = as fast as accepted. */
  rate: number;
  /** Stop after this many ms. */
  duration: number;
  /** Stop after this many requests (default: no limit). */
  count?: number;
  /** Sockets (connections) to spread the requests over, round robin. */
  connections: number;
  /** Routing id prefix: connection `i` is `<idPrefix>-<i>`. */
  idPrefix: string;
  /** Send high-water mark of each socket (messages); small for large bodies. */
  sendHwm: number;
  /** Seed of the body bytes. */
  seed: number;
  /** Ms the sockets may take at the end to hand over what they accepted (default 500); then the clients leave. */
  linger?: number;
}

const MDPC = Buffer.from("MDPC01");
const EMPTY = Buffer.alloc(0);

async function main(spec: FloodSpec): Promise<void> {
  const random = seededRandom(spec.seed);
  const body = Buffer.alloc(spec.bodyBytes);
  for (let i = 0; i + 4 <= body.length; i += 4) body.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  const sockets = Array.from({ length: spec.connections }, (_, i) => {
    const socket = new zmq.Dealer({ routingId: `${spec.idPrefix}-${i}`, sendHighWaterMark: spec.sendHwm, receiveHighWaterMark: 1, sendTimeout: 100, linger: spec.linger ?? 500 }); // never reads: replies back up into the target
    socket.connect(spec.endpoint);
    return socket;
  });
  const services = spec.distinctServices ? Array.from({ length: spec.distinctServices }, (_, i) => Buffer.from(`${spec.service}-${i}`)) : [Buffer.from(spec.service ?? "")];
  let sent = 0;
  let next = 0;
  let bytes = 0;
  let stopping = false;
  process.on("SIGTERM", () => (stopping = true));
  const print = (what: string) => process.stdout.write(`${what} sent=${sent} bytes=${bytes}\n`);
  const progress = setInterval(() => print("progress"), 500);
  const start = performance.now();
  const limit = spec.count ?? Infinity;
  print("progress");
  while (!stopping && sent < limit) {
    const elapsed = performance.now() - start;
    if (elapsed >= spec.duration) break;
    if (spec.rate > 0 && sent >= Math.floor((spec.rate * elapsed) / 1000)) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      continue;
    }
    const frames = spec.protocol === "mdp" ? [EMPTY, MDPC, services[sent % services.length]!, body] : [EMPTY, body];
    try {
      await sockets[next++ % sockets.length]!.send(frames);
    } catch {
      continue; // not accepted within 100 ms (the target does not read): try the next connection, check the clock
    }
    sent++;
    bytes += body.length;
    if (sent % 256 === 0) await new Promise(setImmediate); // let timers and signals in
  }
  clearInterval(progress);
  print("done");
  for (const socket of sockets) socket.close();
  // zeromq.js drops what the sockets still hold when the process exits, whatever their linger: stay that long.
  await new Promise((resolve) => setTimeout(resolve, spec.linger ?? 500));
}

main(JSON.parse(process.argv[2] ?? "{}") as FloodSpec).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`flooder: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
