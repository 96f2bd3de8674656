/**
 * What the Majordomo broker role logs: one line per event, and, when the
 * logger has `debug`, every message in and out. Nothing is formatted for a
 * level the logger lacks.
 *
 * @module
 */
import type { Frame, Logger, Machine, ZmqReliableError } from "@zmq-reliable/core";
import { DropLog, describeFrame, escapeForLog, quoteForLog } from "@zmq-reliable/core";
import type { BrokerStateEvent } from "./broker-events.js";
import type { BrokerAction, BrokerInput } from "./broker-state.js";

/** One drop limiter per broker logger: a flood of bad messages is a few lines and a summary. */
const dropLogs = new WeakMap<Logger, DropLog>();

/**
 * The drop limiter of `log`: the first 10 drops of each reason in 10 s are
 * logged, the rest summarised in one line per reason and window.
 *
 * @param log - the role's logger.
 */
export function dropLogOf(log: Logger): DropLog {
  let drops = dropLogs.get(log);
  if (!drops) {
    drops = new DropLog(log);
    dropLogs.set(log, drops);
  }
  return drops;
}

/** One limiter per broker logger for the info lines a peer can repeat at will (registrations, disconnects). */
const infoLogs = new WeakMap<Logger, DropLog>();

/**
 * The limiter of `log`'s info lines that a peer can repeat at will (a READY,
 * a malformed message and a READY again is a registration and a disconnect
 * each time): the first 10 per kind in 10 s are logged at info level, the
 * rest summarised in one line per kind and window.
 *
 * @param log - the role's logger.
 */
export function infoLogOf(log: Logger): DropLog {
  let limiter = infoLogs.get(log);
  if (!limiter) {
    const info = log.info;
    limiter = new DropLog(info ? { warn: (message: string) => info.call(log, message) } : {});
    infoLogs.set(log, limiter);
  }
  return limiter;
}

/**
 * Writes the last window's summary lines of both limiters ({@link dropLogOf}, {@link infoLogOf}).
 *
 * @param log - the role's logger.
 */
export function flushLogs(log: Logger): void {
  dropLogOf(log).flush();
  infoLogOf(log).flush();
}

/**
 * Logs one broker event at its level: drops (rate-limited per reason, see
 * {@link dropLogOf}), expiries and re-dispatches warn; registrations and
 * disconnects inform. Every line a peer can repeat at will (drops,
 * registrations, disconnects, re-dispatches) is rate-limited per kind
 * ({@link dropLogOf}, {@link infoLogOf}); errors are errors. Every
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
        dropLogOf(log).warn(e.reason, () => `drop (${e.reason})${e.detail ? ` ${escapeForLog(e.detail)}` : ""} service=${e.service === undefined ? "-" : quoteForLog(e.service)} peer=${e.peer ?? "-"}`);
      }
      return;
    case "ready":
      if (e.type === "ready") infoLogOf(log).warn("worker ready", () => `worker ${e.worker} ready for ${quoteForLog(e.service)}`);
      return;
    case "disconnect":
      if (e.type === "disconnect") infoLogOf(log).warn(`worker disconnected: ${e.reason}`, () => `worker ${e.worker} disconnected (${e.reason})`);
      return;
    case "expire":
      if (e.type === "expire") log.warn?.(`worker ${e.worker} of ${quoteForLog(e.service)} expired${e.busy ? " with a request in hand" : ""}`);
      return;
    case "retry":
      if (e.type === "retry") dropLogOf(log).warn("re-dispatch", () => `request for ${quoteForLog(e.service)} re-dispatched after worker ${e.previous} vanished (attempt ${e.attempt})`);
      return;
    case "error":
      log.error?.(escapeForLog((payload as ZmqReliableError).message, 1000));
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
