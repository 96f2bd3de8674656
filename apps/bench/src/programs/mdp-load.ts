#!/usr/bin/env node
/**
 * The load of scenarios 3 and 4, a long-lived command program speaking
 * MDP/0.1 directly on raw DEALER sockets (so the figure is the broker's, not
 * a client library's): `{ endpoint, sockets, window, warmup, duration,
 * latency, keep }` keeps `window` requests outstanding on each of `sockets`
 * sockets, counts replies over `duration` ms after `warmup` ms (and the
 * first reply), then sends
 * requests one at a time for `latency` ms (the first 5 not counted; 20
 * counted at least).
 * Answers `{ throughput }` (replies a second) and, with `latency`, `{ p50,
 * p99 }` in µs. With `keep: true` the sockets stay connected after the run
 * and the next run with the same endpoint and count uses them again (the
 * same clients, as in production); otherwise each run connects its own.
 * `{ release: true }` closes the kept sockets.
 *
 * @module
 */
import * as zmq from "zeromq";
import { percentile } from "../stats.js";
import { commandLoop, delay, num, str, warmUp } from "./command-loop.js";

// 1,000 kept clients plus a fresh 1,000 (closed sockets free their slots only once libzmq's reaper has them); libzmq's default is 1,023
zmq.context.maxSockets = Math.max(zmq.context.maxSockets, 4096);

const EMPTY = Buffer.alloc(0);
const MDPC = Buffer.from("MDPC01");
const BODY = Buffer.from("0123456789abcdef");

/** One run's counts, shared by every socket's loop. */
interface Run {
  counting: boolean;
  sending: boolean;
  replies: number;
  outstanding: number;
  firstReply: () => void;
}

/** Client sockets kept open across runs (`keep`), with the run their loops count for. */
interface Clients {
  sockets: zmq.Dealer[];
  run: Run | undefined;
  loops: Promise<void>;
}

const kept = new Map<string, Clients>();

function openClients(endpoint: string, request: Buffer[], count: number): Clients {
  const sockets = Array.from({ length: count }, () => {
    const socket = new zmq.Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
    socket.connect(endpoint);
    return socket;
  });
  const clients: Clients = { sockets, run: undefined, loops: Promise.resolve() };
  clients.loops = Promise.all(
    sockets.map(async (socket) => {
      try {
        for await (const _ of socket) {
          const run = clients.run;
          if (!run) continue;
          run.outstanding--;
          run.firstReply();
          if (run.counting) run.replies++;
          if (!run.sending) continue;
          run.outstanding++;
          await socket.send(request);
        }
      } catch {
        // closed
      }
    }),
  ).then(() => undefined);
  return clients;
}

async function closeClients(clients: Clients): Promise<void> {
  for (const socket of clients.sockets) socket.close();
  await clients.loops;
}

async function throughput(endpoint: string, request: Buffer[], sockets: number, window: number, warmup: number, duration: number, keep: boolean): Promise<number> {
  const key = `${endpoint} ${sockets}`;
  const clients = (keep ? kept.get(key) : undefined) ?? openClients(endpoint, request, sockets);
  if (keep) kept.set(key, clients);
  let firstReply!: () => void;
  const answered = new Promise<void>((resolve) => (firstReply = resolve));
  const run: Run = { counting: false, sending: true, replies: 0, outstanding: 0, firstReply };
  clients.run = run;
  try {
    for (const socket of clients.sockets) for (let i = 0; i < window; i++, run.outstanding++) await socket.send(request);
  } catch {
    // closed
  }
  await warmUp(warmup, answered);
  run.counting = true;
  const started = performance.now();
  await delay(duration);
  const replies = run.replies;
  const elapsed = performance.now() - started;
  run.sending = false;
  for (let waited = 0; run.outstanding > 0 && waited < 3000; waited += 10) await delay(10); // let the pipeline drain
  if (!keep) await closeClients(clients);
  return replies / (elapsed / 1000);
}

async function latency(endpoint: string, request: Buffer[], duration: number): Promise<{ p50: number; p99: number }> {
  const socket = new zmq.Dealer({ linger: 0 });
  socket.connect(endpoint);
  const times: number[] = [];
  try {
    const end = performance.now() + duration;
    for (let i = 0; performance.now() < end || times.length < 20; i++) {
      const started = performance.now();
      await socket.send(request);
      await socket.receive();
      if (i >= 5) times.push((performance.now() - started) * 1000);
    }
  } finally {
    socket.close();
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

commandLoop(async (command) => {
  if (command.release === true) {
    await Promise.all([...kept.values()].map(closeClients));
    kept.clear();
    return {};
  }
  const endpoint = str(command, "endpoint");
  const request = [EMPTY, MDPC, Buffer.from(typeof command.service === "string" ? command.service : "echo"), BODY];
  const result: Record<string, number> = {
    throughput: await throughput(endpoint, request, num(command, "sockets", 4), num(command, "window", 50), num(command, "warmup", 300), num(command, "duration", 1000), command.keep === true),
  };
  const count = num(command, "latency", 0);
  return count > 0 ? { ...result, ...(await latency(endpoint, request, count)) } : result;
}, async () => {
  await Promise.all([...kept.values()].map(closeClients));
});
process.stdout.write("started\n");
