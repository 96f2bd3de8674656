/**
 * A ZAP (ZeroMQ RFC 27) authenticator that runs in-process: it binds
 * `inproc://zeromq.zap.01` in the sockets' context and admits CURVE clients
 * whose public key is on an allow-list.
 *
 * @module
 */
import * as zmq from "zeromq";
import { Channel } from "../io/channel.js";
import { z85Encode } from "./curve.js";
import { ProtocolError, SocketError } from "../pure/errors.js";
import { isZmqError } from "../pure/errors.js";
import { TypedEmitter } from "../io/events.js";
import type { Logger } from "../pure/logger.js";
import { taggedLogger } from "../pure/logger.js";
import { quoteForLog } from "../pure/log-escape.js";

/** The endpoint libzmq sends ZAP requests to (fixed by RFC 27). */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

/** A parsed ZAP request (RFC 27), without the ROUTER envelope. */
export interface ZapRequest {
  /** Opaque request id, echoed in the reply. */
  requestId: Buffer;
  /** The server socket's `zapDomain`. */
  domain: string;
  /** The client's IP address. */
  address: string;
  /** The client's routing identity. */
  identity: Buffer;
  /** `"NULL"`, `"PLAIN"` or `"CURVE"`. */
  mechanism: string;
  /** Mechanism credentials; for CURVE, one 32-byte public key. */
  credentials: Buffer[];
}

/** A ZAP decision. */
export interface ZapDecision {
  /** RFC 27 status: `"200"` accepted, `"400"` denied. */
  status: "200" | "400";
  /** Human-readable reason. */
  text: string;
  /** The user id reported to the server socket (the client's Z85 key for CURVE). */
  userId: string;
}

/** The policy {@link decideZap} applies. */
export interface ZapPolicy {
  /** Allowed CURVE client public keys (Z85). */
  allow: ReadonlySet<string>;
  /** Whether NULL-mechanism connections on a socket with a `zapDomain` are accepted. */
  allowNull: boolean;
  /**
   * Allow-lists by ZAP domain: a CURVE client of a socket whose `zapDomain`
   * is listed here must present one of that domain's keys (`allow` does not
   * apply there). Default none.
   */
  domains?: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Accept every CURVE client of a domain without its own list (encryption
   * without an allow-list), while the listed domains stay restricted.
   * Default `false`.
   */
  allowAnyCurve?: boolean;
}

/**
 * Parses the frames after the ROUTER envelope: `[∅, "1.0", requestId, domain,
 * address, identity, mechanism, credentials…]`.
 *
 * @param frames - the frames following the routing id.
 * @throws {@link ProtocolError} when the request is malformed.
 */
export function parseZapRequest(frames: readonly Buffer[]): ZapRequest {
  if (frames.length < 7) throw new ProtocolError(`ZAP request has ${frames.length} frames, expected at least 7`);
  const [delimiter, version, requestId, domain, address, identity, mechanism, ...credentials] = frames as Buffer[];
  if (delimiter!.length !== 0) throw new ProtocolError("ZAP request lacks the empty delimiter");
  if (version!.toString() !== "1.0") throw new ProtocolError(`Unsupported ZAP version ${version!.toString()}`);
  return {
    requestId: requestId!,
    domain: domain!.toString(),
    address: address!.toString(),
    identity: identity!,
    mechanism: mechanism!.toString(),
    credentials,
  };
}

/**
 * Decides a ZAP request: CURVE clients must present a key allowed in their
 * socket's domain (the domain's own list, else `allow`, or any key with
 * `allowAnyCurve`); NULL is
 * accepted only when the policy says so; anything else is denied. Pure.
 *
 * @param request - the parsed request.
 * @param policy - the allow-list and NULL rule.
 */
export function decideZap(request: ZapRequest, policy: ZapPolicy): ZapDecision {
  if (request.mechanism === "CURVE") {
    const key = request.credentials[0];
    if (!key || key.length !== 32) return { status: "400", text: "Malformed CURVE credentials", userId: "" };
    const z85 = z85Encode(key);
    const listed = policy.domains?.get(request.domain);
    const allowed = listed ? listed.has(z85) : policy.allowAnyCurve === true || policy.allow.has(z85);
    return allowed
      ? { status: "200", text: "OK", userId: z85 }
      : { status: "400", text: "Client key not allowed", userId: "" };
  }
  if (request.mechanism === "NULL" && policy.allowNull) return { status: "200", text: "OK", userId: "" };
  return { status: "400", text: `Mechanism ${request.mechanism} not allowed`, userId: "" };
}

/** How many denied client keys are remembered as logged before the memory starts over. */
const MAX_DENIED_LOGGED = 1024;

/** A request's client key for a log line: its Z85 public key for CURVE, `-` otherwise. */
function clientKey(request: ZapRequest): string {
  const key = request.credentials[0];
  return request.mechanism === "CURVE" && key?.length === 32 ? z85Encode(key) : "-";
}

