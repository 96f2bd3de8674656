/**
 * The Majordomo Protocol 0.1 wire (7/MDP) and 8/MMI service discovery, byte
 * for byte ([Majordomo protocol: frames](https://zmq-reliable.github.io/zmq-reliable/documents/Majordomo_protocol.html#frames)).
 *
 * Every MDP/0.1 message starts with an empty frame, then a 6-byte ASCII
 * header that names the sub-protocol:
 *
 * | message | frames (after the ROUTER routing id, if any) |
 * |---|---|
 * | client REQUEST / broker REPLY | `∅`, `"MDPC01"`, service, body… (≥ 1 body frame) |
 * | READY (worker → broker) | `∅`, `"MDPW01"`, `0x01`, service |
 * | REQUEST (broker → worker) | `∅`, `"MDPW01"`, `0x02`, client address, `∅`, body… (≥ 1 body frame) |
 * | REPLY (worker → broker) | `∅`, `"MDPW01"`, `0x03`, client address, `∅`, body… (≥ 1 body frame) |
 * | HEARTBEAT (both) | `∅`, `"MDPW01"`, `0x04` |
 * | DISCONNECT (both) | `∅`, `"MDPW01"`, `0x05` |
 *
 * A REQ socket adds and strips the leading `∅` itself; a DEALER or ROUTER
 * must write and read it. The encoders here always produce it; pass
 * `delimiter: false` (or call {@link decodeAfterDelimiter}) for REQ sockets.
 * Client messages carry no command byte in 0.1, so a client REQUEST and a
 * broker REPLY have the same shape and decode to the same `"client"` message.
 *
 * Decoding is strict and total: {@link decode} returns one of the
 * {@link MdpMessage} variants or throws {@link MdpProtocolError} (a core
 * `ProtocolError`) with a machine-readable {@link MalformedReason}; it never
 * throws anything else, whatever the frames.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import type { Frame } from "@zmq-reliable/core";
import { EMPTY, ProtocolError } from "@zmq-reliable/core";

/** The MDP/Client header, `"MDPC01"` (6 ASCII bytes, no terminator). */
export const MDPC_CLIENT = "MDPC01";
/** The MDP/Worker header, `"MDPW01"` (6 ASCII bytes, no terminator). */
export const MDPW_WORKER = "MDPW01";

/** Worker command bytes of MDP/0.1 (`mdp.h`). */
export const MdpCommand = {
  /** Worker → broker: register for a service. */
  READY: 0x01,
  /** Broker → worker: a client request. */
  REQUEST: 0x02,
  /** Worker → broker: the reply to a request. */
  REPLY: 0x03,
  /** Both ways: I am alive. */
  HEARTBEAT: 0x04,
  /** Both ways: the conversation is over. */
  DISCONNECT: 0x05,
} as const;

/** One of the worker command bytes in {@link MdpCommand}. */
export type MdpCommandByte = (typeof MdpCommand)[keyof typeof MdpCommand];

/** Service names starting with this are handled by the broker itself (8/MMI). */
export const MMI_PREFIX = "mmi.";
/** The MMI service every broker implements: "is this service available?". */
export const MMI_SERVICE = "mmi.service";
/** MMI reply code: the service has at least one registered worker. */
export const MMI_OK = "200";
/** MMI reply code: no worker is registered for the service. */
export const MMI_NOT_FOUND = "404";
/** MMI reply code: this `mmi.*` service is not implemented. */
export const MMI_NOT_IMPLEMENTED = "501";

/**
 * Longest service name accepted, in bytes. RFC 7 says only "printable"; the
 * limit keeps a hostile peer from creating huge map keys.
 */
export const MAX_SERVICE_NAME_BYTES = 255;
/** Longest client address frame accepted, in bytes (ZeroMQ routing ids are 1–255 bytes). */
export const MAX_ADDRESS_BYTES = 255;

