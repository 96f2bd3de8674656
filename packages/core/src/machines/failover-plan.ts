/**
 * The Binary Star client's failover schedule, as a pure planner: when to
 * send, to which server, when to give up on it. {@link VotingPolicy} adapts
 * it to the request client's {@link RetryPolicy}; the request client performs
 * the steps with real sockets; tests drive the planner with plain numbers.
 *
 * ## Why it beats the reference client
 *
 * When the active server dies at time T, its peer last heard from it at some
 * moment in [T − heartbeat, T], so the passive server accepts a client vote
 * from T + heartbeat at the earliest and from T + 2 × heartbeat at the latest
 * (its peer expiry). Nothing can be answered earlier without breaking the
 * takeover rule. The reference client (`bstarcli.c`) waits its full 1000 ms
 * timeout, then sleeps the full 2000 ms `SETTLE_DELAY`, then sends once: about
 * 3 to 4 s from the death to the next reply with the default heartbeat.
 *
 * This planner instead:
 * 1. waits `timeout` at the server believed active, but fails over at once
 *    when the connection is lost or refused (a crashed process resets its
 *    TCP connections, which the socket reports immediately);
 * 2. at the other server, votes right away and then again every
 *    `voteInterval` on fresh sockets (a passive server silently drops a vote
 *    that comes before its peer expiry, so a later vote is needed); the first
 *    vote after the peer expiry is answered;
 * 3. keeps voting there for `settleDelay` (the failover timeout, two
 *    heartbeats) plus one more vote, and only then alternates back: so
 *    `settleDelay` is a cap on how long one server is tried, not a sleep.
 *
 * The next reply therefore comes at most about 2 × heartbeat + voteInterval
 * after the death (2.25 s with the defaults, 225 ms with a 100 ms heartbeat),
 * plus the round trip, as long as `timeout` ≤ 2 × heartbeat or the death is
 * seen as a lost connection. The servers still only take over on a client
 * vote after two heartbeats of peer silence: the client only votes more
 * often, which the servers' rules make safe.
 *
 * The price is that a request may be handled more than once: by a slow
 * active server after the client gave up on it, or by a server that has just
 * taken over and also receives the following votes before its first reply
 * arrives. The same is true of every Lazy Pirate client; requests must be
 * idempotent, or carry an id the handler deduplicates on.
 *
 * @module
 */

import type { PlanStep, RetryPlan, RetryPolicy, RetryReason } from "./retry-plan.js";

/** Which of the two endpoints: 0 is the primary's, 1 the backup's. */
export type ServerIndex = 0 | 1;

/** The timings the planner uses (all in ms). */
export interface FailoverTimings {
  /** How long to wait for a reply at the server believed active before failing over. */
  timeout: number;
  /** How long to keep voting at one server before alternating back (the failover timeout). */
  settleDelay: number;
  /** Interval between votes. */
  voteInterval: number;
}

/**
 * Why the client left a server:
 * - `"timeout"`: no reply within `timeout`;
 * - `"unreachable"`: the connection was lost or refused;
 * - `"settle"`: it voted there for `settleDelay` without an answer.
 */
export type FailoverReason = "timeout" | "unreachable" | "settle";

/** Send the request to `server`. */
export interface VoteSendAction {
  /** Discriminant. */
  type: "send";
  /** Where to send. */
  server: ServerIndex;
  /**
   * `false` for the first attempt of a request, which may reuse the idle
   * socket of the previous request; `true` for a vote, which always goes on
   * a fresh socket.
   */
  vote: boolean;
  /** The window this send belongs to (0: the first attempt; each failover opens the next). */
  window: number;
}

/** Switch to the other server. */
export interface FailoverAction {
  /** Discriminant. */
  type: "failover";
  /** The server given up on. */
  from: ServerIndex;
  /** The server tried next. */
  to: ServerIndex;
  /** Why. */
  reason: FailoverReason;
  /** The window that starts now; sockets of windows before `window - 1` may be closed. */
  window: number;
}

/** What the client should do; see {@link FailoverPlan}. */
export type PlanAction = VoteSendAction | FailoverAction;

/**
 * The failover schedule of one request. Call {@link FailoverPlan.begin} once,
 * then {@link FailoverPlan.wake} whenever the clock reaches
 * {@link FailoverPlan.wakeAt}, and {@link FailoverPlan.unreachable} when a
 * socket carrying the request loses or cannot make its connection. Each call
 * returns the actions to perform, in order. A reply from any socket of the
 * request ends it (the planner need not be told).
 */
export class FailoverPlan {
  private readonly timings: FailoverTimings;
  private target: ServerIndex;
  private mode: "idle" | "first" | "voting" = "idle";
  private windowNo = 0;
  private firstDeadline = Number.POSITIVE_INFINITY;
  private windowStart = 0;
  private nextVoteAt = Number.POSITIVE_INFINITY;
  private lastVoteAt = Number.NEGATIVE_INFINITY;

  /**
   * @param timings - the client's timings.
   * @param server - the server believed active (the one that answered last).
   */
  constructor(timings: FailoverTimings, server: ServerIndex) {
    this.timings = timings;
    this.target = server;
  }

  /** The server being tried now. */
  get server(): ServerIndex {
    return this.target;
  }

  /** The current window: 0 during the first attempt, then one more per failover. */
  get window(): number {
    return this.windowNo;
  }

