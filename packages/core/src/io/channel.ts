/**
 * One receive loop and one serialized send path per socket. zeromq.js allows a
 * single pending `receive()` and a single pending `send()` per socket (a second
 * one throws `EBUSY`); a {@link Channel} owns both so callers never see that.
 *
 * @module
 */
import type * as zmq from "zeromq";
import type { ZmqReliableError } from "../pure/errors.js";
import { isZmqError, SocketError } from "../pure/errors.js";
import type { Frame } from "../pure/frames.js";
import { type PendingSend, SendPump } from "./send-pump.js";

/** A socket a {@link Channel} can drive: anything zeromq.js can send and/or receive on. */
export type ChannelSocket = zmq.Socket & {
  /** Present on sockets that can send. */
  send?(message: Frame | Frame[]): Promise<void>;
  /** Present on sockets that can receive. */
  receive?(): Promise<Buffer[]>;
};

/** Options of {@link Channel}. */
export interface ChannelOptions {
  /** Name used in error messages, e.g. `"broker frontend"`. */
  name?: string;
  /**
   * How many sends may wait behind the one in progress. Past this, `send()`
   * rejects and `post()` reports a {@link BackpressureError}: nothing queues
   * without bound. Default 10,000.
   */
  maxPendingSends?: number;
  /**
   * Receives errors nobody else can: failed `post()` sends (with the message
   * that was not sent, so the owner can tell whom it was for), a message
   * handler that threw, and a receive loop that stopped on a socket error.
   */
  onError?: (error: ZmqReliableError, message?: Frame | Frame[]) => void;
  /**
   * Receive only while a reply is owed: the receive loop calls `receive()`
   * once per message sent, after the send, as a REQ socket allows (it can
   * receive nothing it did not ask for). zeromq.js re-checks readiness after
   * every send while a receive is pending; in lockstep no receive is pending
   * during a send, which saves that check (about 3 % of a REQ round trip).
   * Default false: the loop always has a receive pending.
   */
  lockstep?: boolean;
}

/** Counters of a {@link Channel}. */
export interface ChannelStats {
  /** Messages received and handed to the handler. */
  received: number;
  /** Messages sent successfully. */
  sent: number;
  /** Sends that failed (including back-pressure and close). */
  sendErrors: number;
  /** Sends waiting right now. */
  pendingSends: number;
}

/** Options of {@link Channel.close}. */
export interface ChannelCloseOptions {
  /**
   * Milliseconds to wait for the sends already queued to be taken by zeromq
   * before closing (0, the default: fail them at once with {@link ClosedError}).
   * Sends still waiting when the time is up fail with {@link ClosedError}.
   */
  flush?: number;
  /**
   * The socket's linger on close, in ms: how long libzmq may keep trying to
   * deliver what it already took (the library's default is 0).
   */
  linger?: number;
  /**
   * Resolve only once libzmq has closed the socket's listener (at most this
   * many ms), so the bound port can be bound again at once. `socket.close()`
   * returns before the I/O thread closes the listening descriptor; binding the
   * same port right afterwards fails with `EADDRINUSE` about one time in eight
   * without this. Default 0 (do not wait). Ignored for `inproc://`.
   */
  release?: number;
}

/** Default of {@link ChannelOptions.maxPendingSends}. */
export const DEFAULT_MAX_PENDING_SENDS = 10_000;

/**
 * Drives one socket: a single receive loop that hands every message to a
 * synchronous handler, and a FIFO send path that hands sends to zeromq in call
 * order, back to back while the socket takes them at once (see `send-pump.ts`).
 * Back-pressure is respected: while the socket cannot send (high-water mark
 * reached), later sends wait in a bounded queue; when the socket's
 * `sendTimeout` expires the send fails with {@link BackpressureError}.
 */
export class Channel<S extends ChannelSocket = ChannelSocket> {
  /** The socket this channel drives. Do not call `send`/`receive` on it directly. */
  readonly socket: S;
  private readonly name: string;
  private readonly onError: (error: ZmqReliableError, message?: Frame | Frame[]) => void;
  private readonly sends: SendPump;
  private loop: Promise<void> | undefined;
  private closing = false;
  private gate: (() => void) | undefined;
  private pausedNow = false;
  private readonly lockstep: boolean;
  /** Messages sent and not yet answered (lockstep only). */
  private owed = 0;
  private flushed: (() => void) | undefined;
  private counters = { received: 0, sent: 0, sendErrors: 0 };

  /**
   * @param socket - the socket to drive; the channel owns it from now on and closes it in {@link Channel.close}.
   * @param options - see {@link ChannelOptions}.
   */
  constructor(socket: S, options: ChannelOptions = {}) {
    this.socket = socket;
    this.name = options.name ?? "socket";
    this.onError = options.onError ?? (() => {});
    this.lockstep = options.lockstep ?? false;
    const channel = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the pump reads `closing` live
    this.sends = new SendPump({
      send: (message) => (socket as S & { send(message: Frame | Frame[]): Promise<void> }).send(message),
      name: this.name,
      maxPending: options.maxPendingSends ?? DEFAULT_MAX_PENDING_SENDS,
      get closing() {
        return channel.closing;
      },
      sent: (item) => {
        this.counters.sent++;
        item.resolve?.();
      },
      failed: (item, error) => this.fail(item, error),
      idle: () => this.flushed?.(),
    });
  }

  /** Whether {@link Channel.close} was called. */
  get closed(): boolean {
    return this.closing;
  }

  /** Sends waiting to be written, including the one in progress. */
  get pendingSends(): number {
    return this.sends.pending;
  }

