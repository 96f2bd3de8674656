/**
 * `@zmq-reliable/core/metrics`: a role's `stats()` as Prometheus metrics
 * (`prom-client`), and the HTTP endpoint the CLIs serve with `--metrics`
 * (`/metrics`, `/healthz`, `/readyz`). A separate entry point: importing
 * `@zmq-reliable/core` never loads `prom-client`.
 *
 * @packageDocumentation
 */
export * from "./listen.js";
export * from "./register.js";
export * from "./server.js";
export * from "./shape.js";
