/**
 * Chaos child program: a client sending echo requests continuously with a
 * few in flight: a `MajordomoClient` listing both brokers of an HA pair
 * (service `echo`), a `LazyPirateClient` on a PPP queue's frontend, or one
 * `BinaryStarClient` per slot on a Binary Star server pair (each with a
 * deadline, so every call ends). Each request has a unique id (`<name>-<n>`)
 * and a random body; the request is the two frames `[id, body]` and the echo
 * worker (or server) sends them back.
 *
 * Output (stdout, one JSON object per line):
 * - `{"sent":id}` just before a request is made;
 * - exactly one outcome per request: `{"id","outcome","code","ms"}` with
 *   outcome `"ok"` (the reply is the request's own id and body),
 *   `"misdelivered"` (a reply arrived with another body; `got` shows it) or
 *   `"error"` (the call failed; `code` is the error's stable code, `message` its text);
 * - `{"done":true}` after `stop` arrived on stdin and every
 *   request in flight has its outcome; then it exits 0.
 * `burst <n>` on stdin sends `n` more requests at once (an overload burst),
 * each accounted like the others.
 * SIGTERM/SIGINT close the client at once (requests in flight end as
 * `error`/`CLOSED`) and exit 0; stdin closing (the harness is gone) exits at once.
 *
 * argv[2]: JSON {@link ChaosClientConfig}.
 *
 * @module
 */
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { seededRandom } from "@zmq-reliable/core";
import { BinaryStarClient } from "@zmq-reliable/binary-star";
import { LazyPirateClient } from "@zmq-reliable/lazy-pirate";
import { MajordomoClient } from "@zmq-reliable/majordomo";

/** What the harness passes to a chaos client, as JSON in `argv[2]`. */
export interface ChaosClientConfig {
  /** Which client: Majordomo (HA pair), Lazy Pirate (PPP queue) or Binary Star (server pair). */
  kind: "majordomo" | "lazy-pirate" | "binary-star";
  /** The pair's endpoints (primary, backup), or the queue's frontend. */
  endpoints: string[];
  /** Prefix of every request id; unique per client process. */
  name: string;
  /** Seed of the bodies and pauses. */
  seed: number;
  /** Requests in flight at once. */
  inFlight: number;
  /** Per-attempt timeout in ms. */
  timeout: number;
  /** Sends per request in all (Binary Star: the call's deadline is `timeout × attempts`). */
  attempts: number;
  /** Mean pause in ms between one slot's requests. */
  pause: number;
  /** Binary Star: the servers' heartbeat (ms). */
  heartbeat: number;
}

/** One way to send a request and close. */
interface Sender {
  request(frames: string[]): Promise<Buffer[]>;
  close(): Promise<void>;
}

/** The senders of the slots: one client shared by every slot, or (Binary Star, one request at a time) one per slot. */
function senders(config: ChaosClientConfig): Sender[] {
  const { endpoints, timeout, attempts, inFlight } = config;
  if (config.kind === "majordomo") {
    const c = new MajordomoClient({ endpoint: endpoints, timeout, attempts });
    return Array<Sender>(inFlight).fill({ request: (f) => c.request("echo", f), close: () => c.close() });
  }
  if (config.kind === "lazy-pirate") {
    const c = new LazyPirateClient({ endpoint: endpoints, timeout, attempts, concurrency: inFlight });
    return Array<Sender>(inFlight).fill({ request: (f) => c.request(f), close: () => c.close() });
  }
  return Array.from({ length: inFlight }, () => {
    const c = new BinaryStarClient({ endpoint: [endpoints[0]!, endpoints[1]!], heartbeatInterval: config.heartbeat });
    return { request: (f: string[]) => c.request(f, { deadline: timeout * attempts }), close: () => c.close() };
  });
}

const config = JSON.parse(process.argv[2] ?? "{}") as ChaosClientConfig;
const random = seededRandom(config.seed);
const out = (value: object): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};
const clients = senders(config);
const closeAll = (): Promise<unknown> => Promise.all([...new Set(clients)].map((s) => s.close()));

let stopping = false;
let seq = 0;

function randomBody(): string {
  const length = 1 + Math.floor(random() * 64);
  let body = "";
  for (let i = 0; i < length; i++) body += "0123456789abcdefghijklmnopqrstuvwxyz"[Math.floor(random() * 36)];
  return body;
}

/** Sends one request and prints its outcome. */
async function one(client: Sender): Promise<void> {
  const id = `${config.name}-${++seq}`;
  const body = randomBody();
  const started = performance.now();
  out({ sent: id });
  try {
    const reply = await client.request([id, body]);
    const ms = Math.round(performance.now() - started);
    const ok = reply.length === 2 && reply[0]!.toString() === id && reply[1]!.toString() === body;
    if (ok) out({ id, outcome: "ok", code: null, ms });
    else out({ id, outcome: "misdelivered", code: "MISMATCH", ms, got: reply.map((f) => f.toString("utf8").slice(0, 80)) });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = String((err as Error)?.message ?? err).slice(0, 200);
    out({ id, outcome: "error", code: typeof code === "string" ? code : String((err as Error).name), ms: Math.round(performance.now() - started), message });
  }
}

/** One slot: a request, a pause, again, until told to stop. */
async function slot(client: Sender): Promise<void> {
  while (!stopping) {
    await one(client);
    if (!stopping) await sleep(config.pause * (0.5 + random()));
  }
}

/** Requests of bursts still going. */
const bursts = new Set<Promise<void>>();

/** Sends `count` requests at once, spread over the slots' senders (an overload burst). */
function burst(count: number): void {
  for (let i = 0; i < count && !stopping; i++) {
    const call = one(clients[i % clients.length]!).finally(() => bursts.delete(call));
    bursts.add(call);
  }
}

const onSignal = (): void => {
  stopping = true;
  void closeAll().then(() => process.exit(0));
};
process.once("SIGTERM", onSignal);
process.once("SIGINT", onSignal);

out({ up: config.name });
const slots = clients.map((c) => slot(c));
const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  const [command, arg] = line.trim().split(" ");
  if (command === "stop") stopping = true;
  if (command === "burst") burst(Number(arg));
});
input.on("close", () => process.exit(0));
await Promise.all(slots);
while (bursts.size > 0) await Promise.all([...bursts]);
out({ done: true });
await closeAll();
input.close();
process.exit(0);
