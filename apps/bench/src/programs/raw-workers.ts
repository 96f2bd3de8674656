#!/usr/bin/env node
/**
 * Workers speaking the wire directly on raw DEALER sockets, so a figure is
 * the broker's or the queue's, not a worker library's.
 *
 * `--protocol mdp|ppp --endpoint <ep> --count <n> --heartbeat <ms> --mode echo|hold [--service echo]`:
 * `count` workers, each sending READY, a HEARTBEAT every `heartbeat` ms, and
 * (mode `echo`) an echo of every request, or (mode `hold`) no reply at all.
 * Prints `started`, then `heard <n>` once every worker has heard from the
 * broker or queue (a heartbeat: it is registered), and `received` for every
 * request in mode `hold`. On SIGTERM an MDP worker sends DISCONNECT.
 *
 * @module
 */
import * as zmq from "zeromq";
import { options } from "./command-loop.js";

const EMPTY = Buffer.alloc(0);
const MDPW = Buffer.from("MDPW01");
const MDP = { ready: Buffer.from([1]), reply: Buffer.from([3]), heartbeat: Buffer.from([4]), disconnect: Buffer.from([5]) };
const PPP = { ready: Buffer.from([1]), heartbeat: Buffer.from([2]) };

const args = options({ protocol: "mdp", endpoint: "", count: "1", heartbeat: "2500", mode: "echo", service: "echo" });
const mdp = args.protocol === "mdp";
const hold = args.mode === "hold";
const count = Number(args.count);
const hello = mdp ? [EMPTY, MDPW, MDP.ready, Buffer.from(args.service)] : [PPP.ready];
const beat = mdp ? [EMPTY, MDPW, MDP.heartbeat] : [PPP.heartbeat];
const sockets: zmq.Dealer[] = [];
let heard = 0;

/** The echo of a request, or `undefined` for a command (MDP: `[∅, MDPW01, 0x02, client, ∅, body…]`; PPP: `[client…, ∅, body…]`). */
function reply(frames: Buffer[]): Buffer[] | undefined {
  if (!mdp) return frames.length > 1 ? frames : undefined;
  return frames[2]?.[0] === 2 ? [EMPTY, MDPW, MDP.reply, ...frames.slice(3)] : undefined;
}

async function worker(): Promise<void> {
  const socket = new zmq.Dealer({ linger: 0 });
  sockets.push(socket);
  socket.connect(args.endpoint);
  await socket.send(hello);
  setInterval(() => void socket.send(beat).catch(() => undefined), Number(args.heartbeat));
  let registered = false;
  try {
    for await (const frames of socket) {
      if (!registered && (registered = true) && ++heard === count) process.stdout.write(`heard ${count}\n`);
      const echo = reply(frames);
      if (!echo) continue;
      if (hold) process.stdout.write("received\n");
      else await socket.send(echo).catch(() => undefined);
    }
  } catch {
    // closed
  }
}

process.on("SIGTERM", () => {
  if (!mdp) process.exit(0);
  void Promise.all(sockets.map((s) => s.send([EMPTY, MDPW, MDP.disconnect]).catch(() => undefined))).finally(() => process.exit(0));
});
for (let i = 0; i < count; i++) void worker();
process.stdout.write("started\n");
