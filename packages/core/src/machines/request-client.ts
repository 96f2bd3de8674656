/**
 * The request-client machine: the pure rules of a client that sends each
 * request on a throw-away REQ socket and retries on a fresh one, shared by
 * the Lazy Pirate, Majordomo and Binary Star clients. Calls queue in FIFO
 * order, at most `concurrency` run at once (each on its own socket), at most
 * `maxQueued` wait; a {@link RetryPlan} per call decides where each send goes
 * and when to give up. A reply counts only on a socket the call still owns;
 * anything else is dropped as stale. Sockets that got their reply are kept
 * idle (up to `concurrency`) for later calls. The machine never touches a
 * socket: it names them (`link:<n>`) in `open`/`send`/`close` actions that
 * the `RequestClient` shell performs.
 *
 * @module
 */
import { BackpressureError, ClosedError, ProtocolError, ServiceUnavailableError, TimeoutError, ZmqReliableError } from "../pure/errors.js";
import type { EventMap } from "../pure/events.js";
import { LinkedList, type ListNode } from "../pure/collections.js";
import type { Frame } from "../pure/frames.js";
import type { EmitAction, Machine, MessageInput, SendFailedInput, SettleAction, WakeInput } from "../pure/machine.js";
import type { PlanStep, RetryPlan, RetryPolicy, RetryReason } from "./retry-plan.js";

/** Payload of a request client's `retry` event. */
export interface RetryEvent {
  /** The call's number, counting from 1 per client. */
  readonly request: number;
  /** The number of the new send: 2 for the first retry. */
  readonly attempt: number;
  /** The endpoint of the new send. */
  readonly endpoint: string;
  /** The endpoint of the send before it. */
  readonly previous: string;
  /** Why the previous send is given up on. */
  readonly reason: RetryReason;
}

/** Payload of a request client's `failover` event. */
export interface FailoverEvent {
  /** The call that moved. */
  readonly request: number;
  /** The endpoint given up on. */
  readonly from: string;
  /** The endpoint tried next. */
  readonly to: string;
  /** Why. */
  readonly reason: RetryReason;
}

/** Payload of a request client's `give-up` event. */
export interface GiveUpEvent {
  /** The call's number. */
  readonly request: number;
  /** How many sends were made. */
  readonly attempts: number;
  /** The endpoint of each send, in order. */
  readonly endpoints: readonly string[];
  /** The error the call rejects with. */
  readonly error: ServiceUnavailableError;
}

/** Payload of a request client's `reconnect` event: a retry goes out on a fresh socket. */
export interface ReconnectEvent {
  /** The call's number. */
  readonly request: number;
  /** The send the fresh socket carries. */
  readonly attempt: number;
  /** The endpoint of the previous send. */
  readonly closed: string;
  /** The endpoint the fresh socket connects to. */
  readonly endpoint: string;
}

/** Payload of a request client's `drop` event: a reply no caller gets. */
export interface ClientDropEvent {
  /**
   * `"malformed"`: `validate` rejected it (the attempt then waits for its
   * timeout); `"stale"`: it came on a socket whose attempt was already over.
   */
  readonly reason: "malformed" | "stale";
  /** The call it came for, when known. */
  readonly request: number | undefined;
  /** The endpoint it came from. */
  readonly endpoint: string;
  /** The reply frames. */
  readonly reply: Buffer[];
}

/** Events every request client emits. */
export type RequestClientEvents = {
  /** A send got no reply and the request goes out again. */
  retry: [RetryEvent];
  /** A call moved to another endpoint. */
  failover: [FailoverEvent];
  /** Every attempt failed; the call rejects with `ServiceUnavailableError`. */
  "give-up": [GiveUpEvent];
  /** A retry goes out on a fresh socket (the old one closed, linger 0). */
  reconnect: [ReconnectEvent];
  /** A reply was thrown away. */
  drop: [ClientDropEvent];
};

/** Counters and gauges of a request client. */
export interface RequestClientStats {
  /** Calls accepted. */
  requests: number;
  /** Calls that got their reply. */
  replies: number;
  /** Calls that ended with an error (give-up, protocol error, deadline, abort, close). */
  failures: number;
  /** Sends after a call's first. */
  retries: number;
  /** Attempts that timed out. */
  timeouts: number;
  /** Moves to another endpoint. */
  failovers: number;
  /** Calls being sent right now. */
  inFlight: number;
  /** Calls waiting for a free slot right now. */
  queued: number;
  /** Sends made, first ones and retries. */
  sends: number;
  /** Retries on a fresh socket after closing the previous one. */
  reconnects: number;
  /** Calls aborted through their signal. */
  aborted: number;
  /** Replies rejected by `validate`. */
  malformed: number;
  /** Replies that came for an attempt already over, thrown away. */
  stale: number;
  /** REQ sockets opened so far. */
  socketsOpened: number;
  /** REQ sockets open right now (busy and idle). */
  openSockets: number;
  /** Of which idle, ready for the next call. */
  idleSockets: number;
}

