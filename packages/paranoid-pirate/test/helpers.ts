/**
 * Test-local helpers: a Lazy Pirate client made of raw REQ sockets (this
 * package must not depend on @zmq-reliable/lazy-pirate), an inbox for raw
 * sockets, and a registry of things to close after each test.
 */
import { Channel, createSocket, type CurveClientOptions, type Frame, isZmqError } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import type * as zmq from "zeromq";

/** Anything a test opens and must close. */
export interface Closable {
  close(): unknown;
}

const open: Closable[] = [];

/** Registers `thing` to be closed by {@link closeAll}. */
export function track<T extends Closable>(thing: T): T {
  open.push(thing);
  return thing;
}

/** Closes everything registered with {@link track}, newest first. */
export async function closeAll(): Promise<void> {
  const things = open.splice(0).reverse();
  for (const thing of things) await thing.close();
}

/** Options of {@link lazyRequest}. */
export interface LazyRequestOptions {
  /** Per-attempt timeout in ms. */
  timeout?: number;
  /** Attempts before giving up. */
  attempts?: number;
  /** Called before each attempt (1-based). */
  onAttempt?: (attempt: number) => void;
  /** CURVE client options for the REQ socket. */
  curve?: CurveClientOptions;
}

/**
 * The book's Lazy Pirate client: a REQ socket per attempt; on timeout, close
 * it (linger 0) and try again on a fresh one.
 */
export async function lazyRequest(endpoint: string, body: Frame[], options: LazyRequestOptions = {}): Promise<{ reply: string[]; attempts: number }> {
  const timeout = options.timeout ?? 1000;
  const attempts = options.attempts ?? 10;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    options.onAttempt?.(attempt);
    const req = createSocket("request", { linger: 0, receiveTimeout: timeout, curve: options.curve });
    try {
      req.connect(endpoint);
      await req.send(body);
      const reply = await req.receive();
      return { reply: reply.map(String), attempts: attempt };
    } catch (err) {
      if (!isZmqError(err, "EAGAIN")) throw err;
    } finally {
      req.close();
    }
  }
  throw new Error(`No reply from ${endpoint} after ${attempts} attempts`);
}

/** A raw socket whose every received message is kept, with waits on them. */
export class Inbox<S extends zmq.Dealer | zmq.Router> {
  readonly channel: Channel<S>;
  readonly messages: { at: number; frames: Buffer[] }[] = [];

  constructor(socket: S) {
    this.channel = new Channel(socket);
    this.channel.listen((frames) => this.messages.push({ at: performance.now(), frames }));
    track(this);
  }

  get socket(): S {
    return this.channel.socket;
  }

  send(frames: Frame[]): Promise<void> {
    return this.channel.send(frames);
  }

  /** Waits for the first message at index ≥ `from` that matches, and returns its index and frames. */
  async next(match: (frames: Buffer[]) => boolean = () => true, from = 0, timeout = 5000): Promise<{ index: number; frames: Buffer[]; at: number }> {
    const found = await waitFor(
      () => {
        for (let i = from; i < this.messages.length; i++) {
          if (match(this.messages[i]!.frames)) return { index: i, ...this.messages[i]! };
        }
        return undefined;
      },
      { timeout, message: `no matching message within ${timeout} ms (have ${this.messages.length})` },
    );
    return found;
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}

/** A raw DEALER (linger 0), connected to `endpoint`, whose messages are collected. */
export function rawDealer(endpoint: string, options: { routingId?: string } = {}): Inbox<zmq.Dealer> {
  const socket = createSocket("dealer", options);
  socket.connect(endpoint);
  return new Inbox(socket);
}

/** A raw ROUTER bound to a free 127.0.0.1 port; returns it and its endpoint. */
export async function rawRouter(): Promise<{ inbox: Inbox<zmq.Router>; endpoint: string }> {
  const socket = createSocket("router");
  await socket.bind("tcp://127.0.0.1:*");
  return { inbox: new Inbox(socket), endpoint: socket.lastEndpoint! };
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Whether a message is exactly one frame holding `byte`. */
export function isCommand(frames: Buffer[], byte: number): boolean {
  return frames.length === 1 && frames[0]!.length === 1 && frames[0]![0] === byte;
}
