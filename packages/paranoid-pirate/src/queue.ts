/**
 * The Paranoid Pirate queue role: a frontend ROUTER for clients, a backend
 * ROUTER for workers, and {@link QueueState} deciding what goes where.
 *
 * @module
 */
import {
  bindEphemeral,
  Channel,
  ClosedError,
  createSocket,
  type CurveServerOptions,
  describeFrame,
  type Logger,
  NotStartedError,
  systemClock,
  taggedLogger,
  Timer,
  TypedEmitter,
  type ZmqReliableError,
} from "@zmq-reliable/core";
import type * as zmq from "zeromq";
import { PARANOID_PIRATE_DEFAULTS } from "./defaults.js";
import { GatedReceiver } from "./gated-receiver.js";
import { type InFlightRequest, type QueueAction, type QueueDropReason, QueueState, type QueueStateCounters } from "./queue-state.js";

/** Options of {@link ParanoidPirateQueue}. */
export interface ParanoidPirateQueueOptions {
  /**
   * Endpoint the frontend ROUTER (clients) binds. `tcp://127.0.0.1:*` picks a
   * free port; read it back from {@link ParanoidPirateQueue.frontendEndpoint}.
   * Default `tcp://*:5555`.
   */
  frontend?: string;
  /** Endpoint the backend ROUTER (workers) binds. Default `tcp://*:5556`. */
  backend?: string;
  /** Milliseconds between heartbeats to each worker, idle or busy. Default 1000. */
  heartbeatInterval?: number;
  /** Intervals of silence after which a worker is expired. Default 3. */
  liveness?: number;
  /** CURVE key pair of the queue, applied to both ROUTERs (clients and workers then need its public key). */
  curve?: CurveServerOptions;
  /** Where to log; nothing is logged without one. */
  logger?: Logger;
}

/** Payload of the queue's `worker-ready` event. */
export interface WorkerReadyEvent {
  /** The worker's routing id (binary for anonymous DEALERs). */
  worker: Buffer;
}

/** Payload of the queue's `worker-expired` event. */
export interface WorkerExpiredEvent {
  /** The worker's routing id. */
  worker: Buffer;
  /** Whether it held a request; a `request-lost` event follows when it did. */
  busy: boolean;
  /** Milliseconds since it was last heard from. */
  silentFor: number;
}

/** Payload of the queue's `request-lost` event. */
export interface RequestLostEvent {
  /** The worker that held the request. */
  worker: Buffer;
  /** The client's address stack (its frontend routing id first). */
  client: Buffer[];
  /** The request's content frames. */
  request: Buffer[];
  /** When the request was handed to the worker (`performance.now()` time). */
  since: number;
  /**
   * Why it is lost: the worker `expired`; it said READY while holding it
   * (`restarted`: a fresh start, or its handler failed and it gave the request
   * up); or the queue `closed`.
   */
  cause: "expired" | "restarted" | "closed";
}

/** Payload of the queue's `drop` event. */
export interface QueueDropEvent {
  /** Why the message was dropped. */
  reason: QueueDropReason;
  /** The worker it came from, for backend traffic. */
  worker?: Buffer;
  /** The decoding error, when there was one. */
  error?: ZmqReliableError;
}

/** Events of {@link ParanoidPirateQueue}. */
export type ParanoidPirateQueueEvents = {
  /** A worker sent READY and is on the ready list. */
  "worker-ready": [WorkerReadyEvent];
  /** A worker was silent for `liveness × heartbeatInterval` and is forgotten. */
  "worker-expired": [WorkerExpiredEvent];
  /** A worker died (or restarted) holding a request; the client's retry covers it. */
  "request-lost": [RequestLostEvent];
  /** A message was dropped. */
  drop: [QueueDropEvent];
  /** A socket failure nobody else could report. */
  error: [ZmqReliableError];
};

/** Counters of {@link ParanoidPirateQueue}. */
export interface ParanoidPirateQueueStats extends QueueStateCounters {
  /** Registered workers, idle and busy. */
  workers: number;
  /** Workers ready for a request. */
  ready: number;
  /** Workers holding a request. */
  busy: number;
  /** Whether the frontend is being read (a worker is ready). */
  accepting: boolean;
  /** Messages read from the frontend. */
  frontendReceived: number;
  /** Messages read from the backend. */
  backendReceived: number;
}

