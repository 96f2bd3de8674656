/**
 * The Majordomo broker's rules as a machine on core's contract
 * (`handle(input, now): actions`, `wakeAt()`), without sockets or timers. It
 * is built from plain parts with pure methods, each in its own file:
 *
 * - the service queues (`broker-queues-state.ts`): per service, waiting
 *   requests and idle workers; request expiry; the queue bounds (count and
 *   bytes: in all, per service, per client) and the cap on services;
 * - the worker registry (`broker-workers-state.ts`): workers by routing id
 *   and their expiry;
 * - dispatch (`broker-dispatch-state.ts`): requests to idle workers, replies
 *   to clients;
 * - 8/MMI (`broker-mmi-state.ts`);
 * - the worker-side rules (`broker-worker-rules-state.ts`): READY, REPLY,
 *   HEARTBEAT, DISCONNECT, malformed worker messages, forgetting a worker;
 * - the outbox (`broker-outbox-state.ts`): the actions of one input, drops
 *   and DISCONNECTs counted as they are written.
 *
 * This file holds the machine that ties them together (RFC 7 where
 * `mdbroker.c` differs: see the package README): which rule each message
 * goes to, the client requests (admission, MMI, limits, dispatch), the
 * heartbeat tick and shutdown. Its options and limits are in
 * `broker-options.ts`, the events and stats it reports in `broker-events.ts`,
 * its counters in `broker-counters-state.ts`. The role
 * ({@link MajordomoBroker}) feeds it every ROUTER message through core's
 * `Driver` and performs the sends it returns.
 *
 * Cost per message is O(1): a map lookup for the worker or service, a list
 * push or pop, at most one send. Besides decoding, the only allocations are
 * the returned action array, the send action and its frames (and a request
 * object when the pool of finished ones is empty), plus, for a request that
 * has to wait in a queue, its client's map key (the routing id as a string).
 * Heartbeats go to every worker once per interval (O(workers) per interval,
 * not per message).
 *
 * @module
 */
import type { AdmissionHook, Machine, MessageInput, SendFailedInput, WakeInput } from "@zmq-reliable/core";
import { ALWAYS_ADMIT, EMPTY, SocketError, checkNumber } from "@zmq-reliable/core";
import { BrokerCounters } from "./broker-counters-state.js";
import { Dispatcher, send } from "./broker-dispatch-state.js";
import type { BrokerStats } from "./broker-events.js";
import { mmiReply } from "./broker-mmi-state.js";
import type { BrokerStateOptions } from "./broker-options.js";
import { type BrokerAction, Outbox } from "./broker-outbox-state.js";
import { ServiceTable } from "./broker-queues-state.js";
import { WorkerRules } from "./broker-worker-rules-state.js";
import { WorkerRegistry } from "./broker-workers-state.js";
import { HEARTBEAT_FRAME, MDPW_FRAME, decode, isMmiService } from "./protocol.js";

export type { BrokerAction } from "./broker-outbox-state.js";

/** The command that closes the broker down: every worker is told DISCONNECT, every request is dropped. */
export interface ShutdownInput {
  /** Discriminant. */
  readonly type: "shutdown";
}

/**
 * The command that starts a graceful close: new client requests and queued
 * ones are dropped (reason `"draining"`: their clients' retries go to another
 * broker), requests in workers' hands are still answered; a `drained` event
 * says when workers hold none.
 */
export interface DrainInput {
  /** Discriminant. */
  readonly type: "drain";
}

/** What {@link BrokerState} is fed: ROUTER messages (routing id first), wake-ups, failed sends, drain, shutdown. */
export type BrokerInput = WakeInput | MessageInput<Buffer[], "router"> | SendFailedInput<"router"> | DrainInput | ShutdownInput;

const hex = (id: Buffer): string => id.toString("hex");
const limit = (name: string, value: number | undefined): number =>
  value === undefined ? Number.POSITIVE_INFINITY : checkNumber(name, value, 0);

/**
 * The broker's decisions, as a machine: {@link BrokerState.handle} takes one
 * input (a ROUTER message, a wake-up, a failed send, the shutdown command)
 * and returns the sends and events it leads to; {@link BrokerState.wakeAt}
 * says when it next needs a wake-up (heartbeats, worker and request expiry).
 * It follows RFC 7 and RFC 8 where the reference broker does not
 * ([Majordomo protocol: differences from the reference](https://zmq-reliable.github.io/zmq-reliable/documents/Majordomo_protocol.html#differences-from-the-reference)): see the package README for the list.
 */
