/**
 * How the queue role logs its machine's events: one line each, at the level
 * the event deserves (workers coming at `info`; going, lost and re-queued
 * requests and drops at `warn`). A peer can repeat these at will (a READY from
 * a worker holding a request is a re-queued or lost request and a
 * registration; a flood is a drop per message), so each kind is rate-limited:
 * the first 10 in 10 s, then one summary line per window (core's `limitedLog`;
 * `configureDropLog`).
 *
 * @module
 */
import { describeFrame, escapeForLog, limitedLog, type Logger } from "@zmq-reliable/core";
import type { QueueDropEvent, QueueStateEvents, RequestLostEvent, RetryEvent, WorkerExpiredEvent, WorkerReadyEvent } from "./queue-events.js";

/**
 * A routing id as hex, for log lines.
 *
 * @param id - the id.
 */
export function hex(id: Buffer): string {
  return id.toString("hex");
}

/**
 * A client's routing id (the envelope's first frame) as hex, `undefined` without one: a line's `peer` field.
 *
 * @param envelope - the client's envelope.
 */
function clientPeer(envelope: readonly Buffer[]): string | undefined {
  return envelope[0] ? hex(envelope[0]) : undefined;
}

/**
 * Frames as a short readable trace, for debug lines.
 *
 * @param frames - the message.
 */
export function trace(frames: readonly Buffer[]): string {
  return frames.map((f) => describeFrame(f)).join(" | ");
}

/**
 * Logs one of the machine's events on `log`, rate-limited per kind; builds no string for a level the logger lacks.
 *
 * @param log - the role's (tagged) logger.
 * @param event - the event name.
 * @param payload - its payload.
 */
export function logQueueEvent(log: Logger, event: keyof QueueStateEvents, payload: unknown): void {
  switch (event) {
    case "ready": {
      const e = payload as WorkerReadyEvent;
      return limitedLog(log).info.warn("worker ready", () => `worker ${hex(e.worker)} ready`, { peer: hex(e.worker) });
    }
    case "expire": {
      const e = payload as WorkerExpiredEvent;
      return limitedLog(log).warn.warn("worker expired", () => `worker ${hex(e.worker)} expired after ${Math.round(e.silentFor)} ms of silence${e.busy ? " holding a request" : ""}`, { peer: hex(e.worker), reason: "expire" });
    }
    case "request-lost": {
      const e = payload as RequestLostEvent;
      return limitedLog(log).warn.warn(`request lost: ${e.cause}`, () => `request from client ${e.client[0] ? hex(e.client[0]) : "?"} lost with worker ${hex(e.worker)} (${e.cause})`, { peer: clientPeer(e.client), worker: hex(e.worker), reason: e.cause });
    }
    case "retry": {
      const e = payload as RetryEvent;
      return limitedLog(log).warn.warn("re-dispatch", () => `request from client ${e.client[0] ? hex(e.client[0]) : "?"} given back by worker ${hex(e.previous)} (${e.reason}), re-queued (attempt ${e.attempt})`, { peer: clientPeer(e.client), previous: hex(e.previous), reason: e.reason, attempt: e.attempt });
    }
    case "drop": {
      const e = payload as QueueDropEvent;
      const from = e.worker ? ` from worker ${hex(e.worker)}` : e.client?.[0] ? ` from client ${hex(e.client[0])}` : "";
      const peer = e.worker ? hex(e.worker) : e.client ? clientPeer(e.client) : undefined;
      return limitedLog(log).warn.warn(e.reason, () => `dropped (${e.reason})${from}${e.error ? `: ${escapeForLog(e.error.message)}` : ""}`, { reason: e.reason, peer });
    }
  }
}
