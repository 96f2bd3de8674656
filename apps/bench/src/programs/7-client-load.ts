#!/usr/bin/env node
/**
 * The client load of scenario 7 (a run-to-end program): `--endpoint <ep>
 * --outstanding <n> --warmup <ms> --duration <ms> [--service echo]` runs one
 * library `MajordomoClient` with `concurrency: n` and keeps `n` requests
 * outstanding on it; prints `result { throughput, rss }`: replies a second
 * over `duration` ms after `warmup` ms, and this process's peak RSS (MB,
 * sampled every 20 ms from before the client exists to its close). libzmq
 * holds at most 1,023 sockets per process by default and the client opens
 * one REQ socket per outstanding request, so `zmq.context.maxSockets` is
 * raised first.
 *
 * @module
 */
import { MajordomoClient } from "@zmq-reliable/majordomo";
import * as zmq from "zeromq";
import { delay, options } from "./command-loop.js";

const args = options({ endpoint: "", outstanding: "1", warmup: "300", duration: "1000", service: "echo" });
const BODY = Buffer.from("0123456789abcdef");
const outstanding = Number(args.outstanding);
zmq.context.maxSockets = Math.max(zmq.context.maxSockets, outstanding + 64);

let peak = process.memoryUsage.rss();
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
const client = new MajordomoClient({ endpoint: args.endpoint, concurrency: outstanding, timeout: 30_000, attempts: 1 });
const state = { counting: false, sending: true, replies: 0 };
const loops = Array.from({ length: outstanding }, async () => {
  while (state.sending) {
    await client.request(args.service, BODY);
    if (state.counting) state.replies++;
  }
});
await delay(Number(args.warmup));
state.counting = true;
const started = performance.now();
await delay(Number(args.duration));
const replies = state.replies;
const elapsed = performance.now() - started;
state.sending = false;
await Promise.all(loops);
await client.close();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
process.stdout.write(`result ${JSON.stringify({ throughput: replies / (elapsed / 1000), rss: peak / 2 ** 20 })}\n`);
process.exit(0);
