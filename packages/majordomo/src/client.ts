/**
 * The Majordomo client role (MDP/Client 0.1) with retries, endpoint
 * failover and many concurrent requests.
 *
 * @module
 */
import type { CurveClientOptions, Frame, Logger } from "@zmq-reliable/core";
import {
  AbortError,
  ClosedError,
  InvalidOptionError,
  ProtocolError,
  ServiceUnavailableError,
  TypedEmitter,
  checkNumber,
  closeSocket,
  createSocket,
  isZmqError,
  taggedLogger,
  throwIfAborted,
  toBuffer,
} from "@zmq-reliable/core";
import type * as zmq from "zeromq";
import { MAJORDOMO_DEFAULTS } from "./defaults.js";
import type { ListNode } from "@zmq-reliable/core";
import { LinkedList } from "@zmq-reliable/core";
import { MDPC_FRAME, MMI_NOT_FOUND, MMI_OK, MMI_SERVICE, MdpProtocolError, decodeAfterDelimiter } from "./protocol.js";

/** Options of {@link MajordomoClient}. */
export interface MajordomoClientOptions {
  /**
   * The broker, or several brokers in failover order (e.g. a Binary Star
   * pair). When an attempt times out on the current endpoint, the client
   * moves to the next one (wrapping around) for its next attempt and for
   * later requests.
   */
  endpoint: string | readonly string[];
  /** Milliseconds to wait for the reply to each attempt. Default 2500. */
  timeout?: number;
  /** Attempts in total per request (the reference's `retries`: 3 means up to 3 sends). Default 3. */
  retries?: number;
  /**
   * Most REQ sockets open at once, which is the most requests outstanding at
   * once; more requests wait for a free socket. Default 256.
   */
  maxSockets?: number;
  /** CURVE keys: the broker's public key and this client's key pair. */
  curve?: CurveClientOptions;
  /** Where to log; nothing is logged without it. */
  logger?: Logger;
}

/** Per-call options of {@link MajordomoClient.request}. */
export interface MajordomoRequestOptions {
  /** Milliseconds to wait for the reply to each attempt; default the client's `timeout`. */
  timeout?: number;
  /** Attempts in total; default the client's `retries`. */
  retries?: number;
  /** Cancels the call: it rejects with `AbortError` and its socket is destroyed. */
  signal?: AbortSignal;
}

/** Payload of the client's `retry` event. */
export interface ClientRetryEvent {
  /** The service requested. */
  service: string;
  /** The attempt that timed out (1-based). */
  attempt: number;
  /** The endpoint that attempt went to. */
  endpoint: string;
  /** The endpoint the next attempt goes to. */
  nextEndpoint: string;
}

/** Payload of the client's `failover` event. */
export interface ClientFailoverEvent {
  /** The endpoint given up on. */
  from: string;
  /** The endpoint used from now on. */
  to: string;
}

/** Events of {@link MajordomoClient}. */
export type MajordomoClientEvents = {
  /** An attempt timed out and the request is sent again on a fresh socket. */
  retry: [ClientRetryEvent];
  /** An attempt timed out on the current endpoint and the client moved to the next one. */
  failover: [ClientFailoverEvent];
};

/** Counters and gauges of {@link MajordomoClient}. */
export interface MajordomoClientStats {
  /** Calls to `request()` (and `serviceAvailable()`). */
  requests: number;
  /** Calls that got their reply. */
  replies: number;
  /** Attempts that timed out. */
  timeouts: number;
  /** Attempts sent again after a timeout. */
  retries: number;
  /** Moves to the next endpoint. */
  failovers: number;
  /** Calls that failed with `ServiceUnavailableError`. */
  failures: number;
  /** Calls cancelled through their signal. */
  aborted: number;
  /** REQ sockets created since start. */
  socketsCreated: number;
  /** REQ sockets open now (busy and idle). */
  socketsOpen: number;
  /** Of which idle, ready for reuse. */
  socketsIdle: number;
  /** Calls waiting for a free socket now. */
  waiting: number;
}

interface Slot {
  socket: zmq.Request;
  endpointIndex: number;
  /** Set when the socket was closed on purpose (abort or close) while in use. */
  cancelled: "abort" | "close" | undefined;
}

interface Waiter {
  resolve: (slot: Slot) => void;
  reject: (error: Error) => void;
}

