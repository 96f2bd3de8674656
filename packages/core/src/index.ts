/**
 * `@zmq-reliable/core`: the shared socket core of zmq-reliable. The machine
 * contract every protocol state machine implements and the driver that runs
 * one over sockets; socket lifecycle with safe defaults, one receive loop and
 * a serialized send path per socket, frames and envelopes, clock and timers,
 * back-off, heartbeat/liveness tracking, typed errors and events, CURVE and
 * ZAP, and the admission hook that lets patterns compose.
 *
 * Test helpers (a fake clock, child-process control) live in
 * `@zmq-reliable/core/testing`.
 *
 * @packageDocumentation
 */
export * from "./pure/admission.js";
export * from "./pure/backoff.js";
export * from "./pure/cli-flags.js";
export * from "./pure/cli-help.js";
export * from "./pure/limit-flags.js";
export * from "./pure/clock.js";
export * from "./pure/collections.js";
export * from "./pure/id-map.js";
export * from "./pure/errors.js";
export * from "./pure/frames.js";
export * from "./pure/heartbeat.js";
export * from "./pure/latency.js";
export * from "./pure/logger.js";
export * from "./pure/log-escape.js";
export * from "./pure/machine.js";
export * from "./pure/random.js";
export * from "./io/abort.js";
export * from "./io/channel.js";
export * from "./io/cli.js";
export * from "./io/cli-logger.js";
export * from "./io/drop-log.js";
export * from "./io/driver.js";
export * from "./io/endpoints.js";
export * from "./io/events.js";
export * from "./io/lifecycle.js";
export * from "./io/socket.js";
export * from "./io/system-clock.js";
export * from "./io/request-server.js";
export * from "./io/request-server-types.js";
export * from "./io/request-server-flags.js";
export * from "./machines/request-slots.js";
export * from "./io/worker-link.js";
export * from "./io/worker-role.js";
export * from "./io/worker-pool.js";
export * from "./machines/worker-link.js";
export * from "./machines/worker-link-types.js";
export * from "./machines/worker-options.js";
export * from "./security/curve.js";
export * from "./security/zap.js";
export * from "./security/key-files.js";
export * from "./pure/curve-cert.js";
export * from "./io/cli-curve.js";
export * from "./machines/retry-plan.js";
export * from "./machines/attempt-schedule.js";
export * from "./machines/rotation-policy.js";
export * from "./machines/failover-plan.js";
export * from "./machines/request-client-types.js";
export * from "./machines/request-client.js";
export * from "./io/request-client.js";
export * from "./io/request-client-options.js";
