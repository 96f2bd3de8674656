/**
 * The worker link's sockets and handler runs: one DEALER {@link Channel} per
 * line, opened on a `connect` action and closed on `hangup`, and the
 * handler run on a `handle` action. {@link WorkerLink} holds one
 * {@link LinkSockets} and feeds back what it reports.
 *
 * @module
 */
import type * as zmq from "zeromq";
import type { ZmqReliableError } from "../pure/errors.js";
import { describeFrame, type Frame, replyFrames } from "../pure/frames.js";
import type { Logger } from "../pure/logger.js";
import type { LinkMessage, WorkerLinkAction } from "../machines/worker-link-types.js";
import type { CurveClientOptions } from "../security/curve.js";
import { Channel } from "./channel.js";
import type { Driver } from "./driver.js";
import { connectEndpoint } from "./endpoints.js";
import { createSocket } from "./socket.js";

/** What {@link LinkSockets} needs. */
export interface LinkSocketsOptions {
  /** The socket's role, for `SocketError` messages and channel names (`"ppp worker"`). */
  what: string;
  /** CURVE: the peer's public key and this worker's key pair. */
  curve?: CurveClientOptions;
  /** `sendTimeout` of each DEALER; default zeromq's. */
  sendTimeout?: number;
  /** On a final hangup, how long (ms) the last messages may take to leave: flush wait and socket linger. */
  closeLinger: number;
  /** Where to log (already tagged). */
  log: Logger;
  /** A line's socket failed after it was connected. */
  onSocketError: (line: number, connection: number, error: ZmqReliableError) => void;
}

/** What the sockets use of the link's {@link Driver}: attaching and detaching channels. */
export type LinkAttacher = Pick<Driver<never, never>, "attach" | "detach">;

/** A `connect` action of the link. */
export type ConnectAction = Extract<WorkerLinkAction<unknown, string>, { type: "connect" }>;

/** The DEALER sockets of a worker link's lines, by channel name. */
export class LinkSockets {
  private readonly channels = new Map<string, Channel<zmq.Dealer>>();
  private readonly hangups = new Set<Promise<void>>();

  /** @param options - see {@link LinkSocketsOptions}. */
  constructor(private readonly options: LinkSocketsOptions) {}

  /**
   * Opens a fresh DEALER for a `connect` action, connects it and attaches it
   * to `driver` under the action's channel name (its messages tagged with the
   * connection id).
   *
   * @returns the connect failure (a `SocketError` naming the endpoint), or `undefined`.
   */
  open(action: ConnectAction, driver: LinkAttacher): ZmqReliableError | undefined {
    const { line, connection, endpoint, channel: name } = action;
    const { what, log } = this.options;
    const socketOptions: Record<string, unknown> = { curve: this.options.curve };
    if (this.options.sendTimeout !== undefined) socketOptions.sendTimeout = this.options.sendTimeout;
    const socket = createSocket("dealer", socketOptions);
    try {
      connectEndpoint(socket, endpoint, what);
    } catch (err) {
      socket.close();
      return err as ZmqReliableError;
    }
    const channel = new Channel(socket, {
      name: `${what} (${endpoint})`,
      onError: (error) => this.onChannelError(line, connection, endpoint, error),
    });
    this.channels.set(name, channel);
    driver.attach<LinkMessage>(name, channel, {
      decode: (frames) => {
        if (log.debug) log.debug({ endpoint }, `${endpoint} → ${frames.map((f) => describeFrame(f)).join(" | ")}`);
        return { connection, frames };
      },
    });
    return undefined;
  }

  /**
   * Closes the socket attached under `name` (detaching it from `driver`).
   * `final`: the worker closes for good, so the last messages are flushed
   * first and the socket lingers `closeLinger` ms.
   */
  hangup(name: string, final: boolean, driver: LinkAttacher | undefined): void {
    const channel = this.channels.get(name);
    this.channels.delete(name);
    driver?.detach(name);
    if (!channel) return;
    const linger = this.options.closeLinger;
    const closing = final ? channel.close({ flush: linger, linger }) : channel.close();
    this.hangups.add(closing);
    void closing.finally(() => this.hangups.delete(closing));
  }

  /** Resolves once every socket being hung up is closed. */
  async settle(): Promise<void> {
    while (this.hangups.size > 0) await Promise.all([...this.hangups]);
  }

  /** Closes every socket at once and waits for the hangups under way. */
  async closeAll(): Promise<void> {
    const open = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(open.map((c) => c.close()));
    await this.settle();
  }

  private onChannelError(line: number, connection: number, endpoint: string, error: ZmqReliableError): void {
    if (error.code === "ERR_CLOSED") return;
    if (error.code === "ERR_BACKPRESSURE") {
      // The peer is not reading (gone?): the heartbeat check will notice.
      this.options.log.debug?.({ endpoint, reason: "peer-full" }, `send dropped: ${error.message}`);
      return;
    }
    this.options.log.warn?.({ endpoint, reason: error.code }, `socket error: ${error.message}`);
    this.options.onSocketError(line, connection, error);
  }
}

/**
 * Runs a handler once and reports its outcome: `finish(frames)` with the
 * reply (through {@link replyFrames}), or `finish(undefined, error)` when it
 * threw, rejected or returned something that is not a reply.
 *
 * @param handle - calls the handler.
 * @param finish - gets the outcome, exactly once.
 */
export function runHandler(handle: () => unknown, finish: (reply: Frame[] | undefined, error?: unknown) => void): void {
  const settle = (value: unknown) => {
    let frames: Frame[];
    try {
      frames = replyFrames(value);
    } catch (err) {
      return finish(undefined, err);
    }
    finish(frames);
  };
  let result: unknown;
  try {
    result = handle();
  } catch (err) {
    return finish(undefined, err);
  }
  if (isThenable(result)) result.then(settle, (err: unknown) => finish(undefined, err));
  else settle(result);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}