  /** When {@link FailoverPlan.wake} must be called next (clock time), or `Infinity`. */
  get wakeAt(): number {
    if (this.mode === "first") return this.firstDeadline;
    if (this.mode === "voting") return Math.min(this.nextVoteAt, this.windowEnd);
    return Number.POSITIVE_INFINITY;
  }

  private get windowEnd(): number {
    return this.windowStart + this.timings.settleDelay + this.timings.voteInterval;
  }

  /**
   * Starts the request: one send to the server believed active, or an
   * immediate failover when its connection is already known to be down.
   *
   * @param now - the current time.
   * @param reachable - `false` when the idle socket to that server has lost its connection.
   */
  begin(now: number, reachable = true): PlanAction[] {
    if (this.mode !== "idle") return [];
    if (!reachable) return this.failover(now, "unreachable");
    this.mode = "first";
    this.firstDeadline = now + this.timings.timeout;
    return [{ type: "send", server: this.target, vote: false, window: 0 }];
  }

  /**
   * The clock reached {@link FailoverPlan.wakeAt}.
   *
   * @param now - the current time.
   */
  wake(now: number): PlanAction[] {
    if (this.mode === "first") {
      return now >= this.firstDeadline ? this.failover(now, "timeout") : [];
    }
    if (this.mode !== "voting") return [];
    const settledAt = this.windowStart + this.timings.settleDelay;
    // Leave only after a vote that went out once the failover timeout had passed.
    if (now >= this.windowEnd && this.lastVoteAt >= settledAt) return this.failover(now, "settle");
    if (now >= this.nextVoteAt || now >= this.windowEnd) return [this.vote(now)];
    return [];
  }

  /**
   * A socket carrying the request to `server` lost its connection or could
   * not connect. During the first attempt this fails over at once; while
   * voting it changes nothing (the votes go on until the window ends).
   *
   * @param server - the server whose connection failed.
   * @param now - the current time.
   */
  unreachable(server: ServerIndex, now: number): PlanAction[] {
    if (this.mode === "first" && server === this.target) return this.failover(now, "unreachable");
    return [];
  }

  private failover(now: number, reason: FailoverReason): PlanAction[] {
    const from = this.target;
    this.target = from === 0 ? 1 : 0;
    this.mode = "voting";
    this.windowNo++;
    this.windowStart = now;
    this.firstDeadline = Number.POSITIVE_INFINITY;
    return [{ type: "failover", from, to: this.target, reason, window: this.windowNo }, this.vote(now)];
  }

  private vote(now: number): VoteSendAction {
    this.lastVoteAt = now;
    this.nextVoteAt = now + this.timings.voteInterval;
    return { type: "send", server: this.target, vote: true, window: this.windowNo };
  }
}

/**
 * The Binary Star client's {@link RetryPolicy}: two endpoints, each call
 * planned by a {@link FailoverPlan} starting at the server that answered
 * last. A call never gives up (it ends by a reply, its signal or its deadline).
 */
export class VotingPolicy implements RetryPolicy {
  /** The two endpoints, `[primary, backup]`. */
  readonly endpoints: readonly [string, string];
  private server: ServerIndex = 0;

  /**
   * @param endpoints - `[primary, backup]`.
   * @param timings - the planner's timings.
   */
  constructor(
    endpoints: readonly [string, string],
    readonly timings: Readonly<FailoverTimings>,
  ) {
    this.endpoints = [endpoints[0], endpoints[1]];
  }

  /** The server the next call goes to first: the one that answered last. */
  get current(): ServerIndex {
    return this.server;
  }

  /** A plan for one call (per-call limits do not apply: the timings do). */
  plan(): RetryPlan {
    return new VotingPlan(new FailoverPlan(this.timings, this.server), (server) => (this.server = server));
  }
}

class VotingPlan implements RetryPlan {
  private reason: RetryReason | undefined;

  constructor(
    private readonly plan: FailoverPlan,
    private readonly onAnswer: (server: ServerIndex) => void,
  ) {}

  get first(): number {
    return this.plan.server;
  }

  begin(now: number, reachable: boolean): PlanStep[] {
    return this.steps(this.plan.begin(now, reachable));
  }

  wake(now: number): PlanStep[] {
    return this.steps(this.plan.wake(now));
  }

  failed(endpoint: number, _group: number, reason: "send-failed" | "unreachable", now: number): PlanStep[] {
    return reason === "unreachable" ? this.steps(this.plan.unreachable(endpoint as ServerIndex, now)) : [];
  }

  answered(endpoint: number): void {
    this.onAnswer(endpoint as ServerIndex);
  }

  wakeAt(): number {
    return this.plan.wakeAt;
  }

  private steps(actions: PlanAction[]): PlanStep[] {
    const steps: PlanStep[] = [];
    for (const action of actions) {
      if (action.type === "failover") {
        if (action.reason === "timeout") steps.push({ type: "timeout" });
        steps.push({ type: "failover", from: action.from, to: action.to, reason: action.reason });
        // Keep the sockets of this window and the previous one: a late reply there still counts.
        steps.push({ type: "retire", before: action.window - 1 });
        this.reason = action.reason;
      } else {
        const reason = action.vote ? (this.reason ?? "vote") : undefined;
        this.reason = undefined;
        steps.push({ type: "send", endpoint: action.server, reuse: !action.vote, group: action.window, reason });
      }
    }
    return steps;
  }
}
