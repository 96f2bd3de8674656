#!/usr/bin/env node
/**
 * The load of scenario 1, a long-lived command program: `{ endpoint, warmup,
 * duration, slices }` opens a raw zeromq.js `Request` and a
 * `LazyPirateClient` to the same server, warms both up for `warmup` ms, then
 * sends requests one at a time for `duration` ms in all, switching client
 * every `duration / slices` ms (raw first), and answers `{ raw, lazy }`: each
 * client's mean round trip in µs. Interleaving short slices in one run puts
 * both clients under the same machine noise, which on a shared machine
 * drifts over seconds.
 *
 * @module
 */
import { LazyPirateClient } from "@zmq-reliable/lazy-pirate";
import * as zmq from "zeromq";
import { commandLoop, num, str } from "./command-loop.js";

type Send = (body: Buffer) => Promise<unknown>;

function raw(endpoint: string): { send: Send; close: () => void } {
  const socket = new zmq.Request({ linger: 0 });
  socket.connect(endpoint);
  return {
    send: async (body) => {
      await socket.send(body);
      return socket.receive();
    },
    close: () => socket.close(),
  };
}

async function lazy(endpoint: string): Promise<{ send: Send; close: () => Promise<void> }> {
  const client = new LazyPirateClient({ endpoint });
  await client.start();
  return { send: (body) => client.request(body), close: () => client.close() };
}

/** Sends one request after the other for `ms` ms; how many and how long. */
async function slice(send: Send, ms: number): Promise<{ count: number; elapsed: number }> {
  const body = Buffer.from("ping");
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < ms) {
    await send(body);
    count++;
  }
  return { count, elapsed: performance.now() - started };
}

commandLoop(async (command) => {
  const endpoint = str(command, "endpoint");
  const clients = { raw: raw(endpoint), lazy: await lazy(endpoint) };
  try {
    const warmup = num(command, "warmup", 100);
    await slice(clients.raw.send, warmup);
    await slice(clients.lazy.send, warmup);
    const slices = Math.max(1, num(command, "slices", 10));
    const each = num(command, "duration", 1000) / slices;
    const total = { raw: { count: 0, elapsed: 0 }, lazy: { count: 0, elapsed: 0 } };
    for (let i = 0; i < slices; i++) {
      for (const kind of ["raw", "lazy"] as const) {
        const { count, elapsed } = await slice(clients[kind].send, each);
        total[kind].count += count;
        total[kind].elapsed += elapsed;
      }
    }
    return { raw: (total.raw.elapsed / total.raw.count) * 1000, lazy: (total.lazy.elapsed / total.lazy.count) * 1000 };
  } finally {
    clients.raw.close();
    await clients.lazy.close();
  }
});
process.stdout.write("started\n");
