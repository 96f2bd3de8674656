/**
 * The request-client machine's sockets (internal to
 * {@link RequestClientState}): every REQ socket it has opened, by channel
 * name (`link:<n>:<endpoint index>`), which call each carries, and the idle
 * ones kept for later calls (at most `concurrency`). It only names sockets:
 * opening and closing one is an `open` or `close` action it hands to its
 * sink, which the `RequestClient` shell performs.
 *
 * @module
 */
import type { CloseLinkAction, OpenAction } from "./request-client-types.js";

/** One REQ socket of the request client. */
export interface Link<C> {
  /** Its channel name: `link:<n>:<endpoint index>`. */
  readonly channel: string;
  /** Index of its endpoint in the policy's list. */
  readonly index: number;
  /** The call it carries, if any. */
  call: C | undefined;
  /** The plan group of the send it carries. */
  group: number;
  /** Whether it has had its reply (a rejected one): nothing more comes on it. */
  spent: boolean;
  /** Whether its connection is known to be lost or refused. */
  unreachable: boolean;
  /** Whether it was closed. */
  closed: boolean;
}

/** The sockets of one {@link RequestClientState}; see the module comment. */
export class RequestLinks<C> {
  /** Sockets opened so far. */
  opened = 0;
  private readonly links = new Map<string, Link<C>>();
  private readonly idle: Link<C>[] = [];
  private next = 1;

  /**
   * @param maxIdle - the most idle sockets kept (the client's `concurrency`).
   * @param endpoints - the policy's endpoints, by index.
   * @param out - where `open` and `close` actions go.
   */
  constructor(
    private readonly maxIdle: number,
    private readonly endpoints: readonly string[],
    private readonly out: (action: OpenAction | CloseLinkAction) => void,
  ) {}

  /** Sockets open right now (busy and idle). */
  get size(): number {
    return this.links.size;
  }

  /** Idle sockets right now. */
  get idleCount(): number {
    return this.idle.length;
  }

  /**
   * The open socket named `channel`.
   *
   * @param channel - its channel name.
   */
  get(channel: string): Link<C> | undefined {
    return this.links.get(channel);
  }

  /**
   * The idle socket to endpoint `index`, if any (left idle).
   *
   * @param index - the endpoint's index.
   */
  idleAt(index: number): Link<C> | undefined {
    return this.idle.find((l) => l.index === index);
  }

  /**
   * Opens a socket to endpoint `index` and keeps it idle, unless one is idle there already.
   *
   * @param index - the endpoint's index.
   */
  warm(index: number): void {
    if (!this.idleAt(index)) this.idle.push(this.open(index));
  }

  /**
   * A socket to endpoint `index` for a send: the idle one there when `reuse`
   * allows and it is reachable (an unreachable one is closed), else a fresh one.
   *
   * @param index - the endpoint's index.
   * @param reuse - whether an idle socket may carry the send.
   * @returns the socket and whether it is fresh.
   */
  take(index: number, reuse: boolean): { link: Link<C>; fresh: boolean } {
    const at = this.idle.findIndex((l) => l.index === index);
    if (at >= 0) {
      const found = this.idle[at]!;
      if (reuse && !found.unreachable) return { link: this.idle.splice(at, 1)[0]!, fresh: false };
      if (found.unreachable) this.close(found);
    }
    return { link: this.open(index), fresh: true };
  }

  /**
   * Keeps a socket that got its reply for a later call, up to `maxIdle` idle
   * ones; closes it instead when `closing` or when it is spent.
   *
   * @param link - the socket.
   * @param closing - whether the client is closed.
   */
  release(link: Link<C>, closing: boolean): void {
    if (closing || link.spent) return this.close(link);
    this.idle.push(link);
    if (this.idle.length > this.maxIdle) this.close(this.idle[0]!);
  }

  /**
   * Closes the idle sockets to endpoint `index` (a call failed over from it).
   *
   * @param index - the endpoint's index.
   */
  closeIdleAt(index: number): void {
    for (const link of [...this.idle]) if (link.index === index) this.close(link);
  }

  /** Closes every socket. */
  closeAll(): void {
    for (const link of [...this.links.values()]) this.close(link);
  }

  /**
   * Closes a socket (once).
   *
   * @param link - the socket.
   */
  close(link: Link<C>): void {
    if (link.closed) return;
    link.closed = true;
    link.call = undefined;
    this.links.delete(link.channel);
    const i = this.idle.indexOf(link);
    if (i >= 0) this.idle.splice(i, 1);
    this.out({ type: "close", channel: link.channel });
  }

  private open(index: number): Link<C> {
    const link: Link<C> = { channel: `link:${this.next++}:${index}`, index, call: undefined, group: 0, spent: false, unreachable: false, closed: false };
    this.links.set(link.channel, link);
    this.opened++;
    this.out({ type: "open", channel: link.channel, index, endpoint: this.endpoints[index]! });
    return link;
  }
}
