#!/usr/bin/env node
/**
 * The load of scenario 1, a long-lived command program: `{ kind: "raw" |
 * "lazy", endpoint, count }` sends `count` requests one at a time (after a
 * tenth as many to warm up) with a raw zeromq.js `Request` or a
 * `LazyPirateClient`, and answers `{ roundTrip }`, the mean in µs.
 *
 * @module
 */
import { LazyPirateClient } from "@zmq-reliable/lazy-pirate";
import * as zmq from "zeromq";
import { commandLoop, num, str } from "./command-loop.js";

type Send = (body: Buffer) => Promise<unknown>;

async function raw(endpoint: string): Promise<{ send: Send; close: () => void }> {
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

async function timed(send: Send, count: number): Promise<number> {
  const body = Buffer.from("ping");
  const started = performance.now();
  for (let i = 0; i < count; i++) await send(body);
  return performance.now() - started;
}

commandLoop(async (command) => {
  const count = num(command, "count", 1000);
  const endpoint = str(command, "endpoint");
  const client = command.kind === "lazy" ? await lazy(endpoint) : await raw(endpoint);
  try {
    await timed(client.send, Math.max(10, Math.round(count / 10)));
    return { roundTrip: ((await timed(client.send, count)) / count) * 1000 };
  } finally {
    await client.close();
  }
});
process.stdout.write("started\n");
