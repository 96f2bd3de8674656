/**
 * The machine contract: the one shape every protocol state machine in
 * zmq-reliable has. A machine is given an input (a decoded message from a
 * peer, a send that failed, the wake-up it asked for, or a command from its
 * role) together with the current clock time, and returns the actions its
 * role must perform, in order (send frames, disconnect a peer, emit an event,
 * settle a call). It answers when it next needs to be woken. It never touches
 * a socket, a timer or `Date.now()`: the {@link Driver} does, so a machine is
 * tested with plain values and a number for "now".
 *
 * ```ts
 * type Input = WakeInput | { type: "ping" };
 * type Action = EmitAction<{ pong: [] }>;
 * class Pinger implements Machine<Input, Action> {
 *   private due = Number.POSITIVE_INFINITY;
 *   handle(input: Input, now: number): Action[] {
 *     if (input.type === "ping") this.due = now + 100;
 *     else if (now >= this.due) { this.due = Number.POSITIVE_INFINITY; return [{ type: "emit", event: "pong", args: [] }]; }
 *     return [];
 *   }
 *   wakeAt(): number { return this.due; }
 * }
 * ```
 *
 * @module
 */
import type { ZmqReliableError } from "./errors.js";
import type { Frame } from "./frames.js";

/** A map from event name to the tuple of listener arguments (the events of a role). */
export type EventMap = { [event: string]: unknown[] };

/** Anything with a `type` discriminant: every machine input and action. */
export interface Tagged {
  /** Discriminant. */
  readonly type: string;
}

/**
 * A protocol state machine. `I` is the union of inputs it accepts (always
 * including {@link WakeInput}), `A` the union of actions it returns.
 */
export interface Machine<I extends Tagged, A extends Tagged> {
  /**
   * Feeds one input at clock time `now` and returns the actions to perform,
   * in order. Never throws for anything a peer sent: bad input becomes a drop
   * action or an event.
   *
   * @param input - what happened.
   * @param now - the current clock time, in ms.
   */
  handle(input: I, now: number): A[];
  /**
   * The clock time at which the machine must be given a {@link WakeInput}, or
   * `Number.POSITIVE_INFINITY` when nothing is due. Asked after every
   * {@link Machine.handle}.
   */
  wakeAt(): number;
}

/** The input a machine gets when the time it asked for (its {@link Machine.wakeAt}) has come. */
export interface WakeInput {
  /** Discriminant. */
  readonly type: "wake";
}

/** The {@link WakeInput} value; machines compare on `type`, so one instance serves. */
export const WAKE: WakeInput = Object.freeze({ type: "wake" });

/** A message received on one of the role's sockets, before or after decoding. */
export interface MessageInput<M = Buffer[], C extends string = string> {
  /** Discriminant. */
  readonly type: "message";
  /** Which of the role's sockets it came in on, e.g. `"frontend"`. */
  readonly channel: C;
  /** The message: raw frames, or what the pattern's `decode()` made of them. */
  readonly message: M;
}

/** A send the machine asked for could not be made. */
export interface SendFailedInput<C extends string = string> {
  /** Discriminant. */
  readonly type: "send-failed";
  /** The socket the send was for. */
  readonly channel: C;
  /** The frames that were not sent. */
  readonly frames: readonly Frame[];
  /** Why. */
  readonly error: ZmqReliableError;
}

/** Send `frames` on one of the role's sockets (for a ROUTER, the first frame is the peer's identity). */
export interface SendAction<C extends string = string> {
  /** Discriminant. */
  readonly type: "send";
  /** The socket to send on. */
  readonly channel: C;
  /** The whole message, envelope included. */
  readonly frames: Frame[];
}

/** Forget a peer (and, for a connecting role, drop and reopen the connection). */
export interface DisconnectAction<C extends string = string> {
  /** Discriminant. */
  readonly type: "disconnect";
  /** The socket the peer is on. */
  readonly channel: C;
  /** The peer's routing identity, or `undefined` for the one peer of a connecting socket. */
  readonly peer: Buffer | undefined;
}

/** Emit one of the role's events. */
export type EmitAction<E extends EventMap> = {
  [K in keyof E & string]: {
    /** Discriminant. */
    readonly type: "emit";
    /** The event name. */
    readonly event: K;
    /** The listener arguments. */
    readonly args: E[K];
  };
}[keyof E & string];

/** Settle a call the role made on the machine's behalf (`request()`, `call()`…): resolve it or reject it. */
export type SettleAction<T = Buffer[]> =
  | {
      /** Discriminant. */
      readonly type: "settle";
      /** The call's id, as given in the command that opened it. */
      readonly call: number;
      /** The value the call resolves with. */
      readonly value: T;
    }
  | {
      /** Discriminant. */
      readonly type: "settle";
      /** The call's id, as given in the command that opened it. */
      readonly call: number;
      /** The error the call rejects with. */
      readonly error: ZmqReliableError;
    };

/** The actions the {@link Driver} performs by itself; a machine adds its own to this union. */
export type CoreAction<C extends string = string, E extends EventMap = EventMap> = SendAction<C> | DisconnectAction<C> | EmitAction<E> | SettleAction<unknown>;

/**
 * The earliest of several wake-up times (each `Number.POSITIVE_INFINITY` when
 * nothing is due), for machines built from parts that each know their own.
 *
 * @param times - clock times.
 */
export function earliest(...times: number[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const t of times) if (t < min) min = t;
  return min;
}
