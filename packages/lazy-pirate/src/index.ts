/**
 * `@zmq-reliable/lazy-pirate`: the zguide's Lazy Pirate pattern on zeromq v6.
 * {@link LazyPirateClient} makes any REQ/REP service reliable from the client
 * side (timeout, close-and-reopen, resend, failover across endpoints);
 * {@link LazyPirateServer} is a REP-equivalent server with an async handler
 * that a throwing or hanging handler cannot wedge, with fault injection for
 * demos and tests. The wire is plain REQ/REP frames ([Lazy Pirate protocol: frames](https://zmq-reliable.github.io/zmq-reliable/documents/Lazy_Pirate_protocol.html#frames)).
 *
 * @packageDocumentation
 */
export {
  LAZY_PIRATE_DEFAULTS,
  LazyPirateClient,
  type LazyPirateClientEvents,
  type LazyPirateClientOptions,
  type LazyPirateClientStats,
  type RequestOptions,
} from "./client.js";
/** Re-exported from `@zmq-reliable/core`: the payloads of the client's events and its failover policies. */
export type { ClientDropEvent, FailoverEvent, FailoverPolicy, GiveUpEvent, ReconnectEvent, RetryEvent } from "@zmq-reliable/core";
export { type FaultDecision, type FaultOptions, FaultPlan } from "./faults.js";
export { decodeSequence, encodeRequest, encodeSequence, isEcho } from "./protocol.js";
export {
  type FaultEvent,
  type HandlerContext,
  type HandlerErrorEvent,
  type HandlerTimeoutEvent,
  LAZY_PIRATE_SERVER_DEFAULTS,
  type LazyPirateHandler,
  type LazyPirateServerEvents,
  type LazyPirateServerOptions,
  type LazyPirateServerStats,
  type ServerDropEvent,
  type ServerDropReason,
} from "./server-options.js";
export { LazyPirateServer } from "./server.js";