/** Header frames, shared and never mutated. @internal */
export const MDPC_FRAME: Buffer = Buffer.from(MDPC_CLIENT, "ascii");
/** @internal */
export const MDPW_FRAME: Buffer = Buffer.from(MDPW_WORKER, "ascii");
/** Command frames, shared and never mutated. */
const COMMAND_FRAMES: readonly Buffer[] = [0, 1, 2, 3, 4, 5].map((c) => Buffer.from([c]));
/** @internal */
export const READY_FRAME: Buffer = COMMAND_FRAMES[MdpCommand.READY]!;
/** @internal */
export const REQUEST_FRAME: Buffer = COMMAND_FRAMES[MdpCommand.REQUEST]!;
/** @internal */
const REPLY_FRAME: Buffer = COMMAND_FRAMES[MdpCommand.REPLY]!;
/** @internal */
export const HEARTBEAT_FRAME: Buffer = COMMAND_FRAMES[MdpCommand.HEARTBEAT]!;
/** @internal */
export const DISCONNECT_FRAME: Buffer = COMMAND_FRAMES[MdpCommand.DISCONNECT]!;

/**
 * A decoded MDP/0.1 message. `B` is the frame type of bodies and addresses:
 * `Buffer` when decoded, any {@link Frame} when encoding.
 */
export type MdpMessage<B = Buffer> =
  | MdpClientMessage<B>
  | MdpReady
  | MdpRequest<B>
  | MdpReply<B>
  | MdpHeartbeat
  | MdpDisconnect;

/** `[∅ | "MDPC01" | service | body…]`: a client REQUEST, or the broker's REPLY to it. */
export interface MdpClientMessage<B = Buffer> {
  /** Discriminant. */
  type: "client";
  /** The service name. */
  service: string;
  /** Body frames, at least one. */
  body: B[];
}

/** `[∅ | "MDPW01" | 0x01 | service]`: a worker registers for a service. */
export interface MdpReady {
  /** Discriminant. */
  type: "ready";
  /** The service the worker offers. */
  service: string;
}

/** `[∅ | "MDPW01" | 0x02 | client | ∅ | body…]`: the broker hands a request to a worker. */
export interface MdpRequest<B = Buffer> {
  /** Discriminant. */
  type: "request";
  /** The client's address (its routing id at the broker), 1–255 bytes. */
  client: B;
  /** Body frames, at least one. */
  body: B[];
}

/** `[∅ | "MDPW01" | 0x03 | client | ∅ | body…]`: a worker's reply. */
export interface MdpReply<B = Buffer> {
  /** Discriminant. */
  type: "reply";
  /** The client address copied from the request. */
  client: B;
  /** Body frames, at least one. */
  body: B[];
}

/** `[∅ | "MDPW01" | 0x04]`. */
export interface MdpHeartbeat {
  /** Discriminant. */
  type: "heartbeat";
}

/** `[∅ | "MDPW01" | 0x05]`. */
export interface MdpDisconnect {
  /** Discriminant. */
  type: "disconnect";
}

/** Why a message is not valid MDP/0.1. */
export type MalformedReason =
  /** Fewer frames than the command needs (including a REQUEST/REPLY without body). */
  | "too-few-frames"
  /** More frames than READY, HEARTBEAT or DISCONNECT carry. */
  | "extra-frames"
  /** The first frame is not empty. */
  | "missing-delimiter"
  /** The header is neither `"MDPC01"` nor `"MDPW01"`. */
  | "unknown-header"
  /** The command frame is not exactly one byte. */
  | "bad-command-frame"
  /** The command byte is not 0x01–0x05. */
  | "unknown-command"
  /** The service name frame is empty. */
  | "empty-service"
  /** The service name is longer than {@link MAX_SERVICE_NAME_BYTES}. */
  | "service-too-long"
  /** The service name is not valid UTF-8 (names must map to strings one to one). */
  | "invalid-service"
  /** The client address is empty or longer than {@link MAX_ADDRESS_BYTES}. */
  | "bad-address"
  /** The frame after the client address is not empty. */
  | "missing-address-delimiter";

/** Which sub-protocol a message claimed to speak, as far as it could be read. */
export type MdpSubprotocol = "client" | "worker";

/**
 * A message that is not valid MDP/0.1. It is a core `ProtocolError`
 * (`code: "ERR_PROTOCOL"`) with the details a broker needs to decide what to
 * do: drop a client message, or DISCONNECT a worker that spoke `"MDPW01"`.
 */
export class MdpProtocolError extends ProtocolError {
  /** What is wrong. */
  readonly reason: MalformedReason;
  /** `"client"` or `"worker"` when the header was readable, `undefined` otherwise. */
  readonly subprotocol: MdpSubprotocol | undefined;
  /** The command byte, when one was read. */
  readonly command: number | undefined;

