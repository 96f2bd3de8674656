#!/usr/bin/env node
/**
 * The baseline of scenarios 2 and 3: a raw zeromq.js ROUTER-to-ROUTER
 * forwarder with no protocol logic beyond routing (no heartbeat checks, no
 * expiry, no validation, no limits, one service): the zguide's
 * load-balancing broker, handing each request to the least recently used
 * idle worker and queueing it while none is idle, as the queue and the broker
 * under test must.
 *
 * `--protocol ppp --frontend <ep> --backend <ep>`: Lazy Pirate (REQ) clients
 * on a frontend ROUTER, Paranoid Pirate workers on a backend ROUTER (sent a
 * HEARTBEAT every second so they keep the link up).
 * `--protocol mdp --frontend <ep>`: one ROUTER for MDP/0.1 clients and
 * workers, the broker's topology; with `--transport zmtp`, the same rules
 * over `zmtp-router.ts` (ZMTP written over `node:net`, no zeromq.js) instead.
 *
 * Prints `started frontend=<ep> backend=<ep>`; exits on SIGTERM.
 *
 * @module
 */
import { Fifo } from "@zmq-reliable/core";
import * as zmq from "zeromq";
import { options } from "./command-loop.js";
import { ZmtpRouter } from "./zmtp-router.js";

type Message = Buffer[];

const EMPTY = Buffer.alloc(0);
const MDPC = Buffer.from("MDPC01");
const MDPW = Buffer.from("MDPW01");
const REQUEST = Buffer.from([2]);
const MDP_HEARTBEAT = Buffer.from([4]);
const PPP_HEARTBEAT = Buffer.from([2]);

/** Sends on `socket` one message at a time, in order (zeromq.js takes one send at a time). */
function outbox(socket: zmq.Router): (message: Message) => void {
  const queue: Message[] = [];
  let busy = false;
  return (message) => {
    queue.push(message);
    if (busy) return;
    busy = true;
    void (async () => {
      while (queue.length > 0) await socket.send(queue.shift()!).catch(() => undefined);
      busy = false;
    })();
  };
}

/** Idle workers (least recently used first) and the requests waiting for one. */
class Balancer {
  private readonly idle: Buffer[] = [];
  private readonly waiting = new Fifo<Message>(); // O(1) shift: the C comparison's async client queues 100,000

  constructor(private readonly dispatch: (worker: Buffer, request: Message) => void) {}

  request(request: Message): void {
    const worker = this.idle.shift();
    if (worker) this.dispatch(worker, request);
    else this.waiting.push(request);
  }

  ready(worker: Buffer): void {
    const request = this.waiting.shift();
    if (request) this.dispatch(worker, request);
    else this.idle.push(worker);
  }

  gone(worker: Buffer): void {
    const at = this.idle.findIndex((w) => w.equals(worker));
    if (at >= 0) this.idle.splice(at, 1);
  }
}

async function ppp(frontend: zmq.Router, backend: zmq.Router): Promise<void> {
  const toClient = outbox(frontend);
  const toWorker = outbox(backend);
  const known: Buffer[] = [];
  const balancer = new Balancer((worker, request) => toWorker([worker, ...request]));
  setInterval(() => known.forEach((worker) => toWorker([worker, PPP_HEARTBEAT])), 1000);
  void (async () => {
    for await (const request of frontend) balancer.request(request);
  })();
  for await (const [worker, ...rest] of backend) {
    if (rest.length > 1) {
      toClient(rest);
      balancer.ready(worker!);
    } else if (rest[0]?.[0] === 1) {
      if (!known.some((w) => w.equals(worker!))) known.push(worker!);
      balancer.ready(worker!);
    }
  }
}

/** The MDP forwarding rules over any ROUTER: returns the handler of each message received. */
function mdp(send: (message: Message) => void): (message: Message) => void {
  let service: Buffer = Buffer.from("echo");
  const balancer = new Balancer((worker, [client, , , , ...body]) => send([worker, EMPTY, MDPW, REQUEST, client!, EMPTY, ...body]));
  return (message) => {
    const [peer, , header, command] = message;
    if (header?.equals(MDPC)) balancer.request(message);
    else if (header?.equals(MDPW) && command) {
      if (command[0] === 3) {
        send([message[4]!, EMPTY, MDPC, service, ...message.slice(6)]);
        balancer.ready(peer!);
      } else if (command[0] === 1) {
        service = message[4] ?? service;
        send([peer!, EMPTY, MDPW, MDP_HEARTBEAT]);
        balancer.ready(peer!);
      } else if (command[0] === 5) balancer.gone(peer!);
    }
  };
}

const args = options({ protocol: "mdp", transport: "zeromq", frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" });
process.on("SIGTERM", () => process.exit(0));
if (args.transport === "zmtp") {
  // The MDP rules over the node:net ZMTP floor instead of zeromq.js (see zmtp-router.ts).
  let router: ZmtpRouter | undefined = undefined;
  const handle = mdp((message) => router!.send(message));
  router = new ZmtpRouter(handle);
  process.stdout.write(`started frontend=${await router.bind(args.frontend)} backend=-\n`);
  await new Promise(() => {}); // serve until SIGTERM
}
const frontend = new zmq.Router({ linger: 0 });
await frontend.bind(args.frontend);
const backend = args.protocol === "ppp" ? new zmq.Router({ linger: 0 }) : undefined;
await backend?.bind(args.backend);
process.stdout.write(`started frontend=${frontend.lastEndpoint} backend=${backend?.lastEndpoint ?? "-"}\n`);
if (backend) await ppp(frontend, backend);
else {
  const handle = mdp(outbox(frontend));
  for await (const message of frontend) handle(message);
}
