/**
 * The Paranoid Pirate queue role: a frontend ROUTER for clients, a backend
 * ROUTER for workers, and {@link QueueState} deciding what goes where, run by
 * core's `Driver`.
 *
 * @module
 */
import {
  bindEndpoint,
  Channel,
  checkNumber,
  type CloseOptions,
  createSocket,
  Driver,
  flushLimitedLog,
  Lifecycle,
  type Logger,
  NotStartedError,
  systemClock,
  taggedLogger,
  TypedEmitter,
  type ZmqReliableError,
} from "@zmq-reliable/core";
import type * as zmq from "zeromq";
import { PARANOID_PIRATE_DEFAULTS } from "./defaults.js";
import type { ParanoidPirateQueueEvents, QueueStateEvents } from "./queue-events.js";
import { hex, logQueueEvent, trace } from "./queue-log.js";
import { decodeBackendMessage, decodeFrontendMessage, type QueueAction, type QueueInput } from "./queue-messages.js";
import type { ParanoidPirateQueueOptions, ParanoidPirateQueueStats, QueueEndpoints } from "./queue-options.js";
import { QueueState } from "./queue-state.js";

/** How long `close()` and a failed `start()` wait for libzmq to release a bound port. */
const RELEASE_MS = 1000;

/**
 * A Paranoid Pirate (6/PPP) queue. Clients (Lazy Pirate REQ clients) connect
 * to the frontend; PPP workers connect to the backend and say READY. Requests
 * go to the least recently used ready worker, proven workers (that have
 * answered a request) before the others; a request whose worker says READY
 * again goes to another (`retry`, at most `maxAttempts` workers in all); workers and queue heartbeat
 * each other; a worker silent for `liveness × heartbeatInterval` is expired.
 *
 * Memory is bounded whatever clients send: a request that finds no ready
 * worker is held by the queue, at most `maxQueued` of them and
 * `maxQueuedBytes` bytes (past either it is dropped, `queue-full`), at most
 * `maxQueuedPerClient` from one client connection (`client-full`), none
 * larger than `maxRequestBytes` (`too-large`; a frame over twice that is
 * refused by libzmq itself, which disconnects the sender before buffering
 * it, uncounted), and never dispatched more
 * than `requestExpiry` ms after it arrived (`expired`). Every refusal is a
 * `drop` event and a counter; PPP has no error reply, so the client's
 * timeout and retry decide what happens next. Unlike the reference queue,
 * the frontend is read all the time (but while draining at close), so
 * nothing waits inside ZeroMQ unbounded in bytes or age.
 *
 * Only the worker holding a client's request may answer it: a reply with
 * any other envelope is dropped (`unexpected-reply`), never forwarded.
 *
 * ```ts
 * const queue = new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:5555", backend: "tcp://127.0.0.1:5556" } });
 * queue.on("request-lost", (e) => console.warn("lost request from", e.client[0]));
 * await queue.start();
 * console.log(queue.endpoints.frontend);
 * await queue.close();
 * ```
 */
export class ParanoidPirateQueue extends TypedEmitter<ParanoidPirateQueueEvents> {
  /** Milliseconds between heartbeats. */
  readonly heartbeatInterval: number;
  /** Intervals of silence before a worker is expired. */
  readonly liveness: number;
  /** The frontend ROUTER's receive high-water mark (messages per client connection). */
  readonly receiveHighWaterMark: number;
  private readonly options: ParanoidPirateQueueOptions;
  private readonly log: Logger;
  private readonly state: QueueState;
  private readonly driver: Driver<QueueInput, QueueAction>;
  private readonly life: Lifecycle;
  private frontend: Channel<zmq.Router> | undefined;
  private backend: Channel<zmq.Router> | undefined;
  private bound: QueueEndpoints | undefined;
  private asBound: QueueEndpoints | undefined;
  private drained: (() => void) | undefined;

  /**
   * @param options - see {@link ParanoidPirateQueueOptions}; every field has a reference default.
   * @throws `InvalidOptionError` (core) for a bad `heartbeatInterval`, `liveness` or limit.
   */
  constructor(options: ParanoidPirateQueueOptions = {}) {
    super();
    this.options = options;
    const clock = options.clock ?? systemClock;
    this.log = taggedLogger(options.logger, "ppp-queue");
    const { heartbeatInterval, liveness, maxQueued, maxQueuedBytes, maxQueuedPerClient, maxRequestBytes, requestExpiry, maxAttempts } = options;
    this.state = new QueueState({ heartbeatInterval, liveness, maxQueued, maxQueuedBytes, maxQueuedPerClient, maxRequestBytes, requestExpiry, maxAttempts }, clock.now());
    this.receiveHighWaterMark = checkNumber("receiveHighWaterMark", options.receiveHighWaterMark ?? PARANOID_PIRATE_DEFAULTS.receiveHighWaterMark, 1);
    this.heartbeatInterval = this.state.heartbeatInterval;
    this.liveness = this.state.liveness;
    this.life = new Lifecycle("ParanoidPirateQueue", clock);
    this.driver = new Driver(this.state, {
      clock,
      emit: (event, payload) => this.report(event as keyof QueueStateEvents, payload),
      perform: (action) => this.perform(action),
      onError: (error) => this.fail(error),
    });
  }

