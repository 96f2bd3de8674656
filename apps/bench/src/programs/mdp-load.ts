#!/usr/bin/env node
/**
 * The load of scenarios 3 and 4, a long-lived command program speaking
 * MDP/0.1 directly on raw DEALER sockets (so the figure is the broker's, not
 * a client library's): `{ endpoint, sockets, window, warmup, duration,
 * latency }` keeps `window` requests outstanding on each of `sockets`
 * sockets, counts replies over `duration` ms after `warmup` ms (and the
 * first reply), then sends
 * requests one at a time for `latency` ms (the first 5 not counted; 20
 * counted at least).
 * Answers `{ throughput }` (replies a second) and, with `latency`, `{ p50,
 * p99 }` in µs.
 *
 * @module
 */
import * as zmq from "zeromq";
import { percentile } from "../stats.js";
import { commandLoop, delay, num, str, warmUp } from "./command-loop.js";

const EMPTY = Buffer.alloc(0);
const MDPC = Buffer.from("MDPC01");
const BODY = Buffer.from("0123456789abcdef");

async function throughput(endpoint: string, request: Buffer[], sockets: number, window: number, warmup: number, duration: number): Promise<number> {
  const all = Array.from({ length: sockets }, () => {
    const socket = new zmq.Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
    socket.connect(endpoint);
    return socket;
  });
  const state = { counting: false, sending: true, replies: 0, outstanding: 0 };
  let firstReply!: () => void;
  const answered = new Promise<void>((resolve) => (firstReply = resolve));
  const loops = all.map(async (socket) => {
    try {
      for (let i = 0; i < window; i++, state.outstanding++) await socket.send(request);
      for await (const _ of socket) {
        state.outstanding--;
        firstReply();
        if (state.counting) state.replies++;
        if (!state.sending) continue;
        state.outstanding++;
        await socket.send(request);
      }
    } catch {
      // closed
    }
  });
  await warmUp(warmup, answered);
  state.counting = true;
  const started = performance.now();
  await delay(duration);
  const replies = state.replies;
  const elapsed = performance.now() - started;
  state.sending = false;
  for (let waited = 0; state.outstanding > 0 && waited < 3000; waited += 10) await delay(10); // let the pipeline drain
  for (const socket of all) socket.close();
  await Promise.all(loops);
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
  const endpoint = str(command, "endpoint");
  const request = [EMPTY, MDPC, Buffer.from(typeof command.service === "string" ? command.service : "echo"), BODY];
  const result: Record<string, number> = {
    throughput: await throughput(endpoint, request, num(command, "sockets", 4), num(command, "window", 50), num(command, "warmup", 300), num(command, "duration", 1000)),
  };
  const count = num(command, "latency", 0);
  return count > 0 ? { ...result, ...(await latency(endpoint, request, count)) } : result;
});
process.stdout.write("started\n");
