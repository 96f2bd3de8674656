#!/usr/bin/env node
/**
 * The load of scenario 2, a long-lived command program: `{ endpoint, clients,
 * warmup, duration }` runs `clients` library `LazyPirateClient`s, each
 * sending one request after the other, and answers `{ throughput }`: replies
 * a second over `duration` ms after `warmup` ms (and the first reply).
 *
 * @module
 */
import { LazyPirateClient } from "@zmq-reliable/lazy-pirate";
import { commandLoop, delay, num, str, warmUp } from "./command-loop.js";

const BODY = Buffer.from("0123456789abcdef");

commandLoop(async (command) => {
  const endpoint = str(command, "endpoint");
  const clients = Array.from({ length: num(command, "clients", 16) }, () => new LazyPirateClient({ endpoint, attempts: 10 }));
  const state = { counting: false, sending: true, replies: 0 };
  let firstReply!: () => void;
  const answered = new Promise<void>((resolve) => (firstReply = resolve));
  const loops = clients.map(async (client) => {
    while (state.sending) {
      await client.request(BODY);
      firstReply();
      if (state.counting) state.replies++;
    }
  });
  await warmUp(num(command, "warmup", 500), answered);
  state.counting = true;
  const started = performance.now();
  await delay(num(command, "duration", 1000));
  const replies = state.replies;
  const elapsed = performance.now() - started;
  state.sending = false;
  await Promise.all(loops);
  await Promise.all(clients.map((c) => c.close()));
  return { throughput: replies / (elapsed / 1000) };
});
process.stdout.write("started\n");
