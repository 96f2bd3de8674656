/**
 * Socket creation with safe defaults, ephemeral endpoints and closing that
 * never keeps the process alive.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zmq from "zeromq";
import type { CurveOptions } from "../security/curve.js";
import { curveSocketOptions } from "../security/curve.js";
import { InvalidOptionError } from "../pure/errors.js";

const constructors: { [K in SocketType]: new (options: Record<string, unknown>) => SocketTypes[K] } = {
  router: zmq.Router,
  dealer: zmq.Dealer,
  request: zmq.Request,
  reply: zmq.Reply,
  publisher: zmq.Publisher,
  subscriber: zmq.Subscriber,
  push: zmq.Push,
  pull: zmq.Pull,
  pair: zmq.Pair,
};

/** The zeromq.js socket class of each socket type {@link createSocket} can make. */
export interface SocketTypes {
  /** ZMQ_ROUTER */
  router: zmq.Router;
  /** ZMQ_DEALER */
  dealer: zmq.Dealer;
  /** ZMQ_REQ */
  request: zmq.Request;
  /** ZMQ_REP */
  reply: zmq.Reply;
  /** ZMQ_PUB */
  publisher: zmq.Publisher;
  /** ZMQ_SUB */
  subscriber: zmq.Subscriber;
  /** ZMQ_PUSH */
  push: zmq.Push;
  /** ZMQ_PULL */
  pull: zmq.Pull;
  /** ZMQ_PAIR */
  pair: zmq.Pair;
}

/** The socket types {@link createSocket} can make. */
export type SocketType = keyof SocketTypes;

/** The zeromq.js socket class for a {@link SocketType}. */
export type SocketOf<T extends SocketType> = SocketTypes[T];

/** Options of {@link createSocket}: any zeromq option of that socket type, plus `curve`. */
export type CreateSocketOptions<T extends SocketType> = zmq.SocketOptions<SocketOf<T>> & {
  /** CURVE security for this socket; see {@link curveSocketOptions}. */
  curve?: CurveOptions;
};

/**
 * `sendTimeout` given to ROUTERs when none is set: without one, a mandatory
 * ROUTER with no peers blocks its send forever; a ROUTER that is not
 * mandatory never blocks a send (it drops), so 0 only saves zeromq.js a
 * readiness check per send.
 */
export const ROUTER_SEND_TIMEOUT = 0;

/**
 * Creates a zeromq socket with zmq-reliable's safe defaults:
 * - `linger: 0` unless given, so closing never waits for undeliverable messages
 *   and the process can exit;
 * - `sendTimeout: 0` on a ROUTER unless given, so a send to an absent peer of
 *   a mandatory ROUTER fails at once with `EHOSTUNREACH` instead of hanging
 *   (a ROUTER that is not mandatory drops instead of waiting anyway);
 * - CURVE options applied from `curve`.
 *
 * @param type - which socket to create.
 * @param options - zeromq socket options plus `curve`.
 */
export function createSocket<T extends SocketType>(type: T, options: CreateSocketOptions<T> = {} as CreateSocketOptions<T>): SocketOf<T> {
  const { curve, ...rest } = options as CreateSocketOptions<T> & Record<string, unknown>;
  const merged: Record<string, unknown> = { linger: 0, ...curveSocketOptions(curve), ...rest };
  // A ROUTER never waits to send: a mandatory one fails at once (EHOSTUNREACH, or EAGAIN at the
  // high-water mark); any other drops the message. With a send timeout of 0 zeromq.js also skips
  // its ZMQ_EVENTS check (a poll(2) in libzmq) before every send.
  if (type === "router" && merged.sendTimeout === undefined) merged.sendTimeout = ROUTER_SEND_TIMEOUT;
  return new constructors[type](merged) as SocketOf<T>;
}

/** A transport zmq-reliable can make ephemeral endpoints for. */
export type Transport = "tcp" | "ipc" | "inproc";

/**
 * Returns a bindable endpoint that nothing else uses:
 * `tcp://127.0.0.1:*` (the OS picks the port), a fresh `ipc://` path in the
 * temporary directory, or a fresh `inproc://` name.
 *
 * @param transport - which transport; default `"tcp"`.
 */
export function ephemeralEndpoint(transport: Transport = "tcp"): string {
  const id = `${process.pid}-${randomBytes(6).toString("hex")}`;
  switch (transport) {
    case "tcp":
      return "tcp://127.0.0.1:*";
    case "ipc":
      return `ipc://${join(tmpdir(), `zmq-reliable-${id}.sock`)}`;
    case "inproc":
      return `inproc://zmq-reliable-${id}`;
    default:
      throw new InvalidOptionError(`Unknown transport ${String(transport)}`);
  }
}

/**
 * Binds `socket` and returns the endpoint peers should connect to. Accepts a
 * full endpoint (`tcp://127.0.0.1:*` picks a free port) or a bare transport
 * name (`"tcp"`, `"ipc"`, `"inproc"`) for an ephemeral one.
 *
 * @param socket - the socket to bind.
 * @param endpoint - endpoint or transport; default `"tcp"`.
 * @returns the real endpoint, e.g. `tcp://127.0.0.1:41234`.
 */
export async function bindEphemeral(socket: zmq.Socket, endpoint: string = "tcp"): Promise<string> {
  const address = endpoint.includes("://") ? endpoint : ephemeralEndpoint(endpoint as Transport);
  await socket.bind(address);
  return connectableEndpoint(socket.lastEndpoint ?? address);
}

/**
 * Turns a bound endpoint into one a peer can connect to: a wildcard host
 * (`tcp://0.0.0.0:5555`, `tcp://*:5555`) becomes `tcp://127.0.0.1:5555`.
 *
 * @param endpoint - an endpoint as bound or as reported by `lastEndpoint`.
 */
export function connectableEndpoint(endpoint: string): string {
  return endpoint.replace(/^tcp:\/\/(\*|0\.0\.0\.0):/, "tcp://127.0.0.1:");
}

/**
 * Closes a socket if it is still open. Never throws, never waits for queued
 * messages when the socket was created by {@link createSocket} (linger 0).
 *
 * @param socket - the socket, or `undefined`.
 */
export function closeSocket(socket: zmq.Socket | undefined): void {
  if (!socket || socket.closed) return;
  try {
    socket.close();
  } catch {
    // already closed by libzmq: nothing to release
  }
}
