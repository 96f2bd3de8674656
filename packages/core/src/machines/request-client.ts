/**
 * The request-client machine: the pure rules of a client that sends each
 * request on a throw-away REQ socket and retries on a fresh one, shared by
 * the Lazy Pirate, Majordomo and Binary Star clients. Calls queue in FIFO
 * order, at most `concurrency` run at once (each on its own socket), at most
 * `maxQueued` wait; a {@link RetryPlan} per call decides where each send goes
 * and when to give up. A reply counts only on a socket the call still owns;
 * anything else is dropped as stale. Sockets that got their reply are kept
 * idle (up to `concurrency`) for later calls (the sockets are kept by
 * `RequestLinks`, `request-links.ts`). The machine never touches a socket: it
 * names them (`link:<n>:<endpoint index>`) in `open`/`send`/`close` actions
 * that the `RequestClient` shell performs.
 *
 * @module
 */
import { BackpressureError, ClosedError, ProtocolError, ServiceUnavailableError, TimeoutError, ZmqReliableError } from "../pure/errors.js";
import { LinkedList, type ListNode } from "../pure/collections.js";
import { IdMap } from "../pure/id-map.js";
import { LatencyWindow } from "../pure/latency.js";
import type { Machine } from "../pure/machine.js";
import type { PlanStep, RetryPlan, RetryPolicy, RetryReason } from "./retry-plan.js";
import type {
  RequestClientAction,
  RequestClientEvents,
  RequestClientInput,
  RequestClientStateOptions,
  RequestClientStats,
  RequestInput,
} from "./request-client-types.js";
import { type Link as RequestLink, RequestLinks } from "./request-links.js";

type Link = RequestLink<Call>;

interface Call {
  readonly id: number;
  readonly input: RequestInput;
  readonly deadlineAt: number;
  /** When `request()` was called (its latency runs from here to the reply). */
  readonly calledAt: number;
  node: ListNode<Call> | undefined;
  plan: RetryPlan | undefined;
  readonly links: Set<Link>;
  readonly tried: string[];
}

/**
 * The request-client machine; see the module comment. Stats are read with
 * {@link RequestClientState.stats}.
 */
export class RequestClientState implements Machine<RequestClientInput, RequestClientAction> {
  private readonly options: RequestClientStateOptions;
  private readonly queue = new LinkedList<Call>();
  private readonly calls = new IdMap<Call>();
  /** The calls in flight, by id. */
  private readonly active = new IdMap<Call>();
  private readonly links: RequestLinks<Call>;
  private deadlines = 0;
  private closed = false;
  private out: RequestClientAction[] = [];
  /** Call → reply of the successful calls, ms (bounded: the last 1024 within 60 s). */
  private readonly latencies = new LatencyWindow();
  /** The last time the machine was fed (what `stats()` reads the latency window at by default). */
  private now = 0;
  private readonly counters = {
    requests: 0,
    replies: 0,
    failures: 0,
    retries: 0,
    timeouts: 0,
    failovers: 0,
    sends: 0,
    reconnects: 0,
    aborted: 0,
    malformed: 0,
    stale: 0,
  };

  /** @param options - see {@link RequestClientStateOptions}. */
  constructor(options: RequestClientStateOptions) {
    this.options = options;
    this.links = new RequestLinks(options.concurrency, options.policy.endpoints, (action) => this.out.push(action));
  }

  /** The retry policy (its `current` is where the next call starts). */
  get policy(): RetryPolicy {
    return this.options.policy;
  }

  /**
   * A snapshot of the counters and gauges.
   *
   * @param now - the clock time the latency window is read at; default the last time the machine was fed.
   */
  stats(now: number = this.now): RequestClientStats {
    return {
      ...this.counters,
      dropped: this.counters.malformed + this.counters.stale,
      inFlight: this.active.size,
      queued: this.queue.length,
      socketsOpened: this.links.opened,
      openSockets: this.links.size,
      idleSockets: this.links.idleCount,
      latency: this.latencies.summary(now),
    };
  }