/** Opens a call: send `frames` and settle with the reply. */
export interface RequestInput {
  /** Discriminant. */
  readonly type: "request";
  /** The call's id (from the driver). */
  readonly call: number;
  /** What the REQ socket sends (it adds the empty delimiter). */
  readonly frames: Buffer[];
  /** Sends in all; default the machine's. */
  readonly attempts?: number;
  /** Per-attempt timeout in ms; default the machine's. */
  readonly timeout?: number;
  /** Whole-call deadline in ms from now, rejecting with `TimeoutError`; default none. */
  readonly deadline?: number;
  /** Turns the reply into the call's value; a throw rejects the call with it (a `ZmqReliableError`). */
  readonly decode?: (reply: Buffer[]) => Buffer[];
}

/** Inputs of {@link RequestClientState}. */
export type RequestClientInput =
  | WakeInput
  | RequestInput
  | MessageInput<Buffer[]>
  | SendFailedInput
  | {
      /** Discriminant: a call was aborted (the driver rejected it already). */
      readonly type: "cancel";
      /** The call's id. */
      readonly call: number;
    }
  | {
      /** Discriminant: a call was refused before it started (an already aborted signal). */
      readonly type: "refused";
    }
  | {
      /** Discriminant: a socket's connection went down (`up: false`) or was made (`up: true`). */
      readonly type: "link";
      /** The socket's channel name. */
      readonly channel: string;
      /** Whether it is connected. */
      readonly up: boolean;
    }
  | {
      /** Discriminant: the socket of an `open` action could not be made. */
      readonly type: "open-failed";
      /** Its channel name. */
      readonly channel: string;
      /** Why. */
      readonly error: ZmqReliableError;
    }
  | {
      /** Discriminant: connect ahead of the first call (`start()`). */
      readonly type: "warm";
    }
  | {
      /** Discriminant: reject every call with `error`, close every socket, refuse later calls. */
      readonly type: "close";
      /** What calls reject with. */
      readonly error: ZmqReliableError;
    };

/** Send the request on a socket (core's `SendAction`, as a type the `Driver` accepts). */
export type LinkSendAction = {
  /** Discriminant. */
  readonly type: "send";
  /** The socket's channel name. */
  readonly channel: string;
  /** The request. */
  readonly frames: Frame[];
};

/** Open a REQ socket connected to `endpoint`, known as `channel` from now on. */
export type OpenAction = {
  /** Discriminant. */
  readonly type: "open";
  /** The channel name sends and messages use. */
  readonly channel: string;
  /** Index of the endpoint in the policy's list. */
  readonly index: number;
  /** The endpoint. */
  readonly endpoint: string;
};

/** Close a socket at once (linger 0). */
export type CloseLinkAction = {
  /** Discriminant. */
  readonly type: "close";
  /** Its channel name. */
  readonly channel: string;
};

/** Actions of {@link RequestClientState}. */
export type RequestClientAction = LinkSendAction | OpenAction | CloseLinkAction | EmitAction<RequestClientEvents & EventMap> | SettleAction<Buffer[]>;

/** Options of {@link RequestClientState}. */
export interface RequestClientStateOptions {
  /** Plans every call. */
  policy: RetryPolicy;
  /** Calls in flight at once, each on its own socket; also the idle sockets kept. */
  concurrency: number;
  /** Calls that may wait for a slot; past it a call rejects with `BackpressureError`. */
  maxQueued: number;
  /** Default sends in all per call. */
  attempts: number;
  /** Default per-attempt timeout in ms. */
  timeout: number;
  /**
   * Checks a reply against its request; a rejected reply is dropped
   * (`drop` with reason `"malformed"`) and the attempt waits for its timeout.
   */
  validate?: (reply: Buffer[], request: Buffer[]) => boolean;
  /** The role's name for error messages, e.g. `"LazyPirateClient"`. */
  name?: string;
}

interface Link {
  readonly channel: string;
  readonly index: number;
  call: Call | undefined;
  group: number;
  spent: boolean;
  unreachable: boolean;
  closed: boolean;
}

