/**
 * What the Majordomo broker role logs: one line per event, and, when the
 * logger has `debug`, every message in and out. Nothing is formatted for a
 * level the logger lacks.
 *
 * @module
 */
import type { Frame, Logger, Machine, ZmqReliableError } from "@zmq-reliable/core";
import { describeFrame, escapeForLog, limitedLog, quoteForLog } from "@zmq-reliable/core";
import type { BrokerStateEvent } from "./broker-events.js";
import type { BrokerAction, BrokerInput } from "./broker-state.js";

/**
 * Logs one broker event at its level: drops, expiries and re-dispatches warn;
 * registrations and disconnects inform. Every line a peer can repeat at will
 * (drops, registrations, disconnects, re-dispatches) is rate-limited per kind
 * (core's `limitedLog`: 10 per kind per 10 s, then one summary line); errors are errors. Every
 * peer-supplied string (service names, details, error messages) is escaped
 * ({@link quoteForLog}), so a peer cannot forge, colour or flood the log.
 *
 * @param log - the role's logger.
 * @param event - the event name.
 * @param payload - its payload.
 */
export function logEvent(log: Logger, event: string, payload: unknown): void {
  const e = payload as BrokerStateEvent;
  switch (event) {
    case "drop":
      if (e.type === "drop") {
        limitedLog(log).warn.warn(e.reason, () => `drop (${e.reason})${e.detail ? ` ${escapeForLog(e.detail)}` : ""} service=${e.service === undefined ? "-" : quoteForLog(e.service)} peer=${e.peer ?? "-"}`, {
          reason: e.reason,
          service: e.service,
          peer: e.peer,
          detail: e.detail,
        });
      }
      return;
    case "ready":
      if (e.type === "ready") limitedLog(log).info.warn("worker ready", () => `worker ${e.worker} ready for ${quoteForLog(e.service)}`, { peer: e.worker, service: e.service });
      return;
    case "disconnect":
      if (e.type === "disconnect") limitedLog(log).info.warn(`worker disconnected: ${e.reason}`, () => `worker ${e.worker} disconnected (${e.reason})`, { peer: e.worker, service: e.service, reason: e.reason });
      return;
    case "expire":
      if (e.type === "expire") log.warn?.({ peer: e.worker, service: e.service, reason: "expire" }, `worker ${e.worker} of ${quoteForLog(e.service)} expired${e.busy ? " with a request in hand" : ""}`);
      return;
    case "retry":
      if (e.type === "retry") {
        limitedLog(log).warn.warn("re-dispatch", () => `request for ${quoteForLog(e.service)} re-dispatched after worker ${e.previous} vanished (attempt ${e.attempt})`, {
          peer: e.client,
          service: e.service,
          reason: e.reason,
          previous: e.previous,
          attempt: e.attempt,
        });
      }
      return;
    case "error":
      log.error?.({ reason: (payload as ZmqReliableError).code }, escapeForLog((payload as ZmqReliableError).message, 1000));
      return;
    case "drained":
      log.info?.("drained: workers hold no request");
      return;
  }
}

/**
 * `machine` with every message in and out logged at debug level; use it only
 * when the logger has `debug`.
 *
 * @param machine - the broker's machine.
 * @param debug - the logger's `debug`.
 */
export function traced(machine: Machine<BrokerInput, BrokerAction>, debug: NonNullable<Logger["debug"]>): Machine<BrokerInput, BrokerAction> {
  const show = (frames: readonly Frame[]) => frames.map((f) => describeFrame(f)).join(" | ");
  return {
    handle(input, now) {
      if (input.type === "message") debug(`recv ${show(input.message)}`);
      const actions = machine.handle(input, now);
      for (const action of actions) if (action.type === "send") debug(`send ${show(action.frames)}`);
      return actions;
    },
    wakeAt: () => machine.wakeAt(),
  };
}