  /**
   * @param reason - what is wrong.
   * @param subprotocol - the sub-protocol named by the header, if readable.
   * @param command - the command byte, if read.
   * @param detail - extra text for the message.
   */
  constructor(reason: MalformedReason, subprotocol?: MdpSubprotocol, command?: number, detail?: string) {
    super(`Malformed MDP/0.1 message (${reason})${detail ? `: ${detail}` : ""}`);
    this.reason = reason;
    this.subprotocol = subprotocol;
    this.command = command;
  }
}

function isHeader(f: Buffer, header: Buffer): boolean {
  return f.length === 6 && f.equals(header);
}

function serviceName(f: Buffer, sub: MdpSubprotocol, command?: number): string {
  if (f.length === 0) throw new MdpProtocolError("empty-service", sub, command);
  if (f.length > MAX_SERVICE_NAME_BYTES) throw new MdpProtocolError("service-too-long", sub, command, `${f.length} bytes`);
  if (!isUtf8(f)) throw new MdpProtocolError("invalid-service", sub, command);
  return f.toString("utf8");
}

/**
 * Decodes one MDP/0.1 message whose leading empty frame is at `offset`
 * (0 for what a DEALER receives, 1 for what a ROUTER receives after the
 * routing id).
 *
 * @param frames - the received frames.
 * @param offset - index of the leading empty frame.
 * @throws {@link MdpProtocolError} for anything that is not valid MDP/0.1.
 */
export function decode(frames: readonly Buffer[], offset = 0): MdpMessage {
  const first = frames[offset];
  if (first === undefined || frames.length - offset < 2) throw new MdpProtocolError("too-few-frames");
  if (first.length !== 0) throw new MdpProtocolError("missing-delimiter");
  return decodeAfterDelimiter(frames, offset + 1);
}

/**
 * Decodes one MDP/0.1 message whose header is at `offset`, the empty
 * delimiter already removed: what a REQ socket hands to the application.
 *
 * @param frames - the received frames.
 * @param offset - index of the header frame.
 * @throws {@link MdpProtocolError} for anything that is not valid MDP/0.1.
 */
export function decodeAfterDelimiter(frames: readonly Buffer[], offset = 0): MdpMessage {
  const header = frames[offset];
  if (header === undefined) throw new MdpProtocolError("too-few-frames");
  const count = frames.length - offset; // frames from the header on
  if (isHeader(header, MDPC_FRAME)) {
    if (count < 3) throw new MdpProtocolError("too-few-frames", "client");
    return { type: "client", service: serviceName(frames[offset + 1]!, "client"), body: frames.slice(offset + 2) };
  }
  if (!isHeader(header, MDPW_FRAME)) throw new MdpProtocolError("unknown-header");
  const commandFrame = frames[offset + 1];
  if (commandFrame === undefined) throw new MdpProtocolError("too-few-frames", "worker");
  if (commandFrame.length !== 1) throw new MdpProtocolError("bad-command-frame", "worker", undefined, `${commandFrame.length} bytes`);
  const command = commandFrame[0]!;
  switch (command) {
    case MdpCommand.READY:
      if (count < 3) throw new MdpProtocolError("too-few-frames", "worker", command);
      if (count > 3) throw new MdpProtocolError("extra-frames", "worker", command);
      return { type: "ready", service: serviceName(frames[offset + 2]!, "worker", command) };
    case MdpCommand.REQUEST:
    case MdpCommand.REPLY: {
      if (count < 5) throw new MdpProtocolError("too-few-frames", "worker", command);
      const client = frames[offset + 2]!;
      if (client.length === 0 || client.length > MAX_ADDRESS_BYTES) {
        throw new MdpProtocolError("bad-address", "worker", command, `${client.length} bytes`);
      }
      if (frames[offset + 3]!.length !== 0) throw new MdpProtocolError("missing-address-delimiter", "worker", command);
      const body = frames.slice(offset + 4);
      return command === MdpCommand.REQUEST ? { type: "request", client, body } : { type: "reply", client, body };
    }
    case MdpCommand.HEARTBEAT:
    case MdpCommand.DISCONNECT:
      if (count > 2) throw new MdpProtocolError("extra-frames", "worker", command);
      return command === MdpCommand.HEARTBEAT ? { type: "heartbeat" } : { type: "disconnect" };
    default:
      throw new MdpProtocolError("unknown-command", "worker", command, `0x${command.toString(16).padStart(2, "0")}`);
  }
}

