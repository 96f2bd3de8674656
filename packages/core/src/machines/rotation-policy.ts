/**
 * The rotation policy: the retry plans of the Lazy Pirate and Majordomo
 * clients, `attempts` sends of `timeout` ms each, every retry on a fresh
 * socket, rotating over the endpoints by a `FailoverPolicy` (the schedule is
 * `attempt-schedule.ts`). It plans calls for the request-client machine
 * through the {@link RetryPolicy} contract of `retry-plan.ts`.
 *
 * @module
 */
import { AttemptSchedule, EndpointRotation, type FailoverPolicy } from "./attempt-schedule.js";
import type { PlanLimits, PlanStep, RetryPlan, RetryPolicy, RetryReason } from "./retry-plan.js";

/**
 * The Lazy Pirate and Majordomo schedule: `attempts` sends of `timeout` ms
 * each, every retry on a fresh socket (the previous one closed, so its late
 * reply is never seen), rotating over the endpoints by an
 * {@link EndpointRotation}.
 */
export class RotationPolicy implements RetryPolicy {
  /** The endpoint list and the policy's memory. */
  readonly rotation: EndpointRotation;

  /**
   * @param endpoints - at least one endpoint, in failover order.
   * @param policy - see {@link FailoverPolicy}; default `"sticky"`.
   */
  constructor(endpoints: readonly string[], policy: FailoverPolicy = "sticky") {
    this.rotation = new EndpointRotation(endpoints, policy);
  }

  /** The endpoints, in failover order. */
  get endpoints(): readonly string[] {
    return this.rotation.endpoints;
  }

  /** Index of the endpoint the next call starts at. */
  get current(): number {
    return this.rotation.startIndex;
  }

  /**
   * A plan for one call.
   *
   * @param limits - attempts and timeout.
   */
  plan(limits: PlanLimits): RetryPlan {
    return new RotationPlan(this.rotation, new AttemptSchedule(this.rotation, limits));
  }
}

class RotationPlan implements RetryPlan {
  private deadline = Number.POSITIVE_INFINITY;

  constructor(
    private readonly rotation: EndpointRotation,
    private readonly schedule: AttemptSchedule,
  ) {}

  get first(): number {
    return this.schedule.start;
  }

  begin(now: number): PlanStep[] {
    return this.attempt(now, undefined);
  }

  wake(now: number): PlanStep[] {
    return now >= this.deadline ? this.fail("timeout", now) : [];
  }

  failed(_endpoint: number, group: number, reason: "send-failed" | "unreachable", now: number): PlanStep[] {
    if (reason !== "send-failed" || group !== this.schedule.attempts || !Number.isFinite(this.deadline)) return [];
    return this.fail(reason, now);
  }

  answered(): void {
    this.deadline = Number.POSITIVE_INFINITY;
    this.schedule.answered();
  }

  wakeAt(): number {
    return this.deadline;
  }

  private fail(reason: "timeout" | "send-failed", now: number): PlanStep[] {
    this.deadline = Number.POSITIVE_INFINITY;
    const steps: PlanStep[] = reason === "timeout" ? [{ type: "timeout" }] : [];
    const from = this.schedule.current!.index;
    const moved = reason === "timeout" ? this.rotation.timedOut(from) : undefined;
    if (moved !== undefined) steps.push({ type: "failover", from, to: moved, reason });
    steps.push({ type: "retire", before: this.schedule.attempts + 1 });
    for (const step of this.attempt(now, reason)) steps.push(step);
    return steps;
  }

  private attempt(now: number, reason: RetryReason | undefined): PlanStep[] {
    const previous = this.schedule.current;
    const next = this.schedule.next(now);
    if (!next) return [{ type: "give-up" }];
    this.deadline = next.deadline;
    const send: PlanStep = { type: "send", endpoint: next.index, reuse: next.attempt === 1, group: next.attempt, reason };
    if (next.failover && previous) return [{ type: "failover", from: previous.index, to: next.index, reason: reason ?? "timeout" }, send];
    return [send];
  }
}