/**
 * A Majordomo client: `request(service, body)` sends an MDP/0.1 REQUEST to a
 * broker and resolves with the reply body.
 *
 * **Concurrency on the 0.1 wire.** MDP/0.1 replies carry no request id, so a
 * client cannot tell which of several outstanding requests a reply answers
 * if they share a socket. This client therefore gives every outstanding
 * request its own REQ socket, from a bounded pool (`maxSockets`):
 * - a REQ socket has at most one request in flight and the broker routes
 *   the reply to that socket's identity, so a reply can only reach the call
 *   that sent the request;
 * - when an attempt times out, its socket is closed and a fresh one (with a
 *   new identity) is used for the retry, as protocols.md §5.7 prescribes; a
 *   late reply to the old attempt is addressed to an identity that no
 *   longer exists, so the broker's ROUTER drops it and it can never reach
 *   another call, even after a broker restart;
 * - a socket that got its reply is back in its send state and goes to an
 *   idle list for the next call, so steady traffic creates no sockets.
 *
 * The wire is exactly the reference's: `[∅ | "MDPC01" | service | body…]`.
 *
 * **Failover.** With several endpoints, a timeout on the current endpoint
 * moves the client to the next one; idle sockets connected to the old one
 * are closed. Concurrent timeouts on the same endpoint move it once.
 */
export class MajordomoClient extends TypedEmitter<MajordomoClientEvents> {
  private readonly endpointList: readonly string[];
  private readonly timeout: number;
  private readonly retries: number;
  private readonly maxSockets: number;
  private readonly curve: CurveClientOptions | undefined;
  private readonly log: Logger;
  private current = 0;
  private idle: Slot[] = [];
  private readonly busy = new Set<Slot>();
  private open = 0;
  private readonly waiters = new LinkedList<Waiter>();
  private closed = false;
  private readonly counters = {
    requests: 0,
    replies: 0,
    timeouts: 0,
    retries: 0,
    failovers: 0,
    failures: 0,
    aborted: 0,
    socketsCreated: 0,
  };

  /** @param options - see {@link MajordomoClientOptions}. */
  constructor(options: MajordomoClientOptions) {
    super();
    const endpoints = typeof options.endpoint === "string" ? [options.endpoint] : [...(options.endpoint ?? [])];
    if (endpoints.length === 0 || endpoints.some((e) => typeof e !== "string" || e.length === 0)) {
      throw new InvalidOptionError("endpoint: give one broker endpoint or a non-empty list");
    }
    this.endpointList = endpoints;
    this.timeout = checkNumber("timeout", options.timeout ?? MAJORDOMO_DEFAULTS.timeout, 1);
    this.retries = Math.floor(checkNumber("retries", options.retries ?? MAJORDOMO_DEFAULTS.retries, 1));
    this.maxSockets = Math.floor(checkNumber("maxSockets", options.maxSockets ?? MAJORDOMO_DEFAULTS.maxSockets, 1));
    this.curve = options.curve;
    this.log = taggedLogger(options.logger, "mdp-client");
  }

  /** The broker endpoints, in failover order. */
  get endpoints(): readonly string[] {
    return this.endpointList;
  }

  /** The endpoint new attempts go to. */
  get endpoint(): string {
    return this.endpointList[this.current]!;
  }

  /**
   * Opens one socket to the current endpoint ahead of the first request.
   * Optional: `request()` opens sockets as needed. Idempotent.
   */
  async start(): Promise<void> {
    if (this.closed) throw new ClosedError("Majordomo client is closed");
    if (this.idle.length === 0 && this.busy.size === 0 && this.open < this.maxSockets) {
      this.open++;
      this.idle.push(this.createSlot());
    }
  }