/**
 * A Paranoid Pirate (6/PPP) queue. Clients (Lazy Pirate REQ clients) connect
 * to the frontend; PPP workers connect to the backend and say READY. Requests
 * go to the least recently used ready worker; workers and queue heartbeat
 * each other; a worker silent for `liveness × heartbeatInterval` is expired.
 *
 * The frontend is read only while a worker is ready: otherwise requests wait
 * inside ZeroMQ (up to its high-water mark) and clients' timeouts and retries
 * decide what happens, as with the reference queue. Nothing is buffered in
 * the queue itself. (One receive may already be pending when the last ready
 * worker expires; a request arriving through it is dropped with reason
 * `no-worker`, and the client's retry covers it.)
 *
 * ```ts
 * const queue = new ParanoidPirateQueue({ frontend: "tcp://127.0.0.1:5555", backend: "tcp://127.0.0.1:5556" });
 * queue.on("request-lost", (e) => console.warn("lost request from", e.client[0]));
 * await queue.start();
 * // ...
 * await queue.close();
 * ```
 */
export class ParanoidPirateQueue extends TypedEmitter<ParanoidPirateQueueEvents> {
  /** Milliseconds between heartbeats. */
  readonly heartbeatInterval: number;
  /** Intervals of silence before a worker is expired. */
  readonly liveness: number;
  private readonly options: ParanoidPirateQueueOptions;
  private readonly log: Logger;
  private readonly clock = systemClock;
  private readonly state: QueueState;
  private readonly timer: Timer;
  private frontend: Channel<zmq.Router> | undefined;
  private backend: Channel<zmq.Router> | undefined;
  private receiver: GatedReceiver | undefined;
  private frontendAddress: string | undefined;
  private backendAddress: string | undefined;
  private bound: Readonly<Record<"frontend" | "backend", string>> | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @param options - see {@link ParanoidPirateQueueOptions}; every field has a reference default. */
  constructor(options: ParanoidPirateQueueOptions = {}) {
    super();
    this.options = options;
    this.log = taggedLogger(options.logger, "ppp-queue");
    this.state = new QueueState({ heartbeatInterval: options.heartbeatInterval, liveness: options.liveness }, this.clock.now());
    this.heartbeatInterval = this.state.heartbeatInterval;
    this.liveness = this.state.liveness;
    this.timer = new Timer(this.clock, () => this.onTimer());
  }

  /** The endpoint clients connect to (wildcard hosts turned into 127.0.0.1), once started. */
  get frontendEndpoint(): string | undefined {
    return this.frontendAddress;
  }

  /** The endpoint workers connect to, once started. */
  get backendEndpoint(): string | undefined {
    return this.backendAddress;
  }

  /**
   * Both endpoints as bound (the sockets' `lastEndpoint`: `tcp://0.0.0.0:5555`
   * for `tcp://*:5555`), for logs and start lines.
   *
   * @throws `NotStartedError` before {@link ParanoidPirateQueue.start} succeeded.
   */
  get boundEndpoints(): Readonly<Record<"frontend" | "backend", string>> {
    if (!this.bound) throw new NotStartedError("ParanoidPirateQueue.boundEndpoints is known after start()");
    return { ...this.bound };
  }

  /** Routing ids of ready workers, least recently used first. */
  readyWorkers(): Buffer[] {
    return this.state.readyWorkers();
  }

  /** A snapshot of the counters. */
  stats(): ParanoidPirateQueueStats {
    return {
      ...this.state.stats(),
      workers: this.state.workerCount,
      ready: this.state.readyCount,
      busy: this.state.busyCount,
      accepting: this.state.canAccept,
      frontendReceived: this.receiver?.received ?? 0,
      backendReceived: this.backend?.stats().received ?? 0,
    };
  }

