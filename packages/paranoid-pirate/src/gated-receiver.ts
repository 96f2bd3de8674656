/**
 * A receive loop that can be paused: it only asks the socket for the next
 * message while its gate is open. Core's `Channel.listen` reads continuously;
 * the queue must leave client requests inside ZeroMQ while no worker is ready
 * (as the reference polls its frontend only then), so that clients' own
 * retries govern back-pressure. Candidate for core (a pausable `Channel`).
 *
 * @module
 */
import { isZmqError, SocketError, type ZmqReliableError } from "@zmq-reliable/core";

/** A socket this loop can read: anything with a single-pending `receive()`. */
export interface ReceivingSocket {
  /** Whether the socket was closed. */
  readonly closed: boolean;
  /** zeromq.js receive: at most one pending call at a time. */
  receive(): Promise<Buffer[]>;
}

/** Options of {@link GatedReceiver}. */
export interface GatedReceiverOptions {
  /** Name used in error messages. */
  name?: string;
  /** Whether the loop may ask for another message now. */
  isOpen: () => boolean;
  /** Receives handler exceptions and a fatal receive error. */
  onError?: (error: ZmqReliableError) => void;
}

/**
 * One receive at a time, only while `isOpen()` is true. After each message,
 * and whenever {@link GatedReceiver.wake} is called, the gate is checked
 * again. A receive already pending when the gate closes cannot be cancelled
 * (zeromq.js has no cancellation), so at most one message can arrive while
 * closed; the handler must cope with it.
 */
export class GatedReceiver {
  private readonly name: string;
  private readonly isOpen: () => boolean;
  private readonly onError: (error: ZmqReliableError) => void;
  private waiter: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private count = 0;

  /**
   * @param socket - the socket to read; the owner closes it.
   * @param handler - called synchronously with each message, in order.
   * @param options - the gate and error sink.
   */
  constructor(
    private readonly socket: ReceivingSocket,
    private readonly handler: (message: Buffer[]) => void,
    options: GatedReceiverOptions,
  ) {
    this.name = options.name ?? "socket";
    this.isOpen = options.isOpen;
    this.onError = options.onError ?? (() => {});
  }

  /** Messages received and handed to the handler. */
  get received(): number {
    return this.count;
  }

  /** Whether the loop is parked at a closed gate (no receive pending). */
  get paused(): boolean {
    return this.waiter !== undefined;
  }

  /** Starts the loop. Call once. */
  start(): void {
    if (this.loop) throw new SocketError(`${this.name}: already receiving`);
    this.loop = this.run();
  }

  /** Re-checks the gate: call whenever `isOpen()` may have become true. */
  wake(): void {
    const waiter = this.waiter;
    if (!waiter || !this.isOpen()) return;
    this.waiter = undefined;
    waiter();
  }

  /**
   * Stops the loop. A pending receive ends when the owner closes the socket;
   * the returned promise resolves once the loop has ended.
   */
  stop(): Promise<void> {
    this.stopped = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.isOpen()) {
        await new Promise<void>((resolve) => {
          this.waiter = resolve;
        });
        continue;
      }
      let message: Buffer[];
      try {
        message = await this.socket.receive();
      } catch (err) {
        if (this.stopped || this.socket.closed) return;
        if (isZmqError(err, "EAGAIN")) continue;
        this.onError(new SocketError(`${this.name}: receive failed: ${(err as Error).message}`, (err as { code?: string }).code, { cause: err }));
        return;
      }
      this.count++;
      try {
        this.handler(message);
      } catch (err) {
        this.onError(new SocketError(`${this.name}: message handler threw: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err }));
      }
    }
  }
}