  /**
   * Sends `body` to `service` through the broker and resolves with the reply
   * body frames. Each attempt waits `timeout` ms; on timeout the socket is
   * destroyed and the request is sent again on a fresh socket (to the next
   * endpoint if there are several), up to `retries` attempts in all.
   *
   * @param service - the service name (`mmi.*` names are answered by the broker).
   * @param body - one frame or several (at least one).
   * @param options - timeout, retries and an abort signal for this call.
   * @throws `ServiceUnavailableError` after the last attempt timed out;
   *   `AbortError` when `signal` aborts; `ClosedError` when the client closes;
   *   `ProtocolError` when the broker's reply is not a valid MDP/0.1 reply to
   *   this service; `InvalidOptionError` for a bad argument.
   */
  async request(service: string, body: Frame | readonly Frame[], options: MajordomoRequestOptions = {}): Promise<Buffer[]> {
    if (this.closed) throw new ClosedError("Majordomo client is closed");
    if (typeof service !== "string" || service.length === 0) throw new InvalidOptionError("service must be a non-empty string");
    const bodyFrames = Array.isArray(body) ? (body as readonly Frame[]) : [body as Frame];
    if (bodyFrames.length === 0) throw new InvalidOptionError("body needs at least one frame");
    const timeout = options.timeout === undefined ? this.timeout : checkNumber("timeout", options.timeout, 1);
    const retries = options.retries === undefined ? this.retries : Math.floor(checkNumber("retries", options.retries, 1));
    const signal = options.signal;
    throwIfAborted(signal);
    this.counters.requests++;

    // What the REQ socket sends: it adds the empty delimiter itself.
    const frames: Frame[] = [MDPC_FRAME, toBuffer(service)];
    for (const f of bodyFrames) frames.push(f);

    let slot: Slot | undefined = await this.acquire(signal);
    const onAbort = signal ? () => this.cancel(slot, "abort") : undefined;
    if (onAbort) signal!.addEventListener("abort", onAbort, { once: true });
    const tried: string[] = [];
    try {
      throwIfAborted(signal); // aborted while waiting for a socket, just as one came free
      for (let attempt = 1; ; attempt++) {
        const endpoint = this.endpointList[slot.endpointIndex]!;
        tried.push(endpoint);
        const reply = await this.attempt(slot, frames, timeout);
        if (reply !== undefined) {
          const result = this.checkReply(reply, service);
          this.counters.replies++;
          const done = slot;
          slot = undefined;
          this.release(done);
          return result;
        }
        // Timed out: this socket may still get the late reply, so it is never reused.
        this.counters.timeouts++;
        this.log.warn?.(`no reply from ${endpoint} for "${service}" within ${timeout} ms (attempt ${attempt}/${retries})`);
        this.failoverFrom(slot.endpointIndex);
        if (attempt >= retries) {
          this.counters.failures++;
          throw new ServiceUnavailableError(attempt, tried);
        }
        this.counters.retries++;
        this.replace(slot);
        if (this.hasListeners("retry")) {
          this.emit("retry", { service, attempt, endpoint, nextEndpoint: this.endpointList[slot.endpointIndex]! });
        }
      }
    } catch (err) {
      throw this.failure(err, signal);
    } finally {
      if (onAbort) signal!.removeEventListener("abort", onAbort);
      if (slot !== undefined) this.discard(slot);
    }
  }

  /**
   * Asks the broker whether `name` has at least one worker (8/MMI
   * `mmi.service`).
   *
   * @param name - the service name.
   * @param options - timeout, retries and signal, as for {@link MajordomoClient.request}.
   * @returns `true` for `"200"`, `false` for `"404"`.
   * @throws like {@link MajordomoClient.request}; `ProtocolError` for any other answer.
   */
  async serviceAvailable(name: string, options: MajordomoRequestOptions = {}): Promise<boolean> {
    const reply = await this.request(MMI_SERVICE, name, options);
    const code = reply[reply.length - 1]!.toString("utf8");
    if (code === MMI_OK) return true;
    if (code === MMI_NOT_FOUND) return false;
    throw new ProtocolError(`Unexpected mmi.service answer ${JSON.stringify(code)}`);
  }

  /** Counters and gauges; see {@link MajordomoClientStats}. */
  stats(): MajordomoClientStats {
    return {
      ...this.counters,
      socketsOpen: this.open,
      socketsIdle: this.idle.length,
      waiting: this.waiters.length,
    };
  }

  /**
   * Closes every socket. Pending calls reject with `ClosedError`; later calls
   * too. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let waiter;
    while ((waiter = this.waiters.shift()) !== undefined) waiter.reject(new ClosedError("Majordomo client is closed"));
    for (const slot of this.idle) closeSocket(slot.socket);
    this.open -= this.idle.length;
    this.idle = [];
    for (const slot of this.busy) this.cancel(slot, "close");
  }

  // --- one attempt ----------------------------------------------------------

  /** Sends and waits; resolves with the reply, or `undefined` on timeout. */
  private async attempt(slot: Slot, frames: Frame[], timeout: number): Promise<Buffer[] | undefined> {
    const socket = slot.socket;
    try {
      socket.receiveTimeout = timeout;
      await socket.send(frames);
      return await socket.receive();
    } catch (err) {
      if (slot.cancelled !== undefined) throw err; // mapped by failure()
      if (isZmqError(err, "EAGAIN")) return undefined;
      throw err;
    }
  }

