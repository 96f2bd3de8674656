/**
 * The broker's per-service figures (`stats().byService`): what each service's
 * requests did since the service was created, and their latency (request
 * received → reply sent to the client) over a bounded window. Memory per
 * service is fixed (the latency window is allocated at the first reply), and
 * services are capped by `maxServices`.
 *
 * @module
 */
import { EMPTY_LATENCY, LatencyWindow } from "@zmq-reliable/core";
import type { DropReason, ServiceStats } from "./broker-events.js";

/** Latency samples kept per service (the broker-wide window keeps core's default, 1024). */
export const SERVICE_LATENCY_SAMPLES = 128;

/** Drop reasons that are not a request of the service lost (not counted in `failures`). */
const NOT_A_REQUEST: ReadonlySet<DropReason> = new Set<DropReason>(["malformed", "unexpected-reply", "send-failed", "internal-error"]);

/** The counters of one service, bumped in place by the broker's rules. */
export class ServiceFigures {
  /** Valid client requests for the service (refused ones included). */
  requests = 0;
  /** Replies forwarded to its clients. */
  replies = 0;
  /** Its requests dropped, any reason (they got no reply). */
  failures = 0;
  /** Messages of the service dropped, all reasons. */
  dropped = 0;
  /** Drops by reason (only reasons that happened). */
  readonly drops: Partial<Record<DropReason, number>> = {};
  private latency: LatencyWindow | undefined;

  /**
   * Counts one drop.
   *
   * @param reason - why.
   */
  drop(reason: DropReason): void {
    this.dropped++;
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    if (!NOT_A_REQUEST.has(reason)) this.failures++;
  }

  /**
   * Counts one reply and its latency.
   *
   * @param ms - request received → reply sent.
   * @param now - the current time.
   */
  reply(ms: number, now: number): void {
    this.replies++;
    (this.latency ??= new LatencyWindow({ size: SERVICE_LATENCY_SAMPLES })).record(ms, now);
  }

  /**
   * The counters with the gauges of the service, as a plain object.
   *
   * @param gauges - what the service holds right now.
   * @param now - the current time (for the latency window).
   */
  snapshot(gauges: Pick<ServiceStats, "queued" | "queuedBytes" | "workers" | "idleWorkers" | "inFlight">, now: number): ServiceStats {
    return {
      queued: gauges.queued,
      queuedBytes: gauges.queuedBytes,
      workers: gauges.workers,
      idleWorkers: gauges.idleWorkers,
      inFlight: gauges.inFlight,
      requests: this.requests,
      replies: this.replies,
      failures: this.failures,
      dropped: this.dropped,
      drops: { ...this.drops },
      latency: this.latency?.summary(now) ?? { ...EMPTY_LATENCY },
    };
  }
}
