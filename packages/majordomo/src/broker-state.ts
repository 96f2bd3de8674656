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
 * - 8/MMI (`broker-mmi-state.ts`).
 *
 * This file holds the rules that tie them together (RFC 7 where `mdbroker.c`
 * differs: see the package README): what each client and worker message
 * does, the heartbeat tick and shutdown. Its options and limits are in
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
import type { AdmissionHook, EmitAction, Frame, Machine, MessageInput, SendFailedInput, WakeInput, ZmqReliableError } from "@zmq-reliable/core";
import { ALWAYS_ADMIT, BackpressureError, EMPTY, SocketError, UnreachableError, checkNumber, isZmqError } from "@zmq-reliable/core";
import type { RouterSend } from "./broker-dispatch-state.js";
import { Dispatcher, clientReply, send } from "./broker-dispatch-state.js";
import { mmiReply } from "./broker-mmi-state.js";
import { ServiceTable } from "./broker-queues-state.js";
import type { Worker } from "./broker-workers-state.js";
import { WorkerRegistry } from "./broker-workers-state.js";
import { BrokerCounters } from "./broker-counters-state.js";
import type { BrokerStateEvents, BrokerStats, DropEvent, DropReason, RetryEvent, WorkerGoneReason } from "./broker-events.js";
import type { BrokerStateOptions } from "./broker-options.js";
import type { MalformedReason } from "./protocol.js";
import { DISCONNECT_FRAME, HEARTBEAT_FRAME, MDPW_FRAME, MdpProtocolError, REQUEST_FRAME, decode, isMmiService } from "./protocol.js";

/** The command that closes the broker down: every worker is told DISCONNECT, every request is dropped. */
export interface ShutdownInput {
  /** Discriminant. */
  readonly type: "shutdown";
}

/** What {@link BrokerState} is fed: ROUTER messages (routing id first), wake-ups, failed sends, shutdown. */
export type BrokerInput = WakeInput | MessageInput<Buffer[], "router"> | SendFailedInput<"router"> | ShutdownInput;

/** What {@link BrokerState} asks for: sends on the ROUTER and events. */
export type BrokerAction = RouterSend | EmitAction<BrokerStateEvents>;

const hex = (id: Buffer): string => id.toString("hex");
const limit = (name: string, value: number | undefined): number =>
  value === undefined ? Number.POSITIVE_INFINITY : checkNumber(name, value, 0);
const NO_ACTIONS: BrokerAction[] = [];

/**
 * The broker's decisions, as a machine: {@link BrokerState.handle} takes one
 * input (a ROUTER message, a wake-up, a failed send, the shutdown command)
 * and returns the sends and events it leads to; {@link BrokerState.wakeAt}
 * says when it next needs a wake-up (heartbeats, worker and request expiry).
 * It follows RFC 7 and RFC 8 where the reference broker does not
 * (protocols.md §5.6, §14): see the package README for the list.
 */
export class BrokerState implements Machine<BrokerInput, BrokerAction> {
  private readonly services: ServiceTable;
  private readonly workers: WorkerRegistry;
  private readonly dispatcher: Dispatcher;
  private readonly interval: number;
  private readonly maxAttempts: number;
  private readonly admission: AdmissionHook;
  private readonly maxRequestBytes: number;
  private nextHeartbeatAt: number;
  /** Next heartbeat or worker expiry, as of the last wake-up (request expiry is read live). */
  private wake: number;
  /** The actions of the input being handled. */
  private out: BrokerAction[] = NO_ACTIONS;
  private readonly counters = new BrokerCounters();