  private checkReply(reply: Buffer[], service: string): Buffer[] {
    let msg;
    try {
      msg = decodeAfterDelimiter(reply, 0);
    } catch (err) {
      throw err instanceof MdpProtocolError ? err : new ProtocolError(String(err));
    }
    if (msg.type !== "client") throw new ProtocolError(`Expected an MDPC01 reply, got ${msg.type}`);
    if (msg.service !== service) throw new ProtocolError(`Reply for service "${msg.service}", expected "${service}"`);
    return msg.body;
  }

  private failure(err: unknown, signal: AbortSignal | undefined): Error {
    if (err instanceof ServiceUnavailableError || err instanceof ProtocolError || err instanceof InvalidOptionError) return err;
    if (signal?.aborted) {
      this.counters.aborted++;
      return err instanceof AbortError ? err : new AbortError(undefined, { cause: signal.reason });
    }
    if (this.closed) return err instanceof ClosedError ? err : new ClosedError("Majordomo client is closed");
    return err instanceof Error ? err : new Error(String(err));
  }

  // --- the socket pool ------------------------------------------------------

  private createSlot(): Slot {
    const options: Record<string, unknown> = { linger: 0 };
    if (this.curve) options.curve = this.curve;
    const socket = createSocket("request", options);
    socket.connect(this.endpointList[this.current]!);
    this.counters.socketsCreated++;
    return { socket, endpointIndex: this.current, cancelled: undefined };
  }

  private acquire(signal: AbortSignal | undefined): Slot | Promise<Slot> {
    let slot: Slot | undefined;
    while ((slot = this.idle.pop()) !== undefined) {
      if (slot.endpointIndex === this.current && !slot.socket.closed) {
        this.busy.add(slot);
        return slot;
      }
      closeSocket(slot.socket);
      this.open--;
    }
    if (this.open < this.maxSockets) {
      this.open++;
      const fresh = this.createSlot();
      this.busy.add(fresh);
      return fresh;
    }
    return new Promise<Slot>((resolve, reject) => {
      let node: ListNode<Waiter> | undefined = undefined;
      const abort = () => {
        if (node) this.waiters.remove(node);
        this.counters.aborted++;
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      node = this.waiters.push({
        resolve: (s) => {
          signal?.removeEventListener("abort", abort);
          this.busy.add(s);
          resolve(s);
        },
        reject: (e) => {
          signal?.removeEventListener("abort", abort);
          reject(e);
        },
      });
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  /** A slot whose socket got its reply: reuse it. */
  private release(slot: Slot): void {
    this.busy.delete(slot);
    if (this.closed) {
      closeSocket(slot.socket);
      this.open--;
      return;
    }
    if (slot.endpointIndex !== this.current) {
      closeSocket(slot.socket);
      this.open--;
      this.wakeWaiter();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(slot);
    else this.idle.push(slot);
  }

  /** A slot that must not be reused (failed, aborted, closed): close it and free its place. */
  private discard(slot: Slot): void {
    this.busy.delete(slot);
    closeSocket(slot.socket);
    this.open--;
    this.wakeWaiter();
  }

  private wakeWaiter(): void {
    if (this.closed || this.waiters.length === 0 || this.open >= this.maxSockets) return;
    const waiter = this.waiters.shift()!;
    this.open++;
    waiter.resolve(this.createSlot());
  }

  /** Closes the slot's socket and gives the slot a fresh one on the current endpoint. */
  private replace(slot: Slot): void {
    closeSocket(slot.socket);
    const fresh = this.createSlot();
    slot.socket = fresh.socket;
    slot.endpointIndex = fresh.endpointIndex;
  }

  /** Closes a busy slot's socket so its pending send/receive fails at once. */
  private cancel(slot: Slot | undefined, why: "abort" | "close"): void {
    if (slot === undefined || slot.cancelled !== undefined) return;
    slot.cancelled = why;
    closeSocket(slot.socket);
  }

  private failoverFrom(index: number): void {
    if (this.endpointList.length < 2 || this.current !== index) return;
    const from = this.endpointList[index]!;
    this.current = (index + 1) % this.endpointList.length;
    this.counters.failovers++;
    for (const slot of this.idle) closeSocket(slot.socket);
    this.open -= this.idle.length;
    this.idle = [];
    const to = this.endpointList[this.current]!;
    this.log.warn?.(`failover from ${from} to ${to}`);
    this.emit("failover", { from, to });
  }
}
