/**
 * The broker's counters: what happened since it started (requests, replies,
 * heartbeats, drops by reason, …), kept apart from the rules that bump them.
 * {@link BrokerCounters.snapshot} joins them with the gauges the parts know
 * (workers, queues) into {@link BrokerStats}.
 *
 * @module
 */
import { LatencyWindow } from "@zmq-reliable/core";
import type { BrokerStats, DropReason } from "./broker-events.js";

/** The gauges {@link BrokerCounters.snapshot} takes from the broker's parts. */
export type BrokerGauges = Pick<BrokerStats, "workers" | "idleWorkers" | "services" | "queued" | "queuedBytes" | "inFlight" | "dispatched" | "byService">;

/** Event counters of the broker state; fields are bumped in place. */
export class BrokerCounters {
  /** Valid client requests received (MMI included). */
  requests = 0;
  /** Replies passed to clients. */
  replies = 0;
  /** MMI requests answered. */
  mmi = 0;
  /** Requests handed to another worker after theirs vanished. */
  retries = 0;
  /** Workers registered (READY). */
  registered = 0;
  /** Workers expired (silent too long). */
  expired = 0;
  /** DISCONNECTs sent to workers. */
  disconnectsSent = 0;
  /** HEARTBEATs sent to workers. */
  heartbeatsSent = 0;
  /** Malformed messages received. */
  malformed = 0;
  /** Messages and requests dropped, all reasons. */
  dropped = 0;
  /** Sends to a peer that had already gone (not a drop: nobody is waiting). */
  unreachable = 0;
  /** Drops by reason. */
  readonly drops: Record<DropReason, number> = {
    malformed: 0,
    "not-admitted": 0,
    "request-expired": 0,
    "max-attempts": 0,
    "queue-full": 0,
    "service-queue-full": 0,
    "client-queue-full": 0,
    "too-large": 0,
    "too-many-services": 0,
    "peer-full": 0,
    "unexpected-reply": 0,
    shutdown: 0,
    draining: 0,
    "send-failed": 0,
    "internal-error": 0,
  };

  /** Request received → reply sent, every service (MMI excluded). */
  readonly latency = new LatencyWindow();

  /**
   * Counts one drop.
   *
   * @param reason - why.
   */
  drop(reason: DropReason): void {
    this.dropped++;
    this.drops[reason]++;
  }

  /**
   * The counters joined with the gauges, as a plain object.
   *
   * @param gauges - what the broker's parts hold right now.
   * @param now - the current time (for the latency window).
   */
  snapshot(gauges: BrokerGauges, now: number): BrokerStats {
    // Listed field by field: a spread of `gauges` followed by this many fields is V8's slow path (about 10×).
    return {
      workers: gauges.workers,
      idleWorkers: gauges.idleWorkers,
      services: gauges.services,
      queued: gauges.queued,
      queuedBytes: gauges.queuedBytes,
      inFlight: gauges.inFlight,
      dispatched: gauges.dispatched,
      byService: gauges.byService,
      unreachable: this.unreachable,
      requests: this.requests,
      replies: this.replies,
      mmi: this.mmi,
      retries: this.retries,
      registered: this.registered,
      expired: this.expired,
      disconnectsSent: this.disconnectsSent,
      heartbeatsSent: this.heartbeatsSent,
      malformed: this.malformed,
      dropped: this.dropped,
      drops: { ...this.drops },
      latency: this.latency.summary(now),
    };
  }
}