  /**
   * @param options - timings and bounds; see {@link BrokerStateOptions}.
   * @param now - the current time: the first heartbeat is due one interval later.
   */
  constructor(options: BrokerStateOptions, now: number) {
    this.interval = checkNumber("heartbeatInterval", options.heartbeatInterval, 1);
    const liveness = checkNumber("liveness", options.liveness, 1);
    const requestExpiry = checkNumber("requestExpiry", options.requestExpiry, 0);
    this.maxAttempts = Math.floor(checkNumber("maxAttempts", options.maxAttempts, 1));
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
    this.workers = new WorkerRegistry(this.interval * liveness);
    this.dispatcher = new Dispatcher(this.services);
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

  /** A snapshot of counters and gauges. */
  stats(): BrokerStats {
    return this.counters.snapshot({
      workers: this.workers.size,
      idleWorkers: this.dispatcher.idle,
      services: this.services.size,
      queued: this.services.queued,
      queuedBytes: this.services.queuedBytes,
      inFlight: this.workers.size - this.dispatcher.idle,
      dispatched: this.dispatcher.dispatched,
    });
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
    const out: BrokerAction[] = [];
    this.out = out;
    switch (input.type) {
      case "message":
        try {
          this.message(input.message, now);
        } catch (err) {
          const error = new SocketError(`broker state failed on a message: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
          this.drop("internal-error", undefined, undefined, error.message);
          this.emit("error", error);
        }
        break;
      case "wake":
        this.tick(now);
        break;
      case "send-failed":
        this.sendFailed(input.frames, input.error, now);
        break;
      case "shutdown":
        this.shutdown(now);
        break;
    }
    this.out = NO_ACTIONS;
    return out;
  }

  private message(message: Buffer[], now: number): void {
    const sender = message[0];
    if (sender === undefined) return;
    let msg;
    try {
      msg = decode(message, 1);
    } catch (err) {
      this.malformed(sender, err, now);
      return;
    }
    switch (msg.type) {
      case "client":
        return this.clientRequest(sender, message[3]!, msg.service, msg.body, now);
      case "ready":
        return this.ready(sender, message[4]!, msg.service, now);
      case "reply":
        return this.reply(sender, msg.client, msg.body, now);
      case "heartbeat": {
        const worker = this.workers.find(sender);
        if (worker) this.workers.touch(worker, now);
        else this.refuse(sender, undefined, "unknown-worker");
        return;
      }
      case "disconnect": {
        const worker = this.workers.find(sender);
        if (worker) this.forget(worker, "disconnect", false, now);
        return;
      }
      case "request": {
        // valid MDP, but only a broker may send REQUEST
        const worker = this.workers.find(sender);
        if (worker) this.forget(worker, "unexpected-command", true, now);
        else this.refuse(sender, undefined, "unexpected-command");
        return;
      }
    }
  }

  /** Expires silent workers (re-dispatching their requests), heartbeats when due, expires requests that waited too long. */
  private tick(now: number): void {
    for (const worker of this.workers.expired(now)) {
      this.counters.expired++;
      this.emit("expire", { type: "expire", worker: worker.hex, service: worker.service.name, busy: worker.request !== undefined });
      this.forget(worker, undefined, true, now);
    }
    if (now >= this.nextHeartbeatAt) {
      for (const worker of this.workers.values()) this.out.push(send([worker.id, EMPTY, MDPW_FRAME, HEARTBEAT_FRAME]));
      this.counters.heartbeatsSent += this.workers.size;
      this.nextHeartbeatAt = now + this.interval;
    }
    let request;
    while ((request = this.services.nextExpired(now)) !== undefined) {
      const service = request.service;
      this.drop("request-expired", service.name, hex(request.client));
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
        this.drop("shutdown", worker.service.name, hex(request.client), "in a worker's hands");
        this.services.release(request);
      }
      this.forget(worker, "shutdown", true, now);
    }
    for (const service of [...this.services.values()]) {
      let request;
      while ((request = this.services.take(service)) !== undefined) {
        this.drop("shutdown", service.name, hex(request.client));
        this.services.release(request);
      }
      this.services.collect(service);
    }
  }

  // --- clients -------------------------------------------------------------

  private clientRequest(client: Buffer, serviceFrame: Buffer, name: string, body: Buffer[], now: number): void {
    this.counters.requests++;
    if (this.admission !== ALWAYS_ADMIT && !this.admission.admit({ service: name })) {
      this.drop("not-admitted", name, hex(client));
      return;
    }
    if (isMmiService(name)) {
      this.counters.mmi++;
      this.out.push(send(mmiReply(client, serviceFrame, name, body, this.services)));
      return;
    }
    const service = this.services.open(name, serviceFrame);
    if (service === undefined) {
      this.drop("too-many-services", name, hex(client));
      return;
    }
    const request = this.services.request(client, service, body);
    if (request.bytes > this.maxRequestBytes) {
      this.drop("too-large", name, hex(client), `${request.bytes} bytes`);
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
      this.drop(refusal, name, hex(client));
      this.services.release(request);
      this.services.collect(service);
      return;
    }
    this.services.enqueue(request, clientKey, false, now);
    this.dispatcher.dispatch(service, this.out);
  }

  // --- workers -------------------------------------------------------------

  private ready(sender: Buffer, serviceFrame: Buffer, name: string, now: number): void {
    const known = this.workers.find(sender);
    if (known) {
      this.forget(known, "second-ready", true, now);
      return;
    }
    if (isMmiService(name)) {
      this.refuse(sender, name, "mmi-service");
      return;
    }
    const service = this.services.open(name, serviceFrame);
    if (service === undefined) {
      this.refuse(sender, name, "too-many-services");
      return;
    }
    const worker = this.workers.add(sender, service, now);
    this.counters.registered++;
    this.emit("ready", { type: "ready", worker: worker.hex, service: name });
    this.dispatcher.makeIdle(worker);
    this.dispatcher.dispatch(service, this.out);
  }

  private reply(sender: Buffer, client: Buffer, body: Buffer[], now: number): void {
    const worker = this.workers.find(sender);
    if (worker === undefined) {
      this.drop("unexpected-reply", undefined, hex(sender), "from an unknown worker");
      this.refuse(sender, undefined, "unknown-worker");
      return;
    }
    this.workers.touch(worker, now);
    const request = worker.request;
    if (request === undefined || !request.client.equals(client)) {
      this.drop("unexpected-reply", worker.service.name, worker.hex, request ? "for another client" : "with no request in hand");
      this.forget(worker, "unexpected-command", true, now);
      return;
    }
    this.out.push(send(clientReply(client, worker.service, body)));
    this.counters.replies++;
    worker.request = undefined;
    this.services.release(request);
    // Hand the next queued request straight over, or wait idle.
    this.dispatcher.next(worker, this.out);
  }

  private malformed(sender: Buffer, err: unknown, now: number): void {
    this.counters.malformed++;
    const reason: MalformedReason | "unknown" = err instanceof MdpProtocolError ? err.reason : "unknown";
    const isWorker = err instanceof MdpProtocolError && err.subprotocol === "worker";
    const worker = this.workers.find(sender);
    this.drop("malformed", worker?.service.name, hex(sender), reason);
    if (!isWorker) return; // a client (or nobody we can tell): drop and carry on
    // RFC 7: an invalid message means an invalid peer: DISCONNECT it and forget it.
    if (worker) this.forget(worker, "malformed", true, now);
    else this.refuse(sender, undefined, "malformed");
  }

  /** Sends DISCONNECT to a peer that is not (or no longer) a registered worker. */
  private refuse(sender: Buffer, service: string | undefined, reason: WorkerGoneReason): void {
    this.sendDisconnect(sender);
    this.emit("disconnect", { type: "disconnect", worker: hex(sender), service, reason, disconnectSent: true });
  }

  private sendDisconnect(id: Buffer): void {
    this.counters.disconnectsSent++;
    this.out.push(send([id, EMPTY, MDPW_FRAME, DISCONNECT_FRAME]));
  }

  /**
   * Removes a worker. Its request in hand, if any, goes back to the front of
   * the queue (or is dropped after `maxAttempts`). `reason` undefined means
   * expiry (reported as an `expire` event by the caller).
   */
  private forget(worker: Worker, reason: WorkerGoneReason | undefined, tell: boolean, now: number): void {
    this.workers.remove(worker);
    this.dispatcher.unidle(worker);
    const service = worker.service;
    if (tell) this.sendDisconnect(worker.id);
    if (reason !== undefined) {
      this.emit("disconnect", { type: "disconnect", worker: worker.hex, service: service.name, reason, disconnectSent: tell });
    }
    const request = worker.request;
    worker.request = undefined;
    if (request !== undefined) {
      if (request.attempts >= this.maxAttempts) {
        this.drop("max-attempts", service.name, hex(request.client), `${request.attempts} attempts`);
        this.services.release(request);
      } else if (this.services.full(request.bytes)) {
        this.drop("queue-full", service.name, hex(request.client));
        this.services.release(request);
      } else {
        this.counters.retries++;
        const event: RetryEvent = { type: "retry", service: service.name, client: hex(request.client), attempt: request.attempts + 1, previous: worker.hex, reason: reason ?? "expire" };
        this.emit("retry", event);
        this.services.enqueue(request, request.client.toString("latin1"), true, now);
        this.dispatcher.dispatch(service, this.out);
      }
    }
    this.services.collect(service);
  }

  /**
   * A send the socket refused: the peer does not read (its queue is full) or is
   * gone. The message is dropped and counted, nothing buffers. A REQUEST that
   * did not reach its worker is not lost with it: that worker is forgotten and
   * the request goes to another (or is dropped after `maxAttempts`).
   */
  private sendFailed(frames: readonly Frame[], error: ZmqReliableError, now: number): void {
    if (error instanceof BackpressureError && isZmqError(error.cause, "EAGAIN")) this.drop("peer-full", undefined, undefined);
    else if (error instanceof UnreachableError) this.counters.unreachable++;
    else {
      this.drop("send-failed", undefined, undefined, error.message);
      this.emit("error", error);
    }
    if (frames[2] !== MDPW_FRAME || frames[3] !== REQUEST_FRAME) return;
    const worker = this.workers.find(frames[0] as Buffer);
    if (worker?.request !== undefined && worker.request.client === frames[4]) this.forget(worker, "unreachable", false, now);
  }

  private drop(reason: DropReason, service: string | undefined, peer: string | undefined, detail?: string): void {
    this.counters.drop(reason);
    const event: DropEvent = { type: "drop", reason };
    if (service !== undefined) event.service = service;
    if (peer !== undefined) event.peer = peer;
    if (detail !== undefined) event.detail = detail;
    this.emit("drop", event);
  }

  private emit<K extends keyof BrokerStateEvents>(event: K, ...args: BrokerStateEvents[K]): void {
    this.out.push({ type: "emit", event, args } as EmitAction<BrokerStateEvents>);
  }
}
