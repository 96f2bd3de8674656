/**
 * The vocabulary of the request-client machine: its events and their
 * payloads, its stats, its inputs, actions and options.
 *
 * @module
 */
import type { ServiceUnavailableError, ZmqReliableError } from "../pure/errors.js";
import type { EventMap } from "../pure/machine.js";
import type { Frame } from "../pure/frames.js";
import type { LatencySummary } from "../pure/latency.js";
import type { EmitAction, MessageInput, SendFailedInput, SettleAction, WakeInput } from "../pure/machine.js";
import type { RetryPolicy, RetryReason } from "./retry-plan.js";

/** Payload of a request client's `retry` event. */
export interface RetryEvent {
  /** The call's number, counting from 1 per client. */
  readonly request: number;
  /** The number of the new send: 2 for the first retry. */
  readonly attempt: number;
  /** The endpoint of the new send. */
  readonly endpoint: string;
  /** The endpoint of the send before it. */
  readonly previous: string;
  /** Why the previous send is given up on. */
  readonly reason: RetryReason;
}

/** Payload of a request client's `failover` event. */
export interface FailoverEvent {
  /** The call that moved. */
  readonly request: number;
  /** The endpoint given up on. */
  readonly from: string;
  /** The endpoint tried next. */
  readonly to: string;
  /** Why. */
  readonly reason: RetryReason;
}

/** Payload of a request client's `give-up` event. */
export interface GiveUpEvent {
  /** The call's number. */
  readonly request: number;
  /** How many sends were made. */
  readonly attempts: number;
  /** The endpoint of each send, in order. */
  readonly endpoints: readonly string[];
  /** The error the call rejects with. */
  readonly error: ServiceUnavailableError;
}

/** Payload of a request client's `reconnect` event: a retry goes out on a fresh socket. */
export interface ReconnectEvent {
  /** The call's number. */
  readonly request: number;
  /** The send the fresh socket carries. */
  readonly attempt: number;
  /** The endpoint of the previous send. */
  readonly closed: string;
  /** The endpoint the fresh socket connects to. */
  readonly endpoint: string;
}

/** Payload of a request client's `drop` event: a reply no caller gets. */
export interface ClientDropEvent {
  /**
   * `"malformed"`: `validate` rejected it (the attempt then waits for its
   * timeout); `"stale"`: it came on a socket whose attempt was already over.
   */
  readonly reason: "malformed" | "stale";
  /** The call it came for, when known. */
  readonly request: number | undefined;
  /** The endpoint it came from. */
  readonly endpoint: string;
  /** The reply frames. */
  readonly reply: Buffer[];
}

/** Events every request client emits. */
export type RequestClientEvents = {
  /** A send got no reply and the request goes out again. */
  retry: [RetryEvent];
  /** A call moved to another endpoint. */
  failover: [FailoverEvent];
  /** Every attempt failed; the call rejects with `ServiceUnavailableError`. */
  "give-up": [GiveUpEvent];
  /** A retry goes out on a fresh socket (the old one closed, linger 0). */
  reconnect: [ReconnectEvent];
  /** A reply was thrown away. */
  drop: [ClientDropEvent];
};

/** Counters and gauges of a request client. */
export interface RequestClientStats {
  /** Calls accepted. */
  requests: number;
  /** Calls that got their reply. */
  replies: number;
  /** Calls that ended with an error (give-up, protocol error, deadline, abort, close). */
  failures: number;
  /** Sends after a call's first. */
  retries: number;
  /** Attempts that timed out. */
  timeouts: number;
  /** Moves to another endpoint. */
  failovers: number;
  /** Calls being sent right now. */
  inFlight: number;
  /** Calls waiting for a free slot right now. */
  queued: number;
  /** Sends made, first ones and retries. */
  sends: number;
  /** Retries on a fresh socket after closing the previous one. */
  reconnects: number;
  /** Calls aborted through their signal. */
  aborted: number;
  /** Replies thrown away (`drop` events): `malformed` plus `stale`. */
  dropped: number;
  /** Replies rejected by `validate`. */
  malformed: number;
  /** Replies that came for an attempt already over, thrown away. */
  stale: number;
  /** REQ sockets opened so far. */
  socketsOpened: number;
  /** REQ sockets open right now (busy and idle). */
  openSockets: number;
  /** Of which idle, ready for the next call. */
  idleSockets: number;
  /** `request()` call → reply, ms, successful calls only (retries included): percentiles over the last 1024 within 60 s. */
  latency: LatencySummary;
}

