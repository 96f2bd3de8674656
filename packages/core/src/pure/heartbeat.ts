/**
 * Heartbeat and liveness bookkeeping for one peer, as 6/PPP and 7/MDP describe:
 * send a heartbeat every `interval` ms when nothing else was sent, and consider
 * the peer dead after `liveness × interval` ms without hearing from it.
 *
 * @module
 */
import { checkNumber } from "./errors.js";

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  /** Milliseconds between heartbeats. */
  interval: number;
  /** How many intervals of silence mean the peer is gone (3 in every reference). */
  liveness: number;
}

/**
 * Pure heartbeat/liveness tracker for one peer. It never touches a timer: the
 * owner asks {@link Heartbeat.nextDeadline} and wakes itself then.
 */
export class Heartbeat {
  /** Heartbeat interval in ms. */
  readonly interval: number;
  /** Intervals of silence before the peer is considered dead. */
  readonly liveness: number;
  private sendAt: number;
  private expireAt: number;

  /**
   * @param options - interval and liveness.
   * @param now - the current clock time.
   */
  constructor(options: HeartbeatOptions, now: number) {
    this.interval = checkNumber("heartbeat interval", options.interval, 1);
    this.liveness = checkNumber("liveness", options.liveness, 1);
    this.sendAt = now + this.interval;
    this.expireAt = now + this.ttl;
  }

  /** Milliseconds of silence after which the peer is dead: `liveness × interval`. */
  get ttl(): number {
    return this.interval * this.liveness;
  }

  /** When the next heartbeat is due. */
  get nextSendAt(): number {
    return this.sendAt;
  }

  /** When the peer expires unless it is heard from. */
  get expiresAt(): number {
    return this.expireAt;
  }

  /** Record that anything arrived from the peer (every message counts as a heartbeat). */
  received(now: number): void {
    this.expireAt = now + this.ttl;
  }

  /** Record that something was sent to the peer (so no heartbeat is needed before `now + interval`). */
  sent(now: number): void {
    this.sendAt = now + this.interval;
  }

  /** Whether a heartbeat should be sent now. */
  shouldSend(now: number): boolean {
    return now >= this.sendAt;
  }

  /** Whether the peer has been silent for `liveness × interval`. */
  isExpired(now: number): boolean {
    return now >= this.expireAt;
  }

  /** Intervals left before expiry, rounded up (the reference's `liveness` counter). */
  remaining(now: number): number {
    return Math.max(0, Math.ceil((this.expireAt - now) / this.interval));
  }

  /** The earliest time something must happen: a heartbeat to send or an expiry to check. */
  nextDeadline(): number {
    return Math.min(this.sendAt, this.expireAt);
  }

  /** Starts over as if the peer had just connected. */
  reset(now: number): void {
    this.sendAt = now + this.interval;
    this.expireAt = now + this.ttl;
  }
}
