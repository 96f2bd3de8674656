/**
 * The Majordomo worker's behaviour (MDP/Worker 0.1), without sockets or
 * timers: core's worker link ({@link WorkerLinkState}) on the MDP worker wire.
 * READY with the service on every fresh connection, heartbeats both ways
 * (also while the handler runs), the broker's liveness (held against it only
 * while the line has no request in hand: the reference broker never
 * heartbeats busy workers), reconnects with back-off (`reconnect.initial`
 * doubling up to `reconnect.max`, reset once the broker talks again) rotating
 * through the endpoints, DISCONNECT from the broker, one request at a time. A
 * failed handler says DISCONNECT and registers again at once on a fresh
 * socket, so the broker hands the request to another worker. Closing says
 * DISCONNECT.
 *
 * @module
 */
import {
  checkNumber,
  type Frame,
  InvalidOptionError,
  type LinkDropReason,
  type LinkIncoming,
  type WorkerConnectOptions,
  workerEndpoints,
  type WorkerLinkOptions,
  WorkerLinkState,
  type WorkerWire,
} from "@zmq-reliable/core";
import { MAJORDOMO_DEFAULTS } from "./defaults.js";
import { decode, encodeDisconnect, encodeHeartbeat, encodeReady, encodeWorkerReply, isMmiService, MdpProtocolError } from "./protocol.js";

/** Why the MDP worker wire drops a message from a broker. */
export type WorkerWireDropReason =
  /** Not valid MDP/0.1 (`detail` names the {@link MalformedReason}). */
  | "malformed"
  /** A valid command a broker must not send (READY, REPLY, a client message; `detail` names it). */
  | "unexpected-command";

/** Why a worker dropped a message, a request or a reply: the wire's reasons and the link's. */
export type WorkerDropReason = LinkDropReason<WorkerWireDropReason>;

/** A request as the worker holds it. */
export interface MajordomoWorkerRequest {
  /** The client's address frame, as the broker gave it (echoed in the reply). */
  client: Buffer;
  /** The content frames, handed to the handler. */
  body: Buffer[];
}

/**
 * The MDP/Worker 0.1 wire for one service: READY `[∅, "MDPW01", 0x01, service]`,
 * HEARTBEAT, DISCONNECT, REPLY `[∅, "MDPW01", 0x03, client, ∅, body…]`.
 *
 * @param service - the service the worker registers.
 */
export function mdpWorkerWire(service: string): WorkerWire<MajordomoWorkerRequest, WorkerWireDropReason> {
  const serviceFrame = Buffer.from(service, "utf8");
  return {
    ready: () => encodeReady(serviceFrame),
    heartbeat: encodeHeartbeat,
    disconnect: encodeDisconnect,
    reply: (request: MajordomoWorkerRequest, body: Frame[]) => encodeWorkerReply(request.client, body),
    classify(frames: Buffer[]): LinkIncoming<MajordomoWorkerRequest, WorkerWireDropReason> {
      let message;
      try {
        message = decode(frames, 0);
      } catch (error) {
        return { type: "malformed", reason: "malformed", detail: error instanceof MdpProtocolError ? error.reason : "unknown" };
      }
      switch (message.type) {
        case "request":
          return { type: "request", request: { client: message.client, body: message.body } };
        case "heartbeat":
          return { type: "heartbeat" };
        case "disconnect":
          return { type: "disconnect" };
        default:
          return { type: "other", reason: "unexpected-command", detail: message.type };
      }
    },
    onHandlerError: "reconnect",
  };
}

/**
 * Options of {@link MajordomoWorkerState}: `endpoint` (the broker, or
 * several: see `brokers`), `heartbeatInterval` (ms between heartbeats to the
 * broker; default 2500), `liveness` (silent intervals after which the broker
 * is considered dead; default 3), `reconnect` (`initial`, default 2500 ms,
 * doubling up to `max`, default 32,000 ms or `initial` when larger; reset once
 * the broker talks again), `random`, and the MDP options below.
 */
export interface MajordomoWorkerStateOptions extends WorkerConnectOptions {
  /** The service name to register (not `mmi.*`, which brokers refuse). */
  service: string;
  /**
   * `"failover"` (default): one broker connection at a time, endpoints
   * rotated on each reconnect. `"all"`: one connection per endpoint, each
   * registered, heartbeated and reconnected on its own; requests from all of
   * them are handled one at a time. Use `"all"` with a broker pair where only
   * the active one serves clients (Binary Star), so the worker is registered
   * wherever clients are admitted.
   */
  brokers?: "failover" | "all";
}

/**
 * Validates a worker's options and resolves them against
 * {@link MAJORDOMO_DEFAULTS} into the link's.
 *
 * @param options - the worker's options.
 * @throws `InvalidOptionError` (core) for a missing or empty `endpoint`, a bad `service`, or bad numbers.
 */
export function majordomoWorkerLinkOptions(options: MajordomoWorkerStateOptions): WorkerLinkOptions<MajordomoWorkerRequest, WorkerWireDropReason> {
  const endpoints = workerEndpoints(options.endpoint, "endpoint: give one broker endpoint or a non-empty list");
  const service = options.service;
  if (typeof service !== "string" || service.length === 0) throw new InvalidOptionError("service must be a non-empty string");
  if (Buffer.byteLength(service) > 255) throw new InvalidOptionError("service must be at most 255 bytes");
  if (isMmiService(service)) throw new InvalidOptionError(`service "${service}" is in the broker's mmi.* namespace`);
  const defaults = MAJORDOMO_DEFAULTS.reconnect;
  const initial = checkNumber("reconnect.initial", options.reconnect?.initial ?? defaults.initial, 0);
  const max = checkNumber("reconnect.max", options.reconnect?.max ?? Math.max(initial, defaults.max), initial);
  return {
    wire: mdpWorkerWire(service),
    lines: options.brokers === "all" ? endpoints.map((e) => [e]) : [endpoints],
    heartbeatInterval: options.heartbeatInterval ?? MAJORDOMO_DEFAULTS.heartbeatInterval,
    liveness: options.liveness ?? MAJORDOMO_DEFAULTS.liveness,
    reconnect: { ...options.reconnect, initial, max },
    random: options.random,
  };
}

/**
 * The pure MDP worker: core's {@link WorkerLinkState} on {@link mdpWorkerWire}.
 * Feed it `start`, the brokers' messages, `done` results, `close`, and `wake`
 * at {@link WorkerLinkState.wakeAt}; perform the actions it returns.
 */
export class MajordomoWorkerState extends WorkerLinkState<MajordomoWorkerRequest, WorkerWireDropReason> {
  /**
   * @param options - see {@link MajordomoWorkerStateOptions}.
   * @param now - the current clock time.
   */
  constructor(options: MajordomoWorkerStateOptions, now: number) {
    super(majordomoWorkerLinkOptions(options), now);
  }
}
