/**
 * The part of the Lazy Pirate client that decides, without touching a socket:
 * which endpoint each attempt of a request goes to, when it times out, and
 * when to give up (protocols.md §2.3). Driven by the client with the real
 * clock and by tests with `FakeClock`.
 *
 * @module
 */
import { checkNumber, InvalidOptionError } from "@zmq-reliable/core";

/**
 * Where the first attempt of each request goes when there are several
 * endpoints (retries always move on to the next endpoint in the list, wrapping
 * around):
 * - `"sticky"`: the endpoint that answered last, so after a failover later
 *   requests go straight to the server that works (the default);
 * - `"first"`: always the first endpoint, like the zguide's Freelance model 1
 *   (`flclient1`), so a recovered primary is used again at once;
 * - `"round-robin"`: the next endpoint after the one the previous request
 *   started with, to spread load.
 */
export type FailoverPolicy = "sticky" | "first" | "round-robin";

/** The failover policies {@link EndpointRotation} knows. */
export const FAILOVER_POLICIES: readonly FailoverPolicy[] = ["sticky", "first", "round-robin"];

/** One planned send of a request. */
export interface Attempt {
  /** 1 for the first send, 2 for the first retry, … */
  readonly attempt: number;
  /** The endpoint this attempt's fresh socket connects to. */
  readonly endpoint: string;
  /** Index of {@link Attempt.endpoint} in the client's endpoint list. */
  readonly index: number;
  /** The previous attempt's endpoint, when this attempt is a retry. */
  readonly previous: string | undefined;
  /** Whether this retry moves to a different endpoint than the previous attempt. */
  readonly failover: boolean;
  /** Clock time at which this attempt times out: its send time plus the timeout. */
  readonly deadline: number;
}

/**
 * Shared by every request of one client: the endpoint list and the failover
 * policy's memory (which endpoint answered last, where round-robin is).
 */
export class EndpointRotation {
  /** The endpoints, in failover order. */
  readonly endpoints: readonly string[];
  /** The policy choosing each request's first endpoint. */
  readonly policy: FailoverPolicy;
  private preferred = 0;

  /**
   * @param endpoints - at least one endpoint, in failover order.
   * @param policy - see {@link FailoverPolicy}; default `"sticky"`.
   */
  constructor(endpoints: readonly string[], policy: FailoverPolicy = "sticky") {
    if (endpoints.length === 0) throw new InvalidOptionError("endpoint: at least one endpoint is required");
    for (const e of endpoints) {
      if (typeof e !== "string" || e.length === 0) throw new InvalidOptionError(`endpoint: not an endpoint: ${String(e)}`);
    }
    if (!FAILOVER_POLICIES.includes(policy)) throw new InvalidOptionError(`failover: unknown policy ${String(policy)}`);
    this.endpoints = [...endpoints];
    this.policy = policy;
  }

  /** The index the next request will start at (without advancing round-robin). */
  get startIndex(): number {
    return this.policy === "first" ? 0 : this.preferred;
  }

  /** Returns the index the next request starts at, advancing round-robin. */
  takeStart(): number {
    const start = this.startIndex;
    if (this.policy === "round-robin") this.preferred = (start + 1) % this.endpoints.length;
    return start;
  }

  /**
   * Records that the endpoint at `index` answered; with `"sticky"` the next
   * request starts there.
   *
   * @param index - index of the endpoint that answered.
   */
  answered(index: number): void {
    if (this.policy === "sticky") this.preferred = index;
  }
}

/** Options of {@link AttemptSchedule}. */
export interface AttemptScheduleOptions {
  /** Sends in all, first one included (the reference `REQUEST_RETRIES`). At least 1. */
  attempts: number;
  /** Milliseconds each attempt waits for its reply, counted from its send. */
  timeout: number;
}

/**
 * The attempts of one request: call {@link AttemptSchedule.next} when sending
 * (first time, and after each timeout); it returns `undefined` once all
 * attempts are used, and the caller gives up.
 */
export class AttemptSchedule {
  /** Sends allowed in all. */
  readonly maxAttempts: number;
  /** Per-attempt timeout in ms. */
  readonly timeout: number;
  private readonly rotation: EndpointRotation;
  private readonly start: number;
  private readonly tried: string[] = [];
  private last: Attempt | undefined;

  /**
   * @param rotation - the client's endpoints and failover memory.
   * @param options - attempts and timeout.
   */
  constructor(rotation: EndpointRotation, options: AttemptScheduleOptions) {
    if (!Number.isInteger(options.attempts) || options.attempts < 1) {
      throw new InvalidOptionError(`retries must be an integer >= 1 (sends in all), got ${String(options.attempts)}`);
    }
    this.maxAttempts = options.attempts;
    this.timeout = checkNumber("timeout", options.timeout, 1);
    this.rotation = rotation;
    this.start = rotation.takeStart();
  }

  /** Sends made so far. */
  get attempts(): number {
    return this.tried.length;
  }

  /** The endpoint of every attempt so far, in order. */
  get endpoints(): readonly string[] {
    return this.tried;
  }

  /** The attempt in progress (the last one planned), if any. */
  get current(): Attempt | undefined {
    return this.last;
  }

  /** Whether every attempt has been used. */
  get exhausted(): boolean {
    return this.tried.length >= this.maxAttempts;
  }

  /**
   * Plans the next send at clock time `now`, or returns `undefined` when all
   * attempts are used (give up).
   *
   * @param now - the clock time of the send.
   */
  next(now: number): Attempt | undefined {
    if (this.exhausted) return undefined;
    const n = this.tried.length;
    const endpoints = this.rotation.endpoints;
    const index = (this.start + n) % endpoints.length;
    const endpoint = endpoints[index]!;
    const previous = this.last?.endpoint;
    this.tried.push(endpoint);
    this.last = {
      attempt: n + 1,
      endpoint,
      index,
      previous,
      failover: previous !== undefined && this.last!.index !== index,
      deadline: now + this.timeout,
    };
    return this.last;
  }

  /** Records that the current attempt got its reply (feeds the sticky policy). */
  answered(): void {
    if (this.last) this.rotation.answered(this.last.index);
  }
}
