/**
 * How the queue role logs its machine's events: one line each, at the level
 * the event deserves (workers coming at `info`, going and lost requests at
 * `warn`, drops at `debug`).
 *
 * @module
 */
import { describeFrame, escapeForLog, type Logger } from "@zmq-reliable/core";
import type { QueueDropEvent, QueueStateEvents, RequestLostEvent, WorkerExpiredEvent, WorkerReadyEvent } from "./queue-events.js";

/**
 * A routing id as hex, for log lines.
 *
 * @param id - the id.
 */
export function hex(id: Buffer): string {
  return id.toString("hex");
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
 * Logs one of the machine's events on `log`; builds no string for a level the logger lacks.
 *
 * @param log - the role's (tagged) logger.
 * @param event - the event name.
 * @param payload - its payload.
 */
export function logQueueEvent(log: Logger, event: keyof QueueStateEvents, payload: unknown): void {
  switch (event) {
    case "ready": {
      const e = payload as WorkerReadyEvent;
      return log.info?.(`worker ${hex(e.worker)} ready`);
    }
    case "expire": {
      const e = payload as WorkerExpiredEvent;
      return log.warn?.(`worker ${hex(e.worker)} expired after ${Math.round(e.silentFor)} ms of silence${e.busy ? " holding a request" : ""}`);
    }
    case "request-lost": {
      const e = payload as RequestLostEvent;
      return log.warn?.(`request from client ${e.client[0] ? hex(e.client[0]) : "?"} lost with worker ${hex(e.worker)} (${e.cause})`);
    }
    case "drop": {
      const e = payload as QueueDropEvent;
      const from = e.worker ? ` from worker ${hex(e.worker)}` : e.client?.[0] ? ` from client ${hex(e.client[0])}` : "";
      return log.debug?.(`dropped (${e.reason})${from}${e.error ? `: ${escapeForLog(e.error.message)}` : ""}`);
    }
  }
}
