/**
 * The error hierarchy shared by every zmq-reliable package. Every error
 * extends {@link ZmqReliableError} and carries a stable string {@link ZmqReliableError.code}
 * that callers can switch on without `instanceof` (which breaks across duplicated installs).
 *
 * @module
 */

/** Stable codes carried by {@link ZmqReliableError.code}. */
export type ErrorCode =
  | "ERR_TIMEOUT"
  | "ERR_SERVICE_UNAVAILABLE"
  | "ERR_PROTOCOL"
  | "ERR_CLOSED"
  | "ERR_ABORTED"
  | "ERR_BACKPRESSURE"
  | "ERR_UNREACHABLE"
  | "ERR_SOCKET"
  | "ERR_INVALID_OPTION"
  | "ERR_NOT_STARTED";

/** Base class of every error thrown or rejected by zmq-reliable. */
export class ZmqReliableError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: ErrorCode;

  /**
   * @param code - the stable code for this kind of failure.
   * @param message - a human-readable description.
   * @param options - standard `ErrorOptions`; pass `cause` to keep the underlying error.
   */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An operation did not complete within its deadline. */
export class TimeoutError extends ZmqReliableError {
  /**
   * @param message - what timed out.
   * @param options - standard `ErrorOptions`.
   */
  constructor(message = "Operation timed out", options?: ErrorOptions) {
    super("ERR_TIMEOUT", message, options);
  }
}

/** Every attempt of a request failed: retries are exhausted. */
export class ServiceUnavailableError extends ZmqReliableError {
  /** How many times the request was sent. */
  readonly attempts: number;
  /** The endpoints that were tried, in order (one entry per attempt). */
  readonly endpoints: readonly string[];

  /**
   * @param attempts - how many sends were made.
   * @param endpoints - the endpoint of each attempt.
   * @param message - optional override of the generated message.
   */
  constructor(attempts: number, endpoints: readonly string[], message?: string) {
    super(
      "ERR_SERVICE_UNAVAILABLE",
      message ??
        `Service unavailable after ${attempts} attempt${attempts === 1 ? "" : "s"} (${[...new Set(endpoints)].join(", ")})`,
    );
    this.attempts = attempts;
    this.endpoints = endpoints;
  }
}

/** A peer sent a message that does not follow the protocol. */
export class ProtocolError extends ZmqReliableError {
  /**
   * @param message - what was wrong with the message.
   * @param options - standard `ErrorOptions`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_PROTOCOL", message, options);
  }
}

/** The object was closed; pending and later calls fail with this. */
export class ClosedError extends ZmqReliableError {
  /** @param message - what was closed. */
  constructor(message = "Closed") {
    super("ERR_CLOSED", message);
  }
}

/** The call was cancelled through its `AbortSignal`. */
export class AbortError extends ZmqReliableError {
  /**
   * @param message - description.
   * @param options - standard `ErrorOptions`; `cause` is the signal's reason.
   */
  constructor(message = "The operation was aborted", options?: ErrorOptions) {
    super("ERR_ABORTED", message, options);
  }
}

/**
 * A send could not be queued: the socket's high-water mark is reached (or its
 * `sendTimeout` expired) or too many sends are already waiting.
 */
export class BackpressureError extends ZmqReliableError {
  /**
   * @param message - description.
   * @param options - standard `ErrorOptions`.
   */
  constructor(message = "Send queue is full", options?: ErrorOptions) {
    super("ERR_BACKPRESSURE", message, options);
  }
}

/** A ROUTER with `mandatory` set was asked to send to a peer it does not know. */
export class UnreachableError extends ZmqReliableError {
  /**
   * @param message - description.
   * @param options - standard `ErrorOptions`.
   */
  constructor(message = "Peer is unreachable", options?: ErrorOptions) {
    super("ERR_UNREACHABLE", message, options);
  }
}

/** Any other failure reported by the underlying ZeroMQ socket. */
export class SocketError extends ZmqReliableError {
  /** The ZeroMQ error code (`"EFSM"`, `"EADDRINUSE"`, …) when known. */
  readonly zmqCode: string | undefined;

  /**
   * @param message - description.
   * @param zmqCode - the underlying ZeroMQ error code.
   * @param options - standard `ErrorOptions`.
   */
  constructor(message: string, zmqCode?: string, options?: ErrorOptions) {
    super("ERR_SOCKET", message, options);
    this.zmqCode = zmqCode;
  }
}

/** An option value is out of range or of the wrong kind. */
export class InvalidOptionError extends ZmqReliableError {
  /** @param message - which option and why. */
  constructor(message: string) {
    super("ERR_INVALID_OPTION", message);
  }
}

/** A role was asked for something only a started role has (a bound endpoint, say) before `start()` resolved. */
export class NotStartedError extends ZmqReliableError {
  /** @param message - what was asked for. */
  constructor(message: string) {
    super("ERR_NOT_STARTED", message);
  }
}

/** An `Error` with a string errno `code`, as zeromq.js raises them. */
export interface ZmqErrorLike extends Error {
  /** The errno name, e.g. `"EAGAIN"`. */
  code: string;
}

/**
 * Whether `err` is an error raised by zeromq.js with the given errno code
 * (`"EAGAIN"`, `"EHOSTUNREACH"`, …).
 *
 * @param err - anything caught.
 * @param code - the code to test for; omit to accept any code.
 */
export function isZmqError(err: unknown, code?: string): err is ZmqErrorLike {
  if (!(err instanceof Error)) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === "string" && (code === undefined || c === code);
}

/**
 * Maps an error raised by a zeromq.js `send()` to the matching typed error.
 *
 * @param err - the caught error.
 * @param what - a short description of the socket, used in messages.
 */
export function fromSendError(err: unknown, what = "socket"): ZmqReliableError {
  if (err instanceof ZmqReliableError) return err;
  if (isZmqError(err, "EAGAIN")) return new BackpressureError(`${what}: send would block (high-water mark reached or no peer)`, { cause: err });
  if (isZmqError(err, "EHOSTUNREACH")) return new UnreachableError(`${what}: peer is unreachable`, { cause: err });
  if (isZmqError(err, "EBADF") || isZmqError(err, "ENOTSOCK")) return new ClosedError(`${what} is closed`);
  const code = isZmqError(err) ? err.code : undefined;
  return new SocketError(`${what}: ${err instanceof Error ? err.message : String(err)}`, code, { cause: err });
}

/**
 * Validates that `value` is a finite number no smaller than `min`.
 *
 * @param name - option name used in the error message.
 * @param value - the value to check.
 * @param min - the smallest allowed value.
 * @throws {@link InvalidOptionError} when out of range.
 */
export function checkNumber(name: string, value: number, min = 0): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(`${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
  return value;
}