  /** A snapshot of the counters. */
  stats(): ChannelStats {
    return { ...this.counters, pendingSends: this.pendingSends };
  }

  /**
   * Starts the receive loop. `handler` is called synchronously for each
   * message, in order; if it throws, the error goes to `onError` and the loop
   * goes on. Call at most once.
   *
   * @param handler - called with each received message.
   */
  listen(handler: (message: Buffer[]) => void): void {
    if (this.loop) throw new SocketError(`${this.name}: already listening`);
    if (typeof this.socket.receive !== "function") throw new SocketError(`${this.name}: socket cannot receive`);
    this.loop = this.receiveLoop(handler);
  }

  /** Whether the receive loop is paused (see {@link Channel.pause}). */
  get paused(): boolean {
    return this.pausedNow;
  }

  /**
   * Stops taking messages off the socket after the one being read: they wait
   * in zeromq's queue (and, once its high-water mark is reached, in the
   * peers'), which is how a role applies back-pressure to its peers.
   */
  pause(): void {
    this.pausedNow = true;
  }

  /** Takes messages off the socket again after {@link Channel.pause}. */
  resume(): void {
    this.pausedNow = false;
    this.wake();
  }

  /** Lets a waiting receive loop check again whether it may receive. */
  private wake(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.();
  }

  private async receiveLoop(handler: (message: Buffer[]) => void): Promise<void> {
    const socket = this.socket as S & { receive(): Promise<Buffer[]> };
    while (!this.closing) {
      if (this.pausedNow || (this.lockstep && this.owed === 0)) {
        await new Promise<void>((resolve) => (this.gate = resolve));
        continue;
      }
      let message: Buffer[];
      try {
        message = await socket.receive();
      } catch (err) {
        if (this.closing || socket.closed) return;
        if (isZmqError(err, "EAGAIN")) continue; // receiveTimeout set by the owner: keep listening
        this.onError(new SocketError(`${this.name}: receive failed: ${(err as Error).message}`, (err as { code?: string }).code, { cause: err }));
        return;
      }
      if (this.closing) return; // read just as close() began: nobody wants it now
      this.counters.received++;
      if (this.owed > 0) this.owed--;
      try {
        handler(message);
      } catch (err) {
        this.onError(new SocketError(`${this.name}: message handler threw: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err }));
      }
    }
  }

  /**
   * Queues a message and resolves once zeromq has accepted it. Messages go out
   * in call order (see `send-pump.ts`).
   *
   * @param message - one frame or an array of frames.
   * @throws {@link ClosedError} after close, {@link BackpressureError} when the
   *   queue is full or the socket's `sendTimeout` expired, {@link UnreachableError}
   *   for a mandatory ROUTER's unknown peer.
   */
  send(message: Frame | Frame[]): Promise<void> {
    const sent = new Promise<void>((resolve, reject) => this.sends.push({ message, resolve, reject }));
    this.owe();
    return sent;
  }

  /**
   * Like {@link Channel.send} but returns nothing: a failure goes to `failed`
   * when given, else to `onError`. Cheaper on hot paths (no promise per message).
   *
   * @param message - one frame or an array of frames.
   * @param failed - called with the error if the send fails.
   */
  post(message: Frame | Frame[], failed?: (error: ZmqReliableError) => void): void {
    this.sends.push({ message, resolve: undefined, reject: failed });
    this.owe();
  }

  /** Lockstep: one more reply is owed; the loop may receive once more (after the send just handed over). */
  private owe(): void {
    if (!this.lockstep) return;
    this.owed++;
    this.wake();
  }

  private fail(item: PendingSend, error: ZmqReliableError): void {
    this.counters.sendErrors++;
    if (item.reject) item.reject(error);
    else this.onError(error, item.message);
  }

  /**
   * Closes the socket and waits for the receive loop to end. By default the
   * socket closes at once (linger 0, as {@link createSocket} sets it) and every
   * queued send fails with {@link ClosedError}; `options` can let queued sends
   * go out first, linger, and wait until the bound port is free. Idempotent:
   * a second call waits for the first.
   *
   * @param options - see {@link ChannelCloseOptions}.
   */
  close(options: ChannelCloseOptions = {}): Promise<void> {
    this.closeP ??= this.shutdown(options);
    return this.closeP;
  }

  private closeP: Promise<void> | undefined;

  private async shutdown(options: ChannelCloseOptions): Promise<void> {
    if (options.flush && this.pendingSends > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.flushed = resolve;
        timer = setTimeout(resolve, options.flush);
      });
      clearTimeout(timer);
      this.flushed = undefined;
    }
    this.closing = true;
    this.resume();
    this.sends.failWaiting();
    const released = options.release ? this.whenReleased(options.release) : undefined;
    if (!this.socket.closed) {
      try {
        if (options.linger !== undefined) this.socket.linger = options.linger;
        this.socket.close();
      } catch {
        // closed underneath us: nothing to release
      }
    }
    await this.loop;
    await released;
  }

  /** Resolves when libzmq reports the listener of the socket's last bound endpoint closed, or after `timeout` ms. */
  private whenReleased(timeout: number): Promise<void> | undefined {
    const endpoint = this.socket.lastEndpoint;
    if (!endpoint || endpoint.startsWith("inproc://") || this.socket.closed) return undefined;
    let events: zmq.Observer;
    try {
      events = this.socket.events; // must be taken before the socket closes
    } catch {
      return undefined; // no observer: close without waiting
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeout);
      events.on("close", (event) => {
        if (event.address === endpoint) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }
}