/** Opens a call: send `frames` and settle with the reply. */
export interface RequestInput {
  /** Discriminant. */
  readonly type: "request";
  /** The call's id (from the driver). */
  readonly call: number;
  /** What the REQ socket sends (it adds the empty delimiter). */
  readonly frames: Buffer[];
  /** Sends in all; default the machine's. */
  readonly attempts?: number;
  /** Per-attempt timeout in ms; default the machine's. */
  readonly timeout?: number;
  /** Whole-call deadline in ms from now, rejecting with `TimeoutError`; default none. */
  readonly deadline?: number;
  /** Turns the reply into the call's value; a throw rejects the call with it (a `ZmqReliableError`). */
  readonly decode?: (reply: Buffer[]) => Buffer[];
}

/** Inputs of {@link RequestClientState}. */
export type RequestClientInput =
  | WakeInput
  | RequestInput
  | MessageInput<Buffer[]>
  | SendFailedInput
  | {
      /** Discriminant: a call was aborted (the driver rejected it already). */
      readonly type: "cancel";
      /** The call's id. */
      readonly call: number;
    }
  | {
      /** Discriminant: a call was refused before it started (an already aborted signal). */
      readonly type: "refused";
    }
  | {
      /** Discriminant: a socket's connection went down (`up: false`) or was made (`up: true`). */
      readonly type: "link";
      /** The socket's channel name. */
      readonly channel: string;
      /** Whether it is connected. */
      readonly up: boolean;
    }
  | {
      /** Discriminant: the socket of an `open` action could not be made. */
      readonly type: "open-failed";
      /** Its channel name. */
      readonly channel: string;
      /** Why. */
      readonly error: ZmqReliableError;
    }
  | {
      /** Discriminant: connect ahead of the first call (`start()`). */
      readonly type: "warm";
    }
  | {
      /** Discriminant: reject every call with `error`, close every socket, refuse later calls. */
      readonly type: "close";
      /** What calls reject with. */
      readonly error: ZmqReliableError;
    };

/** Send the request on a socket (core's `SendAction`, as a type the `Driver` accepts). */
export type LinkSendAction = {
  /** Discriminant. */
  readonly type: "send";
  /** The socket's channel name. */
  readonly channel: string;
  /** The request. */
  readonly frames: Frame[];
};

/** Open a REQ socket connected to `endpoint`, known as `channel` from now on. */
export type OpenAction = {
  /** Discriminant. */
  readonly type: "open";
  /** The channel name sends and messages use. */
  readonly channel: string;
  /** Index of the endpoint in the policy's list. */
  readonly index: number;
  /** The endpoint. */
  readonly endpoint: string;
};

/** Close a socket at once (linger 0). */
export type CloseLinkAction = {
  /** Discriminant. */
  readonly type: "close";
  /** Its channel name. */
  readonly channel: string;
};

/** Actions of {@link RequestClientState}. */
export type RequestClientAction = LinkSendAction | OpenAction | CloseLinkAction | EmitAction<RequestClientEvents & EventMap> | SettleAction<Buffer[]>;

/** Options of {@link RequestClientState}. */
export interface RequestClientStateOptions {
  /** Plans every call. */
  policy: RetryPolicy;
  /** Calls in flight at once, each on its own socket; also the idle sockets kept. */
  concurrency: number;
  /** Calls that may wait for a slot; past it a call rejects with `BackpressureError`. */
  maxQueued: number;
  /** Default sends in all per call. */
  attempts: number;
  /** Default per-attempt timeout in ms. */
  timeout: number;
  /**
   * Checks a reply against its request; a rejected reply is dropped
   * (`drop` with reason `"malformed"`) and the attempt waits for its timeout.
   */
  validate?: (reply: Buffer[], request: Buffer[]) => boolean;
  /** The role's name for error messages, e.g. `"LazyPirateClient"`. */
  name?: string;
}
