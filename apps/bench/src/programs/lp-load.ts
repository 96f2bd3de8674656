#!/usr/bin/env node
/**
 * The load of scenario 1, a long-lived command program: `{ kind: "raw" |
 * "lazy", endpoint, warmup, duration }` sends requests one at a time for
 * `duration` ms (after `warmup` ms) with a raw zeromq.js `Request` or a
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

/** Sends one request after the other for `duration` ms; the mean round trip in µs. */
async function timed(send: Send, duration: number): Promise<number> {
  const body = Buffer.from("ping");
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < duration) {
    await send(body);
    count++;
  }
  return ((performance.now() - started) / count) * 1000;
}

commandLoop(async (command) => {
  const endpoint = str(command, "endpoint");
  const client = command.kind === "lazy" ? await lazy(endpoint) : await raw(endpoint);
  try {
    await timed(client.send, num(command, "warmup", 100));
    return { roundTrip: await timed(client.send, num(command, "duration", 1000)) };
  } finally {
    await client.close();
  }
});
process.stdout.write("started\n");
