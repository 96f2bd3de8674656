/**
 * The Majordomo client role (MDP/Client 0.1) with retries, endpoint
 * failover and many concurrent requests: a configuration of core's
 * `RequestClient`.
 *
 * @module
 */
import type { Frame, RequestClientEvents, RequestClientStats, RetryingClientOptions, RetryingRequestOptions } from "@zmq-reliable/core";
import {
  type CloseOptions,
  InvalidOptionError,
  ProtocolError,
  RequestClient,
  RotationPolicy,
  TypedEmitter,
  checkNumber,
  retryingCallOptions,
  retryingClientSettings,
  toBuffer,
} from "@zmq-reliable/core";
import { MAJORDOMO_DEFAULTS } from "./defaults.js";
import { MDPC_FRAME, MMI_NOT_FOUND, MMI_OK, MMI_SERVICE, MdpProtocolError, decodeAfterDelimiter } from "./protocol.js";

/**
 * Options of {@link MajordomoClient}: those of every retrying client (core's
 * `RetryingClientOptions`). `endpoint` is the broker, or several brokers in
 * failover order (e.g. a Binary Star pair): a timeout on the current one
 * moves the client to the next (wrapping around) for its next attempt and
 * for later requests. `concurrency` defaults to 256, `maxQueued` to
 * unbounded. Each outstanding request holds a socket: past about 1,000
 * sockets in a process, raise `zmq.context.maxSockets` (libzmq's default is
 * 1,023) before the first socket is created.
 */
export type MajordomoClientOptions = RetryingClientOptions;

/** Per-call options of {@link MajordomoClient.request}: `timeout`, `attempts` and `signal` (core's `RetryingRequestOptions`). */
export type MajordomoRequestOptions = RetryingRequestOptions;

/** Events of {@link MajordomoClient}: `retry`, `failover`, `give-up`, `reconnect` and `drop`, as every request client. */
export type MajordomoClientEvents = RequestClientEvents;

/** Counters and gauges of {@link MajordomoClient}: those of every request client. */
export type MajordomoClientStats = RequestClientStats;

/**
 * A Majordomo client: `request(service, body)` sends an MDP/0.1 REQUEST to a
 * broker and resolves with the reply body.
 *
 * **Concurrency on the 0.1 wire.** MDP/0.1 replies carry no request id, so a
 * client cannot tell which of several outstanding requests a reply answers
 * if they share a socket. This client therefore gives every outstanding
 * request its own REQ socket, up to `concurrency` of them:
 * - a REQ socket has at most one request in flight and the broker routes
 *   the reply to that socket's identity, so a reply can only reach the call
 *   that sent the request;
 * - when an attempt times out, its socket is closed and a fresh one (with a
 *   new identity) is used for the retry, as [Majordomo protocol: state machine](https://zmq-reliable.github.io/zmq-reliable/documents/Majordomo_protocol.html#state-machine) prescribes; a
 *   late reply to the old attempt is addressed to an identity that no
 *   longer exists, so the broker's ROUTER drops it and it can never reach
 *   another call, even after a broker restart;
 * - a socket that got its reply is back in its send state and kept idle for
 *   the next call, so steady traffic creates no sockets.
 *
 * The wire is exactly the reference's: `[∅ | "MDPC01" | service | body…]`.
 *
 * **Failover.** With several endpoints, a timeout on the current endpoint
 * moves the client to the next one (the `"follow"` policy); idle sockets
 * connected to the old one are closed. Concurrent timeouts on the same
 * endpoint move it once.
 */
export class MajordomoClient extends TypedEmitter<MajordomoClientEvents> {
  private readonly policy: RotationPolicy;
  private readonly client: RequestClient;

  /** @param options - see {@link MajordomoClientOptions}. */
  constructor(options: MajordomoClientOptions) {
    super();
    const { endpoints, timeout, attempts } = retryingClientSettings(options, MAJORDOMO_DEFAULTS, { maxSockets: "concurrency" });
    if (endpoints.length === 0 || endpoints.some((e) => typeof e !== "string" || e.length === 0)) {
      throw new InvalidOptionError("endpoint: give one broker endpoint or a non-empty list");
    }
    this.policy = new RotationPolicy(endpoints, "follow");
    this.client = new RequestClient({
      name: "MajordomoClient",
      policy: this.policy,
      timeout,
      attempts,
      concurrency: Math.floor(checkNumber("concurrency", options.concurrency ?? MAJORDOMO_DEFAULTS.concurrency, 1)),
      maxQueued: options.maxQueued === undefined ? Number.POSITIVE_INFINITY : Math.floor(checkNumber("maxQueued", options.maxQueued, 0)),
      curve: options.curve,
      logger: options.logger,
      clock: options.clock,
      emit: (event, ...args) => this.emit(event as "retry", ...(args as MajordomoClientEvents["retry"])),
    });
  }

  /** The broker endpoints, in failover order. */
  get endpoints(): readonly string[] {
    return this.policy.endpoints;
  }

  /** The endpoint new attempts go to. */
  get endpoint(): string {
    return this.policy.endpoints[this.policy.current]!;
  }

  /**
   * Opens one socket to the current endpoint ahead of the first request.
   * Optional: `request()` opens sockets as needed. Idempotent.
   *
   * @throws `ClosedError` after close.
   */
  start(): Promise<void> {
    return this.client.start();
  }

  /**
   * Sends `body` to `service` through the broker and resolves with the reply
   * body frames. Each attempt waits `timeout` ms; on timeout the socket is
   * destroyed and the request is sent again on a fresh socket (to the next
   * endpoint if there are several), up to `attempts` sends in all.
   *
   * @param service - the service name (`mmi.*` names are answered by the broker).
   * @param body - one frame or several (at least one).
   * @param options - timeout, attempts and an abort signal for this call.
   * @throws `ServiceUnavailableError` after the last attempt timed out;
   *   `AbortError` when `signal` aborts; `ClosedError` when the client closes;
   *   `ProtocolError` when the broker's reply is not a valid MDP/0.1 reply to
   *   this service; `InvalidOptionError` for a bad argument.
   */
  async request(service: string, body: Frame | readonly Frame[], options: MajordomoRequestOptions = {}): Promise<Buffer[]> {
    const call = retryingCallOptions(options);
    if (typeof service !== "string" || service.length === 0) throw new InvalidOptionError("service must be a non-empty string");
    const bodyFrames = Array.isArray(body) ? (body as readonly Frame[]) : [body as Frame];
    if (bodyFrames.length === 0) throw new InvalidOptionError("body needs at least one frame");
    // What the REQ socket sends: it adds the empty delimiter itself.
    const frames: Buffer[] = [MDPC_FRAME, toBuffer(service)];
    for (const f of bodyFrames) frames.push(toBuffer(f));
    return this.client.request(frames, { ...call, decode: (reply) => checkReply(reply, service) });
  }

  /**
   * Asks the broker whether `name` has at least one worker (8/MMI
   * `mmi.service`).
   *
   * @param name - the service name.
   * @param options - timeout, attempts and signal, as for {@link MajordomoClient.request}.
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
    return this.client.stats();
  }

  /**
   * Stops taking requests; lets those already made finish for at most
   * `timeout` ms (default 0); then rejects what is left with `ClosedError`,
   * closes every socket (linger 0) and cancels every timer, so the process
   * can exit. Idempotent.
   *
   * @param options - `timeout`: how long requests in progress may still finish.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.client.close(options);
  }
}

/** The reply's body, after checking it is an MDPC01 reply from `service`; throws `ProtocolError` otherwise. */
function checkReply(reply: Buffer[], service: string): Buffer[] {
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
