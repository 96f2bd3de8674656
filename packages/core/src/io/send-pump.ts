/**
 * The send path of a {@link Channel}: a FIFO of sends handed to zeromq.js
 * back to back while it takes them at once, without a promise hop per send.
 *
 * zeromq.js's `send()` writes the message synchronously when the socket can
 * take it (its fast path) and returns an already-settled promise; only when it
 * cannot (high-water mark, or its periodic yield to the event loop) does the
 * send stay pending, and then a further `send()` throws `EBUSY` before touching
 * the message. So the pump sends while `send()` returns, keeps the sends it
 * issued in order (they settle in that order: at most the last one is
 * pending), and on `EBUSY` waits for that last one before going on.
 *
 * @module
 */
import { Fifo } from "../pure/collections.js";
import type { ZmqReliableError } from "../pure/errors.js";
import { BackpressureError, ClosedError, fromSendError, isZmqError } from "../pure/errors.js";
import type { Frame } from "../pure/frames.js";

/** One send: the message and, for `send()`, its promise's settlers. */
export interface PendingSend {
  /** The frames to send. */
  message: Frame | Frame[];
  /** Settles a `send()` promise; `undefined` for `post()`. */
  resolve: (() => void) | undefined;
  /** Rejects a `send()` promise; `undefined` for `post()` (the error goes to `onError`). */
  reject: ((e: ZmqReliableError) => void) | undefined;
}

/** What a {@link SendPump} needs from its channel. */
export interface SendPumpHost {
  /** The socket's `send()`. */
  send(message: Frame | Frame[]): Promise<void>;
  /** Name used in error messages. */
  readonly name: string;
  /** Sends that may wait behind those zeromq holds. */
  readonly maxPending: number;
  /** Whether the channel is closing (sends fail with {@link ClosedError}). */
  readonly closing: boolean;
  /** A send succeeded. */
  sent(item: PendingSend): void;
  /** A send failed (not sent). */
  failed(item: PendingSend, error: ZmqReliableError): void;
  /** Nothing is waiting or in zeromq's hands any more. */
  idle(): void;
}

/**
 * Hands sends to zeromq.js in call order, as many at once as it takes
 * synchronously; bounds the ones waiting behind (see {@link SendPumpHost.maxPending}).
 */
export class SendPump {
  private readonly waiting = new Fifo<PendingSend>();
  private readonly issued = new Fifo<PendingSend>();
  private last: Promise<void> | undefined;
  private pumping = false;
  private readonly onSent = (): void => {
    this.host.sent(this.issued.shift()!);
    this.settled();
  };
  private readonly onFailed = (err: unknown): void => {
    this.host.failed(this.issued.shift()!, this.error(err));
    this.settled();
  };
  private readonly resume = (): void => this.pump();

  /** @param host - the channel side: socket, limits, outcome callbacks. */
  constructor(private readonly host: SendPumpHost) {}

  /** Sends waiting, plus those handed to zeromq and not settled yet. */
  get pending(): number {
    return this.waiting.length + this.issued.length;
  }

  /**
   * Queues a send and pumps; fails it at once when closing or when
   * `maxPending` sends are already waiting.
   *
   * @param item - the send.
   */
  push(item: PendingSend): void {
    if (this.host.closing) return this.host.failed(item, new ClosedError(`${this.host.name} is closed`));
    if (this.waiting.length >= this.host.maxPending) {
      return this.host.failed(item, new BackpressureError(`${this.host.name}: ${this.host.maxPending} sends already waiting`));
    }
    this.waiting.push(item);
    if (!this.pumping) this.pump();
  }

  /** Fails every waiting send with {@link ClosedError} (those zeromq holds settle on their own). */
  failWaiting(): void {
    let item: PendingSend | undefined;
    while ((item = this.waiting.shift()) !== undefined) this.host.failed(item, new ClosedError(`${this.host.name} is closed`));
    if (!this.pumping) this.settled();
  }

  private pump(): void {
    this.pumping = true;
    let item: PendingSend | undefined;
    while ((item = this.waiting.peek()) !== undefined) {
      if (this.host.closing) {
        this.waiting.shift();
        this.host.failed(item, new ClosedError(`${this.host.name} is closed`));
        continue;
      }
      let sent: Promise<void>;
      try {
        sent = this.host.send(item.message);
      } catch (err) {
        if (isZmqError(err, "EBUSY") && this.last !== undefined) {
          // zeromq still holds the previous send (it could not take it at once): go on once it settles
          this.last.then(this.resume, this.resume);
          return;
        }
        this.waiting.shift();
        this.host.failed(item, this.error(err));
        continue;
      }
      this.waiting.shift();
      this.issued.push(item);
      this.last = sent;
      sent.then(this.onSent, this.onFailed);
    }
    this.pumping = false;
    this.settled();
  }

  private settled(): void {
    if (this.issued.length === 0 && this.waiting.length === 0) {
      this.last = undefined;
      this.host.idle();
    }
  }

  private error(err: unknown): ZmqReliableError {
    return this.host.closing ? new ClosedError(`${this.host.name} is closed`) : fromSendError(err, this.host.name);
  }
}
