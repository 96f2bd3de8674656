/**
 * Chaos child program: a Majordomo client listing both broker endpoints of
 * an HA pair, sending echo requests continuously with a few in flight. Each
 * request has a unique id (`<name>-<n>`) and a random body; the request is
 * the two frames `[id, body]` and the echo worker sends them back.
 *
 * Output (stdout, one JSON object per line):
 * - `{"sent":id}` just before a request is made;
 * - exactly one outcome per request: `{"id","outcome","code","ms"}` with
 *   outcome `"ok"` (the reply is the request's own id and body),
 *   `"misdelivered"` (a reply arrived with another body; `got` shows it) or
 *   `"error"` (the call failed; `code` is the error's stable code);
 * - `{"done":true,"stats":{…}}` after `stop` arrived on stdin and every
 *   request in flight has its outcome; then it exits 0.
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
import { MajordomoClient } from "@zmq-reliable/majordomo";

/** What the harness passes to a chaos client, as JSON in `argv[2]`. */
export interface ChaosClientConfig {
  /** The pair's broker endpoints (primary, backup). */
  endpoints: string[];
  /** Prefix of every request id; unique per client process. */
  name: string;
  /** Seed of the bodies and pauses. */
  seed: number;
  /** Requests in flight at once. */
  inFlight: number;
  /** Per-attempt timeout in ms. */
  timeout: number;
  /** Sends per request in all. */
  attempts: number;
  /** Mean pause in ms between one slot's requests. */
  pause: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as ChaosClientConfig;
const random = seededRandom(config.seed);
const out = (value: object): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};
const client = new MajordomoClient({ endpoint: config.endpoints, timeout: config.timeout, attempts: config.attempts });

let stopping = false;
let seq = 0;

function randomBody(): string {
  const length = 1 + Math.floor(random() * 64);
  let body = "";
  for (let i = 0; i < length; i++) body += "0123456789abcdefghijklmnopqrstuvwxyz"[Math.floor(random() * 36)];
  return body;
}

async function slot(): Promise<void> {
  while (!stopping) {
    const id = `${config.name}-${++seq}`;
    const body = randomBody();
    const started = performance.now();
    out({ sent: id });
    try {
      const reply = await client.request("echo", [id, body]);
      const ms = Math.round(performance.now() - started);
      const ok = reply.length === 2 && reply[0]!.toString() === id && reply[1]!.toString() === body;
      if (ok) out({ id, outcome: "ok", code: null, ms });
      else out({ id, outcome: "misdelivered", code: "MISMATCH", ms, got: reply.map((f) => f.toString("utf8").slice(0, 80)) });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      out({ id, outcome: "error", code: typeof code === "string" ? code : String((err as Error).name), ms: Math.round(performance.now() - started) });
    }
    if (!stopping) await sleep(config.pause * (0.5 + random()));
  }
}

const onSignal = (): void => {
  stopping = true;
  void client.close().then(() => process.exit(0));
};
process.once("SIGTERM", onSignal);
process.once("SIGINT", onSignal);

await client.start();
out({ up: config.name });
const slots = Array.from({ length: config.inFlight }, () => slot());
const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  if (line.trim() === "stop") stopping = true;
});
input.on("close", () => process.exit(0));
await Promise.all(slots);
out({ done: true, stats: client.stats() });
await client.close();
input.close();
process.exit(0);
