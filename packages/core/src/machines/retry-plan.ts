/**
 * Retry plans: the pure part of a request client that decides, per call,
 * where each send goes, when an attempt has failed, when to move to another
 * endpoint and when to give up. The request-client machine asks a
 * {@link RetryPolicy} for one {@link RetryPlan} per call and performs the
 * {@link PlanStep}s it returns. This file is that contract and the option
 * checks every request client shares; two families of policies ship with
 * core: `RotationPolicy` (Lazy Pirate and Majordomo: `attempts` sends of
 * `timeout` ms each, rotating over the endpoints; `rotation-policy.ts`) and
 * `VotingPolicy` (Binary Star: a fast failover with voting windows;
 * `failover-plan.ts`).
 *
 * @module
 */
import { InvalidOptionError } from "../pure/errors.js";

/**
 * Why an attempt is over without a reply:
 * `"timeout"`: no reply within the attempt's timeout; `"send-failed"`: the
 * send itself failed; `"unreachable"`: the connection was lost or refused;
 * `"settle"`: a voting window ended unanswered; `"vote"`: the previous vote
 * went unanswered for a vote interval.
 */
export type RetryReason = "timeout" | "send-failed" | "unreachable" | "settle" | "vote";

/** One thing a {@link RetryPlan} asks its client to do, in order. */
export type PlanStep =
  | {
      /** Discriminant: send the call's request. */
      readonly type: "send";
      /** Index of the endpoint to send to. */
      readonly endpoint: number;
      /** Whether an idle socket connected there may carry it (otherwise a fresh socket). */
      readonly reuse: boolean;
      /** The group the send belongs to (see `retire`). */
      readonly group: number;
      /** Why the previous attempt failed; `undefined` for a call's first send. */
      readonly reason: RetryReason | undefined;
    }
  | {
      /** Discriminant: close the call's sockets of groups before `before` (their late replies no longer count). */
      readonly type: "retire";
      /** The first group kept. */
      readonly before: number;
    }
  | {
      /** Discriminant: an attempt timed out (counted in stats). */
      readonly type: "timeout";
    }
  | {
      /** Discriminant: the call moves from one endpoint to another. */
      readonly type: "failover";
      /** Index of the endpoint given up on. */
      readonly from: number;
      /** Index of the endpoint tried next. */
      readonly to: number;
      /** Why. */
      readonly reason: RetryReason;
    }
  | {
      /** Discriminant: every attempt is used; the call rejects with `ServiceUnavailableError`. */
      readonly type: "give-up";
    };

/** The schedule of one call. A reply on any of the call's open sockets ends it (the plan is told through {@link RetryPlan.answered}). */
export interface RetryPlan {
  /** Index of the endpoint the first send goes to. */
  readonly first: number;
  /**
   * Starts the call.
   *
   * @param now - the clock time.
   * @param reachable - `false` when the idle socket to {@link RetryPlan.first} is known to have lost its connection.
   */
  begin(now: number, reachable: boolean): PlanStep[];
  /**
   * The clock reached {@link RetryPlan.wakeAt}.
   *
   * @param now - the clock time.
   */
  wake(now: number): PlanStep[];
  /**
   * A send of the call failed, or the connection of one of its sockets was lost or refused.
   *
   * @param endpoint - index of that socket's endpoint.
   * @param group - the group of that socket's send.
   * @param reason - what happened.
   * @param now - the clock time.
   */
  failed(endpoint: number, group: number, reason: "send-failed" | "unreachable", now: number): PlanStep[];
  /**
   * The call was answered by the endpoint at `endpoint`.
   *
   * @param endpoint - its index.
   */
  answered(endpoint: number): void;
  /** Clock time of the next wake-up, `Number.POSITIVE_INFINITY` for none. */
  wakeAt(): number;
}

/** Per-call limits a plan is made with. */
export interface PlanLimits {
  /** Sends in all, the first included. */
  attempts: number;
  /** Milliseconds each attempt waits, counted from its send. */
  timeout: number;
}

/** Makes one {@link RetryPlan} per call and keeps what calls share (the endpoints, which one is preferred). */
export interface RetryPolicy {
  /** The endpoints, in failover order. */
  readonly endpoints: readonly string[];
  /** Index of the endpoint the next call starts at. */
  readonly current: number;
  /**
   * A plan for one call.
   *
   * @param limits - the call's attempts and timeout.
   */
  plan(limits: PlanLimits): RetryPlan;
}

/**
 * Checks a sends-in-all count.
 *
 * @param value - the count.
 * @throws `InvalidOptionError` unless it is an integer >= 1.
 */
export function checkAttempts(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(`attempts must be an integer >= 1 (sends in all, the first included), got ${String(value)}`);
  }
  return value;
}

/**
 * Throws for an option that was renamed, so a caller still using the old
 * name fails loudly instead of silently getting the default.
 *
 * @param options - the options object as given.
 * @param renamed - old name → new name.
 * @throws `InvalidOptionError` naming both.
 */
export function checkRenamed(options: object | undefined, renamed: Readonly<Record<string, string>>): void {
  if (!options) return;
  for (const old of Object.keys(renamed)) {
    if (old in options) throw new InvalidOptionError(`${old} was renamed ${renamed[old]}`);
  }
}
