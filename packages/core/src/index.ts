/**
 * `@zmq-reliable/core`: the shared socket core of zmq-reliable. Socket
 * lifecycle with safe defaults, frames and envelopes, one receive loop and a
 * serialized send path per socket, clock and timers, back-off,
 * heartbeat/liveness tracking, typed errors and events, CURVE and ZAP, and the
 * admission hook that lets patterns compose.
 *
 * Test helpers (a fake clock, child-process control) live in
 * `@zmq-reliable/core/testing`.
 *
 * @packageDocumentation
 */
export * from "./abort.js";
export * from "./admission.js";
export * from "./backoff.js";
export * from "./channel.js";
export * from "./clock.js";
export * from "./collections.js";
export * from "./curve.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./frames.js";
export * from "./heartbeat.js";
export * from "./logger.js";
export * from "./random.js";
export * from "./socket.js";
export * from "./zap.js";
