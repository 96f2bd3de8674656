/**
 * Dispatch: pairs queued requests (clients in turn) with idle workers of the same service,
 * longest-waiting worker first, and builds the two hot-path messages (REQUEST
 * to a worker, the reply to a client) with exactly one array each.
 *
 * @module
 */
import type { Frame, SendAction } from "@zmq-reliable/core";
import { EMPTY } from "@zmq-reliable/core";
import type { Request, Service, ServiceTable } from "./broker-queues-state.js";
import type { Worker } from "./broker-workers-state.js";
import { MDPC_FRAME, MDPW_FRAME, REQUEST_FRAME } from "./protocol.js";

/** The name of the broker's one socket in its machine's inputs and actions. */
export const ROUTER = "router" as const;

/** Core's `SendAction` on the broker's ROUTER. */
export type RouterSend = SendAction<"router">;

/** Where dispatch puts its sends: the machine's action array. */
export interface SendSink {
  /** Appends one action. */
  push(action: RouterSend): number;
}

/**
 * A send on the broker's ROUTER (the first frame is the peer's routing id).
 *
 * @param frames - the whole message.
 */
export function send(frames: Frame[]): RouterSend {
  return { type: "send", channel: ROUTER, frames };
}

/**
 * The reply to a client: `[client, ∅, "MDPC01", service, …body]`.
 *
 * @param client - the client's routing id.
 * @param service - the service that answered.
 * @param body - the reply body, as the worker sent it.
 */
export function clientReply(client: Buffer, service: Service, body: readonly Buffer[]): Frame[] {
  const frames: Frame[] = new Array<Frame>(4 + body.length);
  frames[0] = client;
  frames[1] = EMPTY;
  frames[2] = MDPC_FRAME;
  frames[3] = service.frame;
  for (let i = 0; i < body.length; i++) frames[4 + i] = body[i]!;
  return frames;
}

/** Hands requests to idle workers and keeps the idle lists. */
export class Dispatcher {
  /** Idle workers now, all services together. */
  idle = 0;
  /** Requests handed to workers (re-dispatches included). */
  dispatched = 0;

  /** @param queues - the service queues requests are taken from. */
  constructor(private readonly queues: ServiceTable) {}

  /**
   * Puts `worker` at the back of its service's idle list.
   *
   * @param worker - a worker with no request in hand.
   */
  makeIdle(worker: Worker): void {
    worker.service.idle.pushNode(worker.idleLink);
    this.idle++;
  }

  /**
   * Takes `worker` off its service's idle list, if it is there.
   *
   * @param worker - the worker.
   */
  unidle(worker: Worker): void {
    if (worker.service.idle.remove(worker.idleLink)) this.idle--;
  }

  /**
   * Hands `request` to `worker`: `[worker, ∅, "MDPW01", 0x02, client, ∅, …body]`.
   *
   * @param worker - an idle worker of the request's service.
   * @param request - the request, in no queue.
   * @param out - receives the send.
   */
  assign(worker: Worker, request: Request, out: SendSink): void {
    this.unidle(worker);
    worker.request = request;
    request.attempts++;
    this.dispatched++;
    const body = request.body;
    const frames: Frame[] = new Array<Frame>(6 + body.length);
    frames[0] = worker.id;
    frames[1] = EMPTY;
    frames[2] = MDPW_FRAME;
    frames[3] = REQUEST_FRAME;
    frames[4] = request.client;
    frames[5] = EMPTY;
    for (let i = 0; i < body.length; i++) frames[6 + i] = body[i]!;
    out.push(send(frames));
  }

  /**
   * Hands queued requests of `service` to its idle workers while both last.
   *
   * @param service - the service.
   * @param out - receives the sends.
   */
  dispatch(service: Service, out: SendSink): void {
    let idle;
    while (service.queued > 0 && (idle = service.idle.head) !== undefined) {
      this.assign(idle.value, this.queues.take(service)!, out);
    }
  }

  /**
   * A worker just finished: hands it the next queued request of its service, or lets it wait idle.
   *
   * @param worker - a worker with no request in hand.
   * @param out - receives the send.
   */
  next(worker: Worker, out: SendSink): void {
    const request = this.queues.take(worker.service);
    if (request !== undefined) this.assign(worker, request, out);
    else this.makeIdle(worker);
  }
}
