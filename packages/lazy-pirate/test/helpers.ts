import { reservePort } from "@zmq-reliable/core/testing";
import * as zmq from "zeromq";
import { LazyPirateClient, type LazyPirateClientOptions, LazyPirateServer, type LazyPirateServerOptions } from "../src/index.js";

const closers: (() => unknown)[] = [];

/** Registers something to close in {@link closeAll}. */
export function track<T extends { close(): unknown }>(thing: T): T {
  closers.push(() => thing.close());
  return thing;
}

/** Closes everything tracked so far (call in `afterEach`). */
export async function closeAll(): Promise<void> {
  await Promise.all(closers.splice(0).map(async (close) => close()));
}

/** A tracked client. */
export function client(options: LazyPirateClientOptions): LazyPirateClient {
  return track(new LazyPirateClient(options));
}

/** A tracked, started server on an ephemeral port (echo by default). */
export async function server(options: Partial<LazyPirateServerOptions> = {}): Promise<LazyPirateServer & { endpoint: string }> {
  const s = track(new LazyPirateServer({ handler: (frames) => frames, ...options }));
  await s.start();
  return s as LazyPirateServer & { endpoint: string };
}

/** An endpoint nobody listens on. */
export async function deadEndpoint(): Promise<string> {
  return `tcp://127.0.0.1:${await reservePort()}`;
}

/** A raw zeromq socket (linger 0), tracked. */
export function raw<T extends zmq.Socket>(socket: T): T {
  closers.push(() => socket.close());
  return socket;
}

/**
 * A raw ROUTER that records every message and calls `onMessage`, which may
 * reply through `send`.
 */
export async function rawRouter(onMessage: (message: Buffer[], send: (frames: (Buffer | string)[]) => void) => void = () => {}) {
  const socket = raw(new zmq.Router({ linger: 0 }));
  await socket.bind("tcp://127.0.0.1:*");
  const received: Buffer[][] = [];
  const sends: Promise<void>[] = [];
  void (async () => {
    try {
      for await (const message of socket) {
        received.push(message);
        onMessage(message, (frames) => sends.push(socket.send(frames).catch(() => {})));
      }
    } catch {
      // closed
    }
  })();
  return { socket, endpoint: socket.lastEndpoint!, received };
}

/** Milliseconds since `start` (from `performance.now()`). */
export function since(start: number): number {
  return performance.now() - start;
}

/** A promise and its resolve function. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Frames as strings. */
export function text(frames: Buffer[]): string[] {
  return frames.map((f) => f.toString());
}

/**
 * An echo handler that counts the calls it is running (`inFlight`, and the
 * most at once in `maxInFlight`), each held until `hold()` settles.
 */
export function countingEcho(hold: () => Promise<unknown>) {
  const counts = {
    inFlight: 0,
    maxInFlight: 0,
    handler: async (frames: Buffer[]): Promise<Buffer[]> => {
      counts.maxInFlight = Math.max(counts.maxInFlight, ++counts.inFlight);
      await hold();
      counts.inFlight--;
      return frames;
    },
  };
  return counts;
}