/** Options of {@link ZapAuthenticator}. */
export interface ZapAuthenticatorOptions {
  /** Allowed CURVE client public keys (Z85). More can be added with {@link ZapAuthenticator.allow}. */
  allow?: Iterable<string>;
  /** Accept NULL-mechanism connections on sockets that set a `zapDomain`. Default `false`. */
  allowNull?: boolean;
  /** Allow-lists by ZAP domain (e.g. `PEER_ZAP_DOMAIN`: only the pair's peer); see {@link ZapPolicy.domains}. */
  domains?: Readonly<Record<string, Iterable<string>>>;
  /** Accept any CURVE client on sockets whose domain has no list of its own; see {@link ZapPolicy.allowAnyCurve}. Default `false`. */
  allowAnyCurve?: boolean;
  /** The context whose sockets are authenticated; default zeromq's global context. */
  context?: zmq.Context;
  /** Optional logger. */
  logger?: Logger;
}

/** Events of {@link ZapAuthenticator}. */
export type ZapEvents = {
  /** Emitted after every decision. */
  decision: [request: ZapRequest, decision: ZapDecision];
};

/** Counters of {@link ZapAuthenticator}. */
export interface ZapStats {
  /** Connections accepted. */
  accepted: number;
  /** Connections denied. */
  denied: number;
  /** Malformed ZAP requests dropped. */
  malformed: number;
}

/**
 * The ZAP handler. Start one per context before binding CURVE servers; while
 * it runs, only clients whose public key is allowed complete the handshake.
 * Without a ZAP handler libzmq lets *any* CURVE client in.
 *
 * ```ts
 * const zap = new ZapAuthenticator({ allow: [client.publicKey] });
 * await zap.start();
 * // … servers with { curve: { secretKey } } …
 * await zap.close();
 * ```
 */
export class ZapAuthenticator extends TypedEmitter<ZapEvents> {
  private readonly keys: Set<string>;
  private readonly allowNull: boolean;
  private readonly domains: Map<string, Set<string>>;
  private readonly allowAnyCurve: boolean;
  /** Client keys whose denial was logged, so a client retrying every 100 ms is one line, not one a retry. */
  private readonly deniedLogged = new Set<string>();
  private readonly context: zmq.Context | undefined;
  private readonly log: Logger;
  private channel: Channel<zmq.Router> | undefined;
  private counters: ZapStats = { accepted: 0, denied: 0, malformed: 0 };

  /** @param options - see {@link ZapAuthenticatorOptions}. */
  constructor(options: ZapAuthenticatorOptions = {}) {
    super();
    this.keys = new Set(options.allow ?? []);
    this.allowNull = options.allowNull ?? false;
    this.domains = new Map(Object.entries(options.domains ?? {}).map(([domain, keys]) => [domain, new Set(keys)]));
    this.allowAnyCurve = options.allowAnyCurve ?? false;
    this.context = options.context;
    this.log = taggedLogger(options.logger, "zap");
  }

  /** Adds a client public key (Z85) to the allow-list. */
  allow(publicKey: string): void {
    this.keys.add(publicKey);
  }

  /** Removes a client public key; later handshakes with it are denied. */
  revoke(publicKey: string): void {
    this.keys.delete(publicKey);
  }

  /** A snapshot of the counters. */
  stats(): ZapStats {
    return { ...this.counters };
  }

  /**
   * Binds the handler. Rejects with {@link SocketError} (`EADDRINUSE`) if
   * another ZAP handler already runs in the same context.
   */
  async start(): Promise<void> {
    if (this.channel) return;
    const socket = new zmq.Router({ linger: 0, ...(this.context ? { context: this.context } : {}) });
    try {
      await socket.bind(ZAP_ENDPOINT);
    } catch (err) {
      socket.close();
      throw new SocketError(`ZAP handler: cannot bind ${ZAP_ENDPOINT}: ${(err as Error).message}`, isZmqError(err) ? err.code : undefined, { cause: err });
    }
    this.channel = new Channel(socket, { name: "zap", onError: (e) => this.log.warn?.(e.message) });
    this.channel.listen((message) => this.onRequest(message));
    this.log.info?.(`listening on ${ZAP_ENDPOINT}`);
  }

  private onRequest(message: Buffer[]): void {
    const [routingId, ...rest] = message;
    let request: ZapRequest;
    try {
      request = parseZapRequest(rest);
    } catch (err) {
      this.counters.malformed++;
      this.log.warn?.(`dropped malformed request: ${(err as Error).message}`);
      return;
    }
    const policy: ZapPolicy = { allow: this.keys, allowNull: this.allowNull, domains: this.domains, allowAnyCurve: this.allowAnyCurve };
    const decision = decideZap(request, policy);
    if (decision.status === "200") this.counters.accepted++;
    else this.counters.denied++;
    const who = `${request.mechanism} client ${clientKey(request)} from ${quoteForLog(request.address)}${request.domain === "" ? "" : ` (domain ${quoteForLog(request.domain)})`}`;
    if (decision.status !== "200" && this.log.warn) {
      const key = `${request.domain}\n${clientKey(request)}`;
      if (!this.deniedLogged.has(key)) {
        if (this.deniedLogged.size >= MAX_DENIED_LOGGED) this.deniedLogged.clear();
        this.deniedLogged.add(key);
        this.log.warn(`denied ${who}: ${decision.text} (logged once per key; its later refusals are only counted)`);
      }
    }
    this.log.debug?.(`${who}: ${decision.status} ${decision.text}`);
    this.channel?.post([routingId!, Buffer.alloc(0), "1.0", request.requestId, decision.status, decision.text, decision.userId, Buffer.alloc(0)]);
    this.emit("decision", request, decision);
  }

  /** Unbinds the handler. Idempotent. */
  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close();
  }
}