export class BrokerState implements Machine<BrokerInput, BrokerAction> {
  private readonly services: ServiceTable;
  private readonly workers: WorkerRegistry;
  private readonly dispatcher: Dispatcher;
  private readonly rules: WorkerRules;
  private readonly interval: number;
  private readonly admission: AdmissionHook;
  private readonly maxRequestBytes: number;
  private nextHeartbeatAt: number;
  /** Next heartbeat or worker expiry, as of the last wake-up (request expiry is read live). */
  private wake: number;
  private readonly counters = new BrokerCounters();
  /** The actions of the input being handled. */
  private readonly out: Outbox;
  /** Draining: `undefined` (no), `"draining"`, or `"drained"` once the `drained` event went out. */
  private drain: "draining" | "drained" | undefined;
  /** The time of the last input (what `stats()` measures latency windows at when not told). */
  private now: number;

  /**
   * @param options - timings and bounds; see {@link BrokerStateOptions}.
   * @param now - the current time: the first heartbeat is due one interval later.
   */
  constructor(options: BrokerStateOptions, now: number) {
    this.interval = checkNumber("heartbeatInterval", options.heartbeatInterval, 1);
    const liveness = checkNumber("liveness", options.liveness, 1);
    const requestExpiry = checkNumber("requestExpiry", options.requestExpiry, 0);
    const maxAttempts = Math.floor(checkNumber("maxAttempts", options.maxAttempts, 1));
    this.maxRequestBytes = limit("maxRequestBytes", options.maxRequestBytes);
    this.admission = options.admission ?? ALWAYS_ADMIT;
    this.services = new ServiceTable({
      requestExpiry,
      maxQueued: limit("maxQueued", options.maxQueued),
      maxQueuedBytes: limit("maxQueuedBytes", options.maxQueuedBytes),
      maxQueuedPerService: limit("maxQueuedPerService", options.maxQueuedPerService),
      maxQueuedBytesPerService: limit("maxQueuedBytesPerService", options.maxQueuedBytesPerService),
      maxQueuedPerClient: limit("maxQueuedPerClient", options.maxQueuedPerClient),
      maxServices: limit("maxServices", options.maxServices),
    });
    this.out = new Outbox(this.counters, this.services);
    this.now = now;
    this.workers = new WorkerRegistry(this.interval * liveness);
    this.dispatcher = new Dispatcher(this.services);
    const { services, workers, dispatcher, counters, out } = this;
    this.rules = new WorkerRules({ services, workers, dispatcher, counters, out, maxAttempts });
    this.nextHeartbeatAt = now + this.interval;
    this.wake = this.nextHeartbeatAt;
  }

  /** When the state next needs a `wake` input: the next heartbeat, worker expiry or request expiry. */
  wakeAt(): number {
    const expiry = this.services.nextExpiry();
    return expiry < this.wake ? expiry : this.wake;
  }

  /** Registered workers now. */
  get workerCount(): number {
    return this.workers.size;
  }

  /**
   * Whether at least one worker is registered for `service` (what `mmi.service` answers).
   *
   * @param service - the service name.
   */
  hasWorkers(service: string): boolean {
    return this.services.hasWorkers(service);
  }

  /**
   * A snapshot of counters and gauges, in all and per service.
   *
   * @param now - the current time (latency percentiles cover the window before it); default the time of the last input.
   */
  stats(now: number = this.now): BrokerStats {
    const byService: BrokerStats["byService"] = {};
    for (const s of this.services.values()) {
      const idle = s.idle.length;
      byService[s.name] = s.figures.snapshot({ queued: s.queued, queuedBytes: s.queuedBytes, workers: s.workers, idleWorkers: idle, inFlight: s.workers - idle }, now);
    }
    return this.counters.snapshot({
      workers: this.workers.size,
      idleWorkers: this.dispatcher.idle,
      services: this.services.size,
      queued: this.services.queued,
      queuedBytes: this.services.queuedBytes,
      inFlight: this.workers.size - this.dispatcher.idle,
      dispatched: this.dispatcher.dispatched,
      byService,
    }, now);
  }

