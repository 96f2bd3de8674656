/**
 * The broker's rules for the worker side of RFC 7: what READY, REPLY,
 * HEARTBEAT, DISCONNECT, a worker's REQUEST or a malformed worker message
 * does; forgetting a worker (its request in hand goes to another worker, up
 * to `maxAttempts`); and a REQUEST the socket could not deliver. Pure: the
 * {@link BrokerState} machine calls these and returns what they wrote to its
 * {@link Outbox}.
 *
 * @module
 */
import type { Frame, ZmqReliableError } from "@zmq-reliable/core";
import { BackpressureError, UnreachableError, isZmqError } from "@zmq-reliable/core";
import type { BrokerCounters } from "./broker-counters-state.js";
import type { Dispatcher } from "./broker-dispatch-state.js";
import { clientReply, send } from "./broker-dispatch-state.js";
import type { RetryEvent, WorkerGoneReason } from "./broker-events.js";
import type { Outbox } from "./broker-outbox-state.js";
import type { ServiceTable } from "./broker-queues-state.js";
import type { Worker, WorkerRegistry } from "./broker-workers-state.js";
import type { MalformedReason } from "./protocol.js";
import { MDPW_FRAME, MdpProtocolError, REQUEST_FRAME, isMmiService } from "./protocol.js";

const hex = (id: Buffer): string => id.toString("hex");

/** The parts of the broker the worker rules work on. */
export interface WorkerRulesParts {
  /** The service queues. */
  readonly services: ServiceTable;
  /** The registered workers. */
  readonly workers: WorkerRegistry;
  /** Hands requests to idle workers. */
  readonly dispatcher: Dispatcher;
  /** The broker's counters. */
  readonly counters: BrokerCounters;
  /** Where sends and events go. */
  readonly out: Outbox;
  /** Workers one request may be handed to in all. */
  readonly maxAttempts: number;
}

/** The worker side of the broker's rules. */
export class WorkerRules {
  /** @param parts - the broker's parts; see {@link WorkerRulesParts}. */
  constructor(private readonly parts: WorkerRulesParts) {}

  /**
   * READY: registers the worker for its service and hands it queued work. A
   * second READY, an `mmi.*` service or a service past `maxServices` is refused.
   *
   * @param sender - the worker's routing id.
   * @param serviceFrame - the service name as it came on the wire.
   * @param name - the service name.
   * @param now - the current time.
   */
  ready(sender: Buffer, serviceFrame: Buffer, name: string, now: number): void {
    const { workers, services, dispatcher, counters, out } = this.parts;
    const known = workers.find(sender);
    if (known) return this.forget(known, "second-ready", true, now);
    if (isMmiService(name)) return this.refuse(sender, name, "mmi-service");
    const service = services.open(name, serviceFrame);
    if (service === undefined) return this.refuse(sender, name, "too-many-services");
    const worker = workers.add(sender, service, now);
    counters.registered++;
    out.emit("ready", { type: "ready", worker: worker.hex, service: name });
    dispatcher.makeIdle(worker);
    dispatcher.dispatch(service, out);
  }

  /**
   * REPLY: forwards it to the client whose request the worker holds, then
   * hands the worker its next request. A reply from an unknown worker, with
   * nothing in hand or for another client is dropped and its sender disconnected.
   *
   * @param sender - the worker's routing id.
   * @param client - the client the reply names.
   * @param body - the reply body.
   * @param now - the current time.
   */
  reply(sender: Buffer, client: Buffer, body: Buffer[], now: number): void {
    const { workers, services, dispatcher, counters, out } = this.parts;
    const worker = workers.find(sender);
    if (worker === undefined) {
      out.drop("unexpected-reply", undefined, hex(sender), "from an unknown worker");
      return this.refuse(sender, undefined, "unknown-worker");
    }
    workers.touch(worker, now);
    const request = worker.request;
    if (request === undefined || !request.client.equals(client)) {
      out.drop("unexpected-reply", worker.service.name, worker.hex, request ? "for another client" : "with no request in hand");
      return this.forget(worker, "unexpected-command", true, now);
    }
    out.push(send(clientReply(client, worker.service, body)));
    counters.replies++;
    counters.latency.record(now - request.receivedAt, now);
    worker.service.figures.reply(now - request.receivedAt, now);
    worker.request = undefined;
    services.release(request);
    // Hand the next queued request straight over, or wait idle.
    dispatcher.next(worker, out);
  }

  /**
   * HEARTBEAT: keeps a known worker alive; an unknown one is told DISCONNECT.
   *
   * @param sender - the worker's routing id.
   * @param now - the current time.
   */
  heartbeat(sender: Buffer, now: number): void {
    const worker = this.parts.workers.find(sender);
    if (worker) this.parts.workers.touch(worker, now);
    else this.refuse(sender, undefined, "unknown-worker");
  }