  /**
   * Binds both ROUTERs and starts serving. Rejects (and releases both
   * sockets) when an endpoint cannot be bound. Calling it again returns the
   * same promise.
   */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    if (this.closing) throw new ClosedError("ParanoidPirateQueue is closed");
    const onError = (error: ZmqReliableError) => {
      this.log.error?.(error.message);
      this.emit("error", error);
    };
    const curve = this.options.curve;
    this.frontend = new Channel(createSocket("router", { curve }), { name: "ppp-queue frontend", onError });
    this.backend = new Channel(createSocket("router", { curve }), { name: "ppp-queue backend", onError });
    try {
      this.frontendAddress = await bindEphemeral(this.frontend.socket, this.options.frontend ?? PARANOID_PIRATE_DEFAULTS.frontend);
      this.backendAddress = await bindEphemeral(this.backend.socket, this.options.backend ?? PARANOID_PIRATE_DEFAULTS.backend);
      this.bound = { frontend: this.frontend.socket.lastEndpoint ?? this.frontendAddress, backend: this.backend.socket.lastEndpoint ?? this.backendAddress };
    } catch (err) {
      await Promise.all([this.frontend.close(), this.backend.close()]);
      throw err;
    }
    if (this.closing) {
      await Promise.all([this.frontend.close(), this.backend.close()]);
      throw new ClosedError("ParanoidPirateQueue is closed");
    }
    this.log.info?.(`frontend ${this.frontendAddress}, backend ${this.backendAddress}`);
    this.backend.listen((message) => this.onBackend(message));
    this.receiver = new GatedReceiver(this.frontend.socket, (message) => this.onFrontend(message), {
      name: "ppp-queue frontend",
      isOpen: () => this.state.canAccept,
      onError,
    });
    this.receiver.start();
    this.schedule();
  }

  private onFrontend(message: Buffer[]): void {
    if (this.closing) return;
    this.log.debug?.(`client → ${message.map((f) => describeFrame(f)).join(" | ")}`);
    this.perform(this.state.clientRequest(message, this.clock.now()));
  }

  private onBackend(message: Buffer[]): void {
    if (this.closing) return;
    const [worker, ...frames] = message;
    if (this.log.debug) this.log.debug(`worker ${worker!.toString("hex")} → ${frames.map((f) => describeFrame(f)).join(" | ")}`);
    this.perform(this.state.workerMessage(worker!, frames, this.clock.now()));
  }

  private onTimer(): void {
    if (this.closing) return;
    this.perform(this.state.tick(this.clock.now()));
  }

  private perform(actions: QueueAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case "send-worker":
          this.backend!.post([action.worker, ...action.frames]);
          break;
        case "send-client":
          this.frontend!.post(action.frames);
          break;
        case "worker-ready":
          this.log.info?.(`worker ${action.worker.toString("hex")} ready`);
          this.emit("worker-ready", { worker: action.worker });
          break;
        case "worker-expired":
          this.log.warn?.(`worker ${action.worker.toString("hex")} expired after ${Math.round(action.silentFor)} ms of silence${action.busy ? " holding a request" : ""}`);
          this.emit("worker-expired", { worker: action.worker, busy: action.busy, silentFor: action.silentFor });
          break;
        case "request-lost":
          this.emitLost(action.worker, action.request, action.cause);
          break;
        case "drop":
          this.log.debug?.(`dropped (${action.reason})${action.worker ? ` from worker ${action.worker.toString("hex")}` : ""}${action.error ? `: ${action.error.message}` : ""}`);
          this.emit("drop", { reason: action.reason, worker: action.worker, error: action.error });
          break;
      }
    }
    this.schedule();
    this.receiver?.wake();
  }

  private emitLost(worker: Buffer, request: InFlightRequest, cause: RequestLostEvent["cause"]): void {
    this.log.warn?.(`request from client ${request.client[0]?.toString("hex")} lost with worker ${worker.toString("hex")} (${cause})`);
    this.emit("request-lost", { worker, client: request.client, request: request.body, since: request.since, cause });
  }

  private schedule(): void {
    if (this.closing) return;
    const next = this.state.nextWakeAt();
    if (next < this.timer.deadline) this.timer.at(next);
  }

  /**
   * Stops serving: closes both sockets (requests in flight are lost; each
   * emits `request-lost` with cause `closed`, and clients' retries cover
   * them) and cancels every timer. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    await this.starting?.catch(() => {});
    this.timer.cancel();
    for (const action of this.state.clear()) {
      if (action.type === "request-lost") this.emitLost(action.worker, action.request, action.cause);
    }
    const receiving = this.receiver?.stop();
    await Promise.all([this.frontend?.close(), this.backend?.close()]);
    await receiving;
    this.log.info?.("closed");
  }
}