  /**
   * Feeds one input.
   *
   * @param input - what happened.
   * @param now - the clock time.
   */
  handle(input: RequestClientInput, now: number): RequestClientAction[] {
    this.out = [];
    this.now = now;
    switch (input.type) {
      case "request":
        this.request(input, now);
        break;
      case "message":
        this.reply(input.channel, input.message, now);
        break;
      case "send-failed":
        this.linkFailed(input.channel, "send-failed", now);
        break;
      case "link":
        this.linkEvent(input.channel, input.up, now);
        break;
      case "open-failed":
        this.openFailed(input.channel, input.error, now);
        break;
      case "cancel":
        this.cancel(input.call, now);
        break;
      case "refused":
        this.counters.requests++;
        this.counters.failures++;
        this.counters.aborted++;
        break;
      case "warm":
        if (!this.closed) this.links.warm(this.policy.current);
        break;
      case "close":
        this.close(input.error);
        break;
      case "wake":
        this.wake(now);
        break;
    }
    return this.out;
  }

  /** The earliest attempt deadline, plan wake-up or call deadline. */
  wakeAt(): number {
    let at = Number.POSITIVE_INFINITY;
    this.active.forEach((call) => (at = Math.min(at, call.plan!.wakeAt(), call.deadlineAt)));
    if (this.deadlines > 0) for (const call of this.queue) at = Math.min(at, call.deadlineAt);
    return at;
  }

  private isActive(call: Call): boolean {
    return this.active.get(call.id) === call;
  }

  private get name(): string {
    return this.options.name ?? "request client";
  }

  private request(input: RequestInput, now: number): void {
    if (this.closed) return this.settle(input.call, new ClosedError(`${this.name} is closed`));
    if (this.queue.length >= this.options.maxQueued && this.active.size >= this.options.concurrency) {
      return this.settle(input.call, new BackpressureError(`${this.name}: ${this.options.maxQueued} requests already waiting`));
    }
    this.counters.requests++;
    const deadlineAt = input.deadline === undefined ? Number.POSITIVE_INFINITY : now + input.deadline;
    const call: Call = { id: input.call, input, deadlineAt, calledAt: now, node: undefined, plan: undefined, links: new Set(), tried: [] };
    if (Number.isFinite(deadlineAt)) this.deadlines++;
    this.calls.set(call.id, call);
    call.node = this.queue.push(call);
    this.pump(now);
  }

  private pump(now: number): void {
    while (!this.closed && this.active.size < this.options.concurrency) {
      const call = this.queue.shift();
      if (!call) return;
      call.node = undefined;
      this.active.set(call.id, call);
      call.plan = this.policy.plan({ attempts: call.input.attempts ?? this.options.attempts, timeout: call.input.timeout ?? this.options.timeout });
      const idle = this.links.idleAt(call.plan.first);
      this.run(call, call.plan.begin(now, !idle?.unreachable), now);
    }
  }

  private run(call: Call, steps: PlanStep[], now: number): void {
    for (const step of steps) {
      if (!this.isActive(call)) return;
      switch (step.type) {
        case "send":
          this.send(call, step.endpoint, step.reuse, step.group, step.reason);
          break;
        case "retire":
          for (const link of call.links) {
            if (link.group < step.before) {
              call.links.delete(link);
              this.links.close(link);
            }
          }
          break;
        case "timeout":
          this.counters.timeouts++;
          break;
        case "failover": {
          this.counters.failovers++;
          const endpoints = this.policy.endpoints;
          this.emit("failover", { request: call.id, from: endpoints[step.from]!, to: endpoints[step.to]!, reason: step.reason });
          this.links.closeIdleAt(step.from);
          break;
        }
        case "give-up": {
          const error = new ServiceUnavailableError(call.tried.length, [...call.tried]);
          this.emit("give-up", { request: call.id, attempts: call.tried.length, endpoints: [...call.tried], error });
          this.finish(call, error, now);
          break;
        }
      }
    }
  }

  private send(call: Call, index: number, reuse: boolean, group: number, reason: RetryReason | undefined): void {
    const endpoint = this.policy.endpoints[index]!;
    const previous = call.tried[call.tried.length - 1] ?? this.policy.endpoints[call.plan!.first]!;
    const { link, fresh } = this.links.take(index, reuse);
    link.call = call;
    link.group = group;
    call.links.add(link);
    call.tried.push(endpoint);
    this.counters.sends++;
    const attempt = call.tried.length;
    if (reason !== undefined) {
      this.counters.retries++;
      this.emit("retry", { request: call.id, attempt, endpoint, previous, reason });
      if (fresh) {
        this.counters.reconnects++;
        this.emit("reconnect", { request: call.id, attempt, closed: previous, endpoint });
      }
    }
    this.out.push({ type: "send", channel: link.channel, frames: call.input.frames });
  }