/** Options of the encoders. */
export interface EncodeOptions {
  /**
   * Whether to put the leading empty frame in front. Default `true` (DEALER,
   * ROUTER); use `false` on a REQ socket, which adds it itself.
   */
  delimiter?: boolean;
}

function bodyFrames(body: Frame | readonly Frame[]): readonly Frame[] {
  return Array.isArray(body) ? (body as readonly Frame[]) : [body as Frame];
}

function checkBody(body: readonly Frame[], what: string): void {
  if (body.length === 0) throw new ProtocolError(`${what} needs at least one body frame`);
}

/**
 * Encodes any {@link MdpMessage}. The result starts with the empty delimiter
 * unless `options.delimiter` is `false`.
 *
 * @param message - the message; bodies and addresses may be any {@link Frame}.
 * @param options - see {@link EncodeOptions}.
 * @throws `ProtocolError` for a REQUEST, REPLY or client message without body frames.
 */
export function encode(message: MdpMessage<Frame>, options?: EncodeOptions): Frame[] {
  switch (message.type) {
    case "client":
      return encodeClientMessage(message.service, message.body, options);
    case "ready":
      return withDelimiter([MDPW_FRAME, READY_FRAME, message.service], options);
    case "request":
      checkBody(message.body, "A REQUEST");
      return withDelimiter([MDPW_FRAME, REQUEST_FRAME, message.client, EMPTY, ...message.body], options);
    case "reply":
      return encodeWorkerReply(message.client, message.body, options);
    case "heartbeat":
      return withDelimiter([MDPW_FRAME, HEARTBEAT_FRAME], options);
    case "disconnect":
      return withDelimiter([MDPW_FRAME, DISCONNECT_FRAME], options);
  }
}

function withDelimiter(frames: Frame[], options: EncodeOptions | undefined): Frame[] {
  if (options?.delimiter !== false) frames.unshift(EMPTY);
  return frames;
}

/**
 * Encodes a client REQUEST (or a broker's REPLY to a client):
 * `[∅ | "MDPC01" | service | body…]`.
 *
 * @param service - the service name.
 * @param body - one frame or several (at least one).
 * @param options - `delimiter: false` for a REQ socket.
 * @throws `ProtocolError` when `body` is an empty array.
 */
export function encodeClientMessage(service: Frame, body: Frame | readonly Frame[], options?: EncodeOptions): Frame[] {
  const frames = bodyFrames(body);
  checkBody(frames, "A client message");
  return withDelimiter([MDPC_FRAME, service, ...frames], options);
}

/**
 * Encodes a worker's READY: `[∅ | "MDPW01" | 0x01 | service]`.
 *
 * @param service - the service to register.
 */
export function encodeReady(service: Frame): Frame[] {
  return [EMPTY, MDPW_FRAME, READY_FRAME, service];
}

/**
 * Encodes a worker's REPLY: `[∅ | "MDPW01" | 0x03 | client | ∅ | body…]`.
 *
 * @param client - the client address frame received with the REQUEST.
 * @param body - one frame or several (at least one).
 * @param options - see {@link EncodeOptions}.
 * @throws `ProtocolError` when `body` is an empty array.
 */
export function encodeWorkerReply(client: Frame, body: Frame | readonly Frame[], options?: EncodeOptions): Frame[] {
  const frames = bodyFrames(body);
  checkBody(frames, "A REPLY");
  return withDelimiter([MDPW_FRAME, REPLY_FRAME, client, EMPTY, ...frames], options);
}

/** Encodes HEARTBEAT: `[∅ | "MDPW01" | 0x04]`. */
export function encodeHeartbeat(): Frame[] {
  return [EMPTY, MDPW_FRAME, HEARTBEAT_FRAME];
}

/** Encodes DISCONNECT: `[∅ | "MDPW01" | 0x05]`. */
export function encodeDisconnect(): Frame[] {
  return [EMPTY, MDPW_FRAME, DISCONNECT_FRAME];
}

/**
 * Whether a service name is in the broker's own `mmi.` namespace (8/MMI).
 *
 * @param service - a service name.
 */
export function isMmiService(service: string): boolean {
  return service.startsWith(MMI_PREFIX);
}
