/**
 * `@zmq-reliable/majordomo`: the Majordomo pattern (7/MDP 0.1 with 8/MMI
 * service discovery) on zeromq v6: a broker, a client and a worker that
 * speak the reference wire byte for byte, and follow the RFCs where the
 * reference code does not.
 *
 * - {@link MajordomoBroker}: one ROUTER for clients and workers; heartbeats,
 *   expiry, re-dispatch of requests whose worker vanished, request expiry,
 *   MMI, an admission hook; also the `majordomo-broker` command.
 * - {@link MajordomoClient}: `request(service, body)` with timeouts, retries
 *   on fresh sockets, endpoint failover and many concurrent requests.
 * - {@link MajordomoWorker}: an async handler behind READY, heartbeats and
 *   reconnects with back-off, on core's worker link ({@link MajordomoWorkerState}).
 * - The wire codec ({@link decode}, {@link encode}, …) and the broker's rules
 *   as a pure machine on core's contract ({@link BrokerState}) for tests and
 *   custom roles.
 *
 * @packageDocumentation
 */
export { MAJORDOMO_DEFAULTS } from "./defaults.js";
export {
  MAX_ADDRESS_BYTES,
  MAX_SERVICE_NAME_BYTES,
  MDPC_CLIENT,
  MDPW_WORKER,
  MMI_NOT_FOUND,
  MMI_NOT_IMPLEMENTED,
  MMI_OK,
  MMI_PREFIX,
  MMI_SERVICE,
  MdpCommand,
  type MdpCommandByte,
  MdpProtocolError,
  type MalformedReason,
  type MdpSubprotocol,
  type MdpMessage,
  type MdpClientMessage,
  type MdpReady,
  type MdpRequest,
  type MdpReply,
  type MdpHeartbeat,
  type MdpDisconnect,
  type EncodeOptions,
  decode,
  decodeAfterDelimiter,
  encode,
  encodeClientMessage,
  encodeDisconnect,
  encodeHeartbeat,
  encodeReady,
  encodeWorkerReply,
  isMmiService,
} from "./protocol.js";
export {
  BrokerState,
  type BrokerInput,
  type BrokerAction,
  type ShutdownInput,
  type DrainInput,
} from "./broker-state.js";
export type {
  BrokerStateEvent,
  BrokerStateEvents,
  BrokerStats,
  DisconnectEvent,
  DrainedEvent,
  DropEvent,
  DropReason,
  ExpireEvent,
  ReadyEvent,
  RetryEvent,
  ServiceStats,
  WorkerGoneReason,
} from "./broker-events.js";
export { MajordomoBroker } from "./broker.js";
export { BROKER_DRAIN_FLAG, BROKER_LIMIT_FLAGS, type BrokerLimitFlags, type BrokerLimitOption, brokerLimitFields, brokerLimitOptions } from "./broker-flags.js";
export type { RouterSend } from "./broker-dispatch-state.js";
export type { BrokerLimits, BrokerStateOptions, MajordomoBrokerEvents, MajordomoBrokerOptions } from "./broker-options.js";
export {
  MajordomoClient,
  type MajordomoClientEvents,
  type MajordomoClientOptions,
  type MajordomoClientStats,
  type MajordomoRequestOptions,
} from "./client.js";
export {
  MajordomoWorker,
  type MajordomoHandler,
  type MajordomoRequestContext,
  type MajordomoWorkerEvents,
  type MajordomoWorkerOptions,
  type MajordomoWorkerStats,
  type WorkerDropEvent,
} from "./worker.js";
export {
  majordomoWorkerLinkOptions,
  type MajordomoWorkerRequest,
  MajordomoWorkerState,
  type MajordomoWorkerStateOptions,
  mdpWorkerWire,
  type WorkerDropReason,
  type WorkerWireDropReason,
} from "./worker-state.js";