  /**
   * The endpoints clients and workers connect to (wildcard hosts turned into 127.0.0.1).
   *
   * @throws `NotStartedError` (core) before `start()` has resolved.
   */
  get endpoints(): QueueEndpoints {
    if (!this.bound) throw new NotStartedError("ParanoidPirateQueue.endpoints are known after start()");
    return this.bound;
  }

  /**
   * The endpoints as bound (`tcp://0.0.0.0:5555` for `tcp://*:5555`): what a CLI prints.
   *
   * @throws `NotStartedError` (core) before `start()` has resolved.
   */
  get boundEndpoints(): QueueEndpoints {
    if (!this.asBound) throw new NotStartedError("ParanoidPirateQueue.boundEndpoints are known after start()");
    return this.asBound;
  }

  /** Routing ids of ready workers, least recently used first. */
  readyWorkers(): Buffer[] {
    return this.state.readyWorkers();
  }

  /** A snapshot of the counters. */
  stats(): ParanoidPirateQueueStats {
    const busy = this.state.busyCount;
    return {
      ...this.state.stats(),
      workers: this.state.workerCount,
      ready: this.state.readyCount,
      busy,
      inFlight: busy,
      queued: this.state.queuedCount,
      queuedBytes: this.state.queuedBytes,
      accepting: this.state.canAccept,
      frontendReceived: this.frontend?.stats().received ?? 0,
      backendReceived: this.backend?.stats().received ?? 0,
      latency: this.state.latency(this.driver.clock.now()),
    };
  }

  /**
   * Binds both ROUTERs and starts serving. Idempotent: concurrent calls share
   * one attempt, later calls resolve at once. When an endpoint cannot be bound
   * it rejects with a `SocketError` (core) naming it, releases both sockets,
   * and a later `start()` tries again.
   *
   * @throws `ClosedError` (core) after `close()`.
   */
  start(): Promise<void> {
    return this.life.start(
      () => this.open(),
      () => this.closeChannels(),
    );
  }

  private async open(): Promise<void> {
    const { curve, bind = {} } = this.options;
    const onError = (error: ZmqReliableError) => this.fail(error);
    const frontend = (this.frontend = new Channel(createSocket("router", { curve, receiveHighWaterMark: this.receiveHighWaterMark, maxMessageSize: 2 * this.state.maxRequestBytes }), { name: "ppp-queue frontend", onError }));
    const backend = (this.backend = new Channel(createSocket("router", { curve }), { name: "ppp-queue backend", onError }));
    const f = await bindEndpoint(frontend.socket, bind.frontend ?? PARANOID_PIRATE_DEFAULTS.frontend, "ppp-queue frontend");
    const b = await bindEndpoint(backend.socket, bind.backend ?? PARANOID_PIRATE_DEFAULTS.backend, "ppp-queue backend");
    this.bound = { frontend: f.endpoint, backend: b.endpoint };
    this.asBound = { frontend: f.bound, backend: b.bound };
    this.log.info?.({ endpoint: `${f.endpoint},${b.endpoint}`, frontend: f.endpoint, backend: b.endpoint }, `frontend ${f.endpoint}, backend ${b.endpoint}`);
    this.driver.attach("backend", backend, {
      decode: (frames) => {
        this.log.debug?.({ peer: hex(frames[0]!) }, `worker ${hex(frames[0]!)} → ${trace(frames.slice(1))}`);
        return decodeBackendMessage(frames);
      },
    });
    this.driver.attach("frontend", frontend, {
      decode: (frames) => {
        this.log.debug?.({ peer: frames[0] ? hex(frames[0]) : undefined }, `client → ${trace(frames)}`);
        return decodeFrontendMessage(frames);
      },
    });
  }

  private perform(action: QueueAction): void {
    if (action.type === "pause") this.frontend?.pause();
    else if (action.type === "resume") this.frontend?.resume();
    else if (action.type === "drained") this.drained?.();
  }

  private report(event: keyof QueueStateEvents, payload: unknown): void {
    logQueueEvent(this.log, event, payload);
    (this.emit as (event: string, payload: unknown) => boolean)(event, payload);
  }

  private fail(error: ZmqReliableError): void {
    this.log.error?.({ reason: error.code }, error.message);
    this.emit("error", error);
  }

  /**
   * Stops serving and closes both sockets and every timer. With `timeout`,
   * first stops taking requests and waits up to that many ms for the workers
   * to answer the ones they hold. Requests still held are lost: each emits
   * `request-lost` with cause `closed`, and clients' retries cover them.
   * Idempotent.
   *
   * @param options - `timeout`: ms to let workers answer what they hold; default 0.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const drain = () =>
      new Promise<void>((resolve) => {
        this.drained = resolve;
        this.driver.feed({ type: "drain" });
      });
    const teardown = async () => {
      this.driver.feed({ type: "close" });
      this.driver.close();
      await this.closeChannels();
      flushLimitedLog(this.log); // the last window's "N more …" lines, before "closed"
      this.log.info?.("closed");
    };
    return this.life.close({ drain, teardown }, options.timeout ?? 0);
  }

  private async closeChannels(): Promise<void> {
    this.driver.detach("frontend");
    this.driver.detach("backend");
    await Promise.all([this.frontend?.close({ release: RELEASE_MS }), this.backend?.close({ release: RELEASE_MS })]);
  }
}