interface Call {
  readonly id: number;
  readonly input: RequestInput;
  readonly deadlineAt: number;
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
  private readonly calls = new Map<number, Call>();
  private readonly active = new Set<Call>();
  private readonly links = new Map<string, Link>();
  private readonly idle: Link[] = [];
  private deadlines = 0;
  private nextLink = 1;
  private closed = false;
  private out: RequestClientAction[] = [];
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
    socketsOpened: 0,
  };

  /** @param options - see {@link RequestClientStateOptions}. */
  constructor(options: RequestClientStateOptions) {
    this.options = options;
  }

  /** The retry policy (its `current` is where the next call starts). */
  get policy(): RetryPolicy {
    return this.options.policy;
  }

  /** A snapshot of the counters and gauges. */
  stats(): RequestClientStats {
    return {
      ...this.counters,
      inFlight: this.active.size,
      queued: this.queue.length,
      openSockets: this.links.size,
      idleSockets: this.idle.length,
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
        if (!this.closed && !this.idle.some((l) => l.index === this.policy.current)) this.idle.push(this.open(this.policy.current));
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
    for (const call of this.active) at = Math.min(at, call.plan!.wakeAt(), call.deadlineAt);
    if (this.deadlines > 0) for (const call of this.queue) at = Math.min(at, call.deadlineAt);
    return at;
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
    const call: Call = { id: input.call, input, deadlineAt, node: undefined, plan: undefined, links: new Set(), tried: [] };
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
      this.active.add(call);
      call.plan = this.policy.plan({ attempts: call.input.attempts ?? this.options.attempts, timeout: call.input.timeout ?? this.options.timeout });
      const idle = this.idle.find((l) => l.index === call.plan!.first);
      this.run(call, call.plan.begin(now, !idle?.unreachable), now);
    }
  }

  private run(call: Call, steps: PlanStep[], now: number): void {
    for (const step of steps) {
      if (!this.active.has(call)) return;
      switch (step.type) {
        case "send":
          this.send(call, step.endpoint, step.reuse, step.group, step.reason);
          break;
        case "retire":
          for (const link of call.links) {
            if (link.group < step.before) {
              call.links.delete(link);
              this.closeLink(link);
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
          for (const link of [...this.idle]) if (link.index === step.from) this.closeLink(link);
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
    let link: Link | undefined;
    const at = this.idle.findIndex((l) => l.index === index);
    if (at >= 0) {
      const found = this.idle[at]!;
      if (reuse && !found.unreachable) link = this.idle.splice(at, 1)[0];
      else if (found.unreachable) this.closeLink(found);
    }
    const fresh = link === undefined;
    link ??= this.open(index);
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
    if (!link) return;
    const call = link.call;
    const endpoint = this.policy.endpoints[link.index]!;
    if (!call || !this.active.has(call) || link.spent) {
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
    this.release(link);
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
    if (!link || !call || !this.active.has(call)) return;
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
    this.closeLink(link);
    if (call && this.active.has(call)) this.finish(call, error, now);
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
    for (const call of [...this.active]) {
      if (!this.active.has(call)) continue;
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
    for (const call of [...this.calls.values()]) this.finish(call, error, 0);
    for (const link of [...this.links.values()]) this.closeLink(link);
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
    this.active.delete(call);
    for (const link of call.links) this.closeLink(link);
    call.links.clear();
  }

  private settle(call: number, error: ZmqReliableError): void {
    this.out.push({ type: "settle", call, error });
  }

  private open(index: number): Link {
    const link: Link = { channel: `link:${this.nextLink++}`, index, call: undefined, group: 0, spent: false, unreachable: false, closed: false };
    this.links.set(link.channel, link);
    this.counters.socketsOpened++;
    this.out.push({ type: "open", channel: link.channel, index, endpoint: this.policy.endpoints[index]! });
    return link;
  }

  /** Keeps a socket that got its reply for a later call, up to `concurrency` idle ones. */
  private release(link: Link): void {
    if (this.closed || link.spent) return this.closeLink(link);
    this.idle.push(link);
    if (this.idle.length > this.options.concurrency) this.closeLink(this.idle[0]!);
  }

  private closeLink(link: Link): void {
    if (link.closed) return;
    link.closed = true;
    link.call = undefined;
    this.links.delete(link.channel);
    const i = this.idle.indexOf(link);
    if (i >= 0) this.idle.splice(i, 1);
    this.out.push({ type: "close", channel: link.channel });
  }

  private emit<K extends keyof RequestClientEvents & string>(event: K, ...args: RequestClientEvents[K]): void {
    this.out.push({ type: "emit", event, args } as RequestClientAction);
  }
}