  /**
   * Handles one input. Never throws for bad input: malformed messages are
   * dropped and counted (and a worker that sent one is disconnected); a bug
   * while handling a message becomes an `"internal-error"` drop and an `error` event.
   *
   * @param input - a ROUTER message `[routingId, ∅, header, …]`, a wake-up, a failed send or `shutdown`.
   * @param now - the current time.
   * @returns the sends and events, in order.
   */
  handle(input: BrokerInput, now: number): BrokerAction[] {
    this.now = now;
    this.out.open();
    switch (input.type) {
      case "message":
        try {
          this.message(input.message, now);
        } catch (err) {
          const error = new SocketError(`broker state failed on a message: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
          this.out.drop("internal-error", undefined, undefined, error.message);
          this.out.emit("error", error);
        }
        break;
      case "wake":
        this.tick(now);
        break;
      case "send-failed":
        this.rules.sendFailed(input.frames, input.error, now);
        break;
      case "drain":
        this.drain ??= "draining";
        break;
      case "shutdown":
        this.shutdown(now);
        break;
    }
    if (this.drain !== undefined) this.drainStep();
    return this.out.close();
  }

  private message(message: Buffer[], now: number): void {
    const sender = message[0];
    if (sender === undefined) return;
    let msg;
    try {
      msg = decode(message, 1);
    } catch (err) {
      this.rules.malformed(sender, err, now);
      return;
    }
    switch (msg.type) {
      case "client":
        return this.clientRequest(sender, message[3]!, msg.service, msg.body, now);
      case "ready":
        return this.rules.ready(sender, message[4]!, msg.service, now);
      case "reply":
        return this.rules.reply(sender, msg.client, msg.body, now);
      case "heartbeat":
        return this.rules.heartbeat(sender, now);
      case "disconnect":
        return this.rules.disconnected(sender, now);
      case "request":
        return this.rules.unexpectedRequest(sender, now);
    }
  }

  /** Expires silent workers (re-dispatching their requests), heartbeats when due, expires requests that waited too long. */
  private tick(now: number): void {
    this.rules.expire(now);
    if (now >= this.nextHeartbeatAt) {
      for (const worker of this.workers.values()) this.out.push(send([worker.id, EMPTY, MDPW_FRAME, HEARTBEAT_FRAME]));
      this.counters.heartbeatsSent += this.workers.size;
      this.nextHeartbeatAt = now + this.interval;
    }
    let request;
    while ((request = this.services.nextExpired(now)) !== undefined) {
      const service = request.service;
      this.out.drop("request-expired", service.name, hex(request.client));
      this.services.release(request);
      this.services.collect(service);
    }
    const expiry = this.workers.nextDeadline();
    this.wake = expiry < this.nextHeartbeatAt ? expiry : this.nextHeartbeatAt;
  }

  /** Tells every worker DISCONNECT, forgets them all and drops every request (reason `"shutdown"`). */
  private shutdown(now: number): void {
    for (const worker of [...this.workers.values()]) {
      const request = worker.request;
      worker.request = undefined; // not re-dispatched: nobody is left to serve it
      if (request) {
        this.out.drop("shutdown", worker.service.name, hex(request.client), "in a worker's hands");
        this.services.release(request);
      }
      this.rules.forget(worker, "shutdown", true, now);
    }
    this.dropQueued("shutdown");
  }

  /** Drops every queued request. */
  private dropQueued(reason: "shutdown" | "draining"): void {
    if (this.services.queued === 0) return;
    for (const service of [...this.services.values()]) {
      let request;
      while ((request = this.services.take(service)) !== undefined) {
        this.out.drop(reason, service.name, hex(request.client));
        this.services.release(request);
      }
      this.services.collect(service);
    }
  }

  /** While draining: nothing waits in a queue (a request a vanished worker held included); `drained` once workers hold nothing. */
  private drainStep(): void {
    this.dropQueued("draining");
    if (this.drain === "draining" && this.workers.size === this.dispatcher.idle) {
      this.drain = "drained";
      this.out.emit("drained", { type: "drained" });
    }
  }

  private clientRequest(client: Buffer, serviceFrame: Buffer, name: string, body: Buffer[], now: number): void {
    this.counters.requests++;
    if (this.drain !== undefined) {
      this.out.drop("draining", name, hex(client));
      return;
    }
    if (this.admission !== ALWAYS_ADMIT && !this.admission.admit({ service: name })) {
      const known = this.services.get(name);
      if (known !== undefined) known.figures.requests++;
      this.out.drop("not-admitted", name, hex(client));
      return;
    }
    if (isMmiService(name)) {
      this.counters.mmi++;
      this.out.push(send(mmiReply(client, serviceFrame, name, body, this.services)));
      return;
    }
    const service = this.services.open(name, serviceFrame);
    if (service === undefined) {
      this.out.drop("too-many-services", name, hex(client));
      return;
    }
    service.figures.requests++;
    const request = this.services.request(client, service, body);
    request.receivedAt = now;
    if (request.bytes > this.maxRequestBytes) {
      this.out.drop("too-large", name, hex(client), `${request.bytes} bytes`);
      this.services.release(request);
      this.services.collect(service);
      return;
    }
    // Fast path: a worker is waiting and nobody is ahead in the queue.
    const idle = service.idle.head;
    if (idle !== undefined && service.queued === 0) {
      this.dispatcher.assign(idle.value, request, this.out);
      return;
    }
    const clientKey = client.toString("latin1");
    const refusal = this.services.refusal(service, clientKey, request.bytes);
    if (refusal !== undefined) {
      this.out.drop(refusal, name, hex(client));
      this.services.release(request);
      this.services.collect(service);
      return;
    }
    this.services.enqueue(request, clientKey, false, now);
    this.dispatcher.dispatch(service, this.out);
  }
}