  private reply(channel: string, reply: Buffer[], now: number): void {
    const link = this.links.get(channel);
    const call = link?.call;
    // A socket already closed may still deliver a reply it had read: its index is in its name.
    const endpoint = this.policy.endpoints[link?.index ?? Number(channel.split(":")[2])] ?? channel;
    if (!link || !call || !this.isActive(call) || link.spent) {
      this.counters.stale++;
      this.emit("drop", { reason: "stale", request: call?.id, endpoint, reply });
      return;
    }
    if (this.options.validate && !this.accepts(reply, call.input.frames)) {
      link.spent = true; // the REQ has had its reply: nothing more comes on it; wait for the timeout
      this.counters.malformed++;
      this.emit("drop", { reason: "malformed", request: call.id, endpoint, reply });
      return;
    }
    let value = reply;
    if (call.input.decode) {
      try {
        value = call.input.decode(reply);
      } catch (err) {
        return this.finish(call, err instanceof ZmqReliableError ? err : new ProtocolError(String((err as Error)?.message ?? err), { cause: err }), now);
      }
    }
    call.plan!.answered(link.index);
    call.links.delete(link);
    link.call = undefined;
    this.counters.replies++;
    this.latencies.record(now - call.calledAt, now);
    this.links.release(link, this.closed);
    this.end(call);
    this.out.push({ type: "settle", call: call.id, value });
    this.pump(now);
  }

  private accepts(reply: Buffer[], request: Buffer[]): boolean {
    try {
      return this.options.validate!(reply, request);
    } catch {
      return false;
    }
  }

  private linkFailed(channel: string, reason: "send-failed" | "unreachable", now: number): void {
    const link = this.links.get(channel);
    const call = link?.call;
    if (!link || !call || !this.isActive(call)) return;
    this.run(call, call.plan!.failed(link.index, link.group, reason, now), now);
  }

  private linkEvent(channel: string, up: boolean, now: number): void {
    const link = this.links.get(channel);
    if (!link) return;
    link.unreachable = !up;
    if (!up) this.linkFailed(channel, "unreachable", now);
  }

  private openFailed(channel: string, error: ZmqReliableError, now: number): void {
    const link = this.links.get(channel);
    if (!link) return;
    const call = link.call;
    this.links.close(link);
    if (call && this.isActive(call)) this.finish(call, error, now);
  }

  private cancel(id: number, now: number): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.counters.aborted++;
    this.counters.failures++;
    this.end(call);
    this.pump(now);
  }

  private wake(now: number): void {
    for (const call of this.active.values()) {
      if (!this.isActive(call)) continue;
      if (now >= call.deadlineAt) this.expire(call, now);
      else if (now >= call.plan!.wakeAt()) this.run(call, call.plan!.wake(now), now);
    }
    if (this.deadlines > 0) for (const call of [...this.queue]) if (now >= call.deadlineAt) this.expire(call, now);
  }

  private expire(call: Call, now: number): void {
    this.finish(call, new TimeoutError(`${this.name}: no reply within ${call.input.deadline} ms`), now);
  }

  private close(error: ZmqReliableError): void {
    if (this.closed) return;
    this.closed = true;
    for (const call of this.calls.values()) this.finish(call, error, 0);
    this.links.closeAll();
  }

  /** Ends a call with an error: closes its sockets, settles it, lets the next one in. */
  private finish(call: Call, error: ZmqReliableError, now: number): void {
    if (!this.calls.has(call.id)) return;
    this.counters.failures++;
    this.end(call);
    this.settle(call.id, error);
    this.pump(now);
  }

  /** Forgets a call: out of the queue or the active set, its sockets closed. */
  private end(call: Call): void {
    this.calls.delete(call.id);
    if (Number.isFinite(call.deadlineAt)) this.deadlines--;
    if (call.node) this.queue.remove(call.node);
    call.node = undefined;
    this.active.delete(call.id);
    for (const link of call.links) this.links.close(link);
    call.links.clear();
  }

  private settle(call: number, error: ZmqReliableError): void {
    this.out.push({ type: "settle", call, error });
  }

  private emit<K extends keyof RequestClientEvents & string>(event: K, ...args: RequestClientEvents[K]): void {
    this.out.push({ type: "emit", event, args } as RequestClientAction);
  }
}