  /**
   * DISCONNECT from a worker: it is forgotten (nothing is sent back).
   *
   * @param sender - the worker's routing id.
   * @param now - the current time.
   */
  disconnected(sender: Buffer, now: number): void {
    const worker = this.parts.workers.find(sender);
    if (worker) this.forget(worker, "disconnect", false, now);
  }

  /**
   * A REQUEST from a worker: valid MDP, but only a broker may send it.
   *
   * @param sender - the worker's routing id.
   * @param now - the current time.
   */
  unexpectedRequest(sender: Buffer, now: number): void {
    const worker = this.parts.workers.find(sender);
    if (worker) this.forget(worker, "unexpected-command", true, now);
    else this.refuse(sender, undefined, "unexpected-command");
  }

  /**
   * A message that failed to decode: dropped; a worker that sent it is an
   * invalid peer (RFC 7) and is disconnected and forgotten.
   *
   * @param sender - the peer's routing id.
   * @param err - the decode error.
   * @param now - the current time.
   */
  malformed(sender: Buffer, err: unknown, now: number): void {
    this.parts.counters.malformed++;
    const reason: MalformedReason | "unknown" = err instanceof MdpProtocolError ? err.reason : "unknown";
    const isWorker = err instanceof MdpProtocolError && err.subprotocol === "worker";
    const worker = this.parts.workers.find(sender);
    this.parts.out.drop("malformed", worker?.service.name, hex(sender), reason);
    if (!isWorker) return; // a client (or nobody we can tell): drop and carry on
    if (worker) this.forget(worker, "malformed", true, now);
    else this.refuse(sender, undefined, "malformed");
  }

  /**
   * Expires the workers silent for their TTL, telling each DISCONNECT.
   *
   * @param now - the current time.
   */
  expire(now: number): void {
    for (const worker of this.parts.workers.expired(now)) {
      this.parts.counters.expired++;
      this.parts.out.emit("expire", { type: "expire", worker: worker.hex, service: worker.service.name, busy: worker.request !== undefined });
      this.forget(worker, undefined, true, now);
    }
  }

  /**
   * A send the socket refused: the peer does not read (its queue is full) or is
   * gone. The message is dropped and counted, nothing buffers. A REQUEST that
   * did not reach its worker is not lost with it: that worker is forgotten and
   * the request goes to another (or is dropped after `maxAttempts`).
   *
   * @param frames - the message that was not sent.
   * @param error - why.
   * @param now - the current time.
   */
  sendFailed(frames: readonly Frame[], error: ZmqReliableError, now: number): void {
    const { out, counters, workers } = this.parts;
    if (error instanceof BackpressureError && isZmqError(error.cause, "EAGAIN")) out.drop("peer-full", undefined, undefined);
    else if (error instanceof UnreachableError) counters.unreachable++;
    else {
      out.drop("send-failed", undefined, undefined, error.message);
      out.emit("error", error);
    }
    if (frames[2] !== MDPW_FRAME || frames[3] !== REQUEST_FRAME) return;
    const worker = workers.find(frames[0] as Buffer);
    if (worker?.request !== undefined && worker.request.client === frames[4]) this.forget(worker, "unreachable", false, now);
  }

  /**
   * Removes a worker. Its request in hand, if any, goes back to the front of
   * the queue (or is dropped after `maxAttempts`).
   *
   * @param worker - the worker.
   * @param reason - why; `undefined` means expiry (reported as an `expire` event by the caller).
   * @param tell - send it DISCONNECT.
   * @param now - the current time.
   */
  forget(worker: Worker, reason: WorkerGoneReason | undefined, tell: boolean, now: number): void {
    const { workers, services, dispatcher, counters, out, maxAttempts } = this.parts;
    workers.remove(worker);
    dispatcher.unidle(worker);
    const service = worker.service;
    if (tell) out.disconnect(worker.id);
    if (reason !== undefined) {
      out.emit("disconnect", { type: "disconnect", worker: worker.hex, service: service.name, reason, disconnectSent: tell });
    }
    const request = worker.request;
    worker.request = undefined;
    if (request !== undefined) {
      if (request.attempts >= maxAttempts) {
        out.drop("max-attempts", service.name, hex(request.client), `${request.attempts} attempts`);
        services.release(request);
      } else if (services.full(request.bytes)) {
        out.drop("queue-full", service.name, hex(request.client));
        services.release(request);
      } else {
        counters.retries++;
        const event: RetryEvent = { type: "retry", service: service.name, client: hex(request.client), attempt: request.attempts + 1, previous: worker.hex, reason: reason ?? "expire" };
        out.emit("retry", event);
        services.enqueue(request, request.client.toString("latin1"), true, now);
        dispatcher.dispatch(service, out);
      }
    }
    services.collect(service);
  }

  /** Sends DISCONNECT to a peer that is not (or no longer) a registered worker. */
  private refuse(sender: Buffer, service: string | undefined, reason: WorkerGoneReason): void {
    this.parts.out.disconnect(sender);
    this.parts.out.emit("disconnect", { type: "disconnect", worker: hex(sender), service, reason, disconnectSent: true });
  }
}
