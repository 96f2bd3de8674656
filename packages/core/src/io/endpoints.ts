/**
 * Binding and connecting with errors that name what failed: every failure
 * becomes a {@link SocketError} (a {@link ZmqReliableError} with code
 * `ERR_SOCKET`) whose message names the role's socket and the endpoint, with
 * zeromq's errno in `zmqCode` (`"EADDRINUSE"`, `"EINVAL"`, …).
 *
 * @module
 */
import type * as zmq from "zeromq";
import { SocketError, ZmqReliableError } from "../pure/errors.js";
import { connectableEndpoint } from "./socket.js";

/** Where a socket is bound, as {@link bindEndpoint} reports it. */
export interface BoundEndpoint {
  /** The endpoint as libzmq reports it, e.g. `tcp://0.0.0.0:5555` for `tcp://*:5555`: what to print. */
  readonly bound: string;
  /** An endpoint a peer on this machine can connect to, e.g. `tcp://127.0.0.1:5555`. */
  readonly endpoint: string;
}

/**
 * Wraps a failure of `bind()` or `connect()` in a {@link SocketError} naming
 * `what` and `endpoint`. A {@link ZmqReliableError} is returned as it is.
 *
 * @param err - what was caught.
 * @param verb - `"bind"` or `"connect"`.
 * @param what - the socket's role, e.g. `"majordomo broker"`.
 * @param endpoint - the endpoint that was asked for.
 */
export function endpointError(err: unknown, verb: "bind" | "connect", what: string, endpoint: string): ZmqReliableError {
  if (err instanceof ZmqReliableError) return err;
  const code = (err as { code?: unknown })?.code;
  const reason = err instanceof Error ? err.message : String(err);
  return new SocketError(`${what}: cannot ${verb} ${endpoint}: ${reason}`, typeof code === "string" ? code : undefined, { cause: err });
}

/**
 * Binds `socket` to `endpoint` (`tcp://127.0.0.1:*` picks a free port).
 *
 * @param socket - the socket to bind.
 * @param endpoint - where to bind.
 * @param what - the socket's role, used in the error message.
 * @returns the endpoint as bound and as connectable.
 * @throws {@link SocketError} naming `what` and `endpoint`.
 */
export async function bindEndpoint(socket: zmq.Socket, endpoint: string, what: string): Promise<BoundEndpoint> {
  try {
    await socket.bind(endpoint);
  } catch (err) {
    throw endpointError(err, "bind", what, endpoint);
  }
  const bound = socket.lastEndpoint ?? endpoint;
  return { bound, endpoint: connectableEndpoint(bound) };
}

/**
 * Connects `socket` to `endpoint`.
 *
 * @param socket - the socket to connect.
 * @param endpoint - where to connect.
 * @param what - the socket's role, used in the error message.
 * @throws {@link SocketError} naming `what` and `endpoint`.
 */
export function connectEndpoint(socket: zmq.Socket, endpoint: string, what: string): void {
  try {
    socket.connect(endpoint);
  } catch (err) {
    throw endpointError(err, "connect", what, endpoint);
  }
}
