/**
 * How the {@link BinaryStar} role logs its machine's events.
 *
 * @module
 */
import { limitedLog, type Logger } from "@zmq-reliable/core";
import type { BinaryStarEvents, FatalEvent, PeerStateEvent, StateChangeEvent, StateDropEvent } from "./node-events.js";

/**
 * Logs one of the node's events the way the reference does (state changes and
 * the peer's state at `info`, malformed state messages at `warn`, fatal errors
 * at `error`), building no string for a level the logger lacks. Anything on
 * the state link can send state messages (without CURVE), so state changes and
 * peer states are rate-limited per kind like drops (the first 10 in 10 s, then
 * one summary line per window; core's `DropLog`).
 *
 * @param log - where to log.
 * @param event - the event's name.
 * @param payload - its payload.
 */
export function logNodeEvent(log: Logger, event: keyof BinaryStarEvents, payload: unknown): void {
  if (event === "state-change" && log.info) {
    const e = payload as StateChangeEvent;
    limitedLog(log).info.warn("state-change", () => `${e.from} -> ${e.to} on ${e.event}: ${e.note}`, { state: e.to, previous: e.from, event: e.event });
  } else if (event === "peer-state" && log.info) {
    const e = payload as PeerStateEvent;
    limitedLog(log).info.warn("peer-state", () => `peer is ${e.state}${e.previous ? ` (was ${e.previous})` : ""}`, { peerState: e.state, previous: e.previous });
  } else if (event === "drop") {
    const e = payload as StateDropEvent;
    log.warn?.({ reason: e.reason }, `ignored malformed state message: ${e.error.message}`);
  } else if (event === "fatal") {
    // No longer emitted (kept for compatibility).
    const e = payload as FatalEvent;
    log.error?.({ reason: e.reason, state: e.state, peerState: e.peerState }, `fatal error - ${e.reason === "dual-active" ? "dual actives" : "dual passives"}; stopped`);
  }
}
