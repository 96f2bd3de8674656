/**
 * The Paranoid Pirate worker role: a DEALER to the queue's backend, driven by
 * {@link WorkerState}.
 *
 * @module
 */
import {
  Channel,
  ClosedError,
  createSocket,
  type CurveClientOptions,
  describeFrame,
  type Frame,
  InvalidOptionError,
  type Logger,
  systemClock,
  taggedLogger,
  Timer,
  TypedEmitter,
  type ZmqReliableError,
} from "@zmq-reliable/core";
import type * as zmq from "zeromq";
import { PARANOID_PIRATE_DEFAULTS, type ReconnectOptions } from "./defaults.js";
import { type WorkerAction, type WorkerDropReason, type WorkerPhase, type WorkerRequest, WorkerState, type WorkerStateCounters } from "./worker-state.js";

/** What the handler learns about a request besides its body. */
export interface RequestContext {
  /** The client address stack the reply will be routed by (a direct REQ client's queue-side id first). */
  envelope: readonly Buffer[];
}

/**
 * Answers one request. Receives the request's content frames (one or more)
 * and returns the reply's: a single frame or an array of at least one. May
 * be async; the worker keeps heartbeating while it runs. If it throws, no
 * reply is sent (the client's retry covers it) and a `drop` event with reason
 * `handler-error` is emitted.
 */
export type RequestHandler = (request: Buffer[], context: RequestContext) => Frame | Frame[] | Promise<Frame | Frame[]>;

/** Options of {@link ParanoidPirateWorker}. */
export interface ParanoidPirateWorkerOptions {
  /** The queue's backend endpoint. Default `tcp://localhost:5556`. */
  endpoint?: string;
  /** Answers requests, one at a time. */
  handler: RequestHandler;
  /** Milliseconds between heartbeats; must match the queue's. Default 1000. */
  heartbeatInterval?: number;
  /** Intervals of queue silence (while idle) after which the worker reconnects. Default 3. */
  liveness?: number;
  /** Back-off between reconnects: default 1 s doubling to 32 s, reset when the queue is heard from. */
  reconnect?: ReconnectOptions;
  /** CURVE: the queue's public key and this worker's key pair. */
  curve?: CurveClientOptions;
  /** Where to log; nothing is logged without one. */
  logger?: Logger;
}

/** Payload of the worker's `connect` event. */
export interface WorkerConnectEvent {
  /** The endpoint connected to. */
  endpoint: string;
  /** 1 for the first socket, then 2, 3, … after each reconnect. */
  attempt: number;
}

/** Payload of the worker's `heartbeat-miss` event. */
export interface HeartbeatMissEvent {
  /** Milliseconds since the queue was last heard from. */
  silentFor: number;
}

/** Payload of the worker's `reconnect` event. */
export interface WorkerReconnectEvent {
  /** How long the worker waits before opening a fresh socket, in ms. */
  delay: number;
  /** The attempt number the fresh socket will have. */
  attempt: number;
}

/** Payload of the worker's `drop` event. */
export interface WorkerDropEvent {
  /** Why. */
  reason: WorkerDropReason;
  /** The decoding or handler error, when there was one. */
  error?: unknown;
}

/** Events of {@link ParanoidPirateWorker}. */
export type ParanoidPirateWorkerEvents = {
  /** A fresh socket was connected and READY sent on it. */
  connect: [WorkerConnectEvent];
  /** The queue was silent for `liveness` intervals; the socket was closed. */
  "heartbeat-miss": [HeartbeatMissEvent];
  /** A back-off wait started; `connect` follows after it. */
  reconnect: [WorkerReconnectEvent];
  /** A message, request or reply was dropped. */
  drop: [WorkerDropEvent];
  /** A socket failure nobody else could report. */
  error: [ZmqReliableError];
};

/** Counters of {@link ParanoidPirateWorker}. */
export interface ParanoidPirateWorkerStats extends WorkerStateCounters {
  /** Where the worker is in its life. */
  phase: WorkerPhase;
  /** Whether the handler is running. */
  busy: boolean;
  /** Requests waiting for the handler (only when a queue sends more than one at a time). */
  queued: number;
}

function toFrames(reply: Frame | Frame[]): Frame[] {
  return Array.isArray(reply) ? reply : [reply];
}

/**
 * A Paranoid Pirate (6/PPP) worker. Connects a DEALER to the queue, sends
 * READY, then answers requests one at a time with its handler. It heartbeats
 * the queue every `heartbeatInterval` ms, idle or busy; when the queue has
 * been silent for `liveness` intervals while the worker is idle, it closes the
 * socket, waits (1 s doubling to 32 s by default), and starts over on a fresh
 * socket with READY.
 *
 * ```ts
 * const worker = new ParanoidPirateWorker({
 *   endpoint: "tcp://localhost:5556",
 *   handler: async ([name]) => `hello ${name}`,
 * });
 * await worker.start();
 * // ...
 * await worker.close(); // finishes the request in hand first
 * ```
 */
export class ParanoidPirateWorker extends TypedEmitter<ParanoidPirateWorkerEvents> {
  /** The queue endpoint this worker connects to. */
  readonly endpoint: string;
  /** Milliseconds between heartbeats. */
  readonly heartbeatInterval: number;
  /** Intervals of queue silence before reconnecting. */
  readonly liveness: number;
  private readonly options: ParanoidPirateWorkerOptions;
  private readonly handler: RequestHandler;
  private readonly log: Logger;
  private readonly clock = systemClock;
  private readonly state: WorkerState;
  private readonly timer: Timer;
  private channel: Channel<zmq.Dealer> | undefined;
  private readonly closingChannels = new Set<Promise<void>>();
  private running: Promise<void> | undefined;
  private lastReply: Promise<void> | undefined;
  private connectError: unknown;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @param options - see {@link ParanoidPirateWorkerOptions}; `handler` is required. */
  constructor(options: ParanoidPirateWorkerOptions) {
    super();
    if (typeof options?.handler !== "function") throw new InvalidOptionError("ParanoidPirateWorker needs a handler function");
    this.options = options;
    this.handler = options.handler;
    this.endpoint = options.endpoint ?? PARANOID_PIRATE_DEFAULTS.endpoint;
    this.log = taggedLogger(options.logger, "ppp-worker");
    this.state = new WorkerState(
      { heartbeatInterval: options.heartbeatInterval, liveness: options.liveness, reconnect: options.reconnect },
      this.clock.now(),
    );
    this.heartbeatInterval = this.state.heartbeatInterval;
    this.liveness = this.state.liveness;
    this.timer = new Timer(this.clock, () => this.perform(this.state.tick(this.clock.now())));
  }

  /** Where the worker is in its life. */
  get phase(): WorkerPhase {
    return this.state.phase;
  }

  /** A snapshot of the counters. */
  stats(): ParanoidPirateWorkerStats {
    return { ...this.state.stats(), phase: this.state.phase, busy: this.state.busy, queued: this.state.queued };
  }

  /**
   * Connects to the queue and sends READY. ZeroMQ connects in the
   * background, so this resolves before the queue is reachable; the worker
   * keeps trying (with back-off) until it is. Calling it again returns the
   * same promise.
   */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    if (this.closing) throw new ClosedError("ParanoidPirateWorker is closed");
    this.perform(this.state.start(this.clock.now()));
    if (this.connectError !== undefined) {
      const error = this.connectError;
      await this.close();
      throw error;
    }
  }

  private perform(actions: WorkerAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case "connect":
          this.openSocket(action.attempt);
          break;
        case "send":
          if (this.log.debug) this.log.debug(`→ queue (${action.kind}) ${action.frames.map((f) => describeFrame(f)).join(" | ")}`);
          if (action.kind === "reply") {
            const sending = this.channel?.send(action.frames).catch(() => {});
            this.lastReply = sending;
          } else {
            this.channel?.post(action.frames);
          }
          break;
        case "disconnect":
          this.closeSocket(action.final);
          break;
        case "handle":
          this.run(action.request);
          break;
        case "heartbeat-miss":
          this.log.warn?.(`queue silent for ${Math.round(action.silentFor)} ms; closing the socket`);
          this.emit("heartbeat-miss", { silentFor: action.silentFor });
          break;
        case "reconnect":
          this.log.info?.(`reconnecting in ${Math.round(action.delay)} ms (attempt ${action.attempt})`);
          this.emit("reconnect", { delay: action.delay, attempt: action.attempt });
          break;
        case "drop":
          this.log.debug?.(`dropped (${action.reason})${action.error instanceof Error ? `: ${action.error.message}` : ""}`);
          this.emit("drop", action.error === undefined ? { reason: action.reason } : { reason: action.reason, error: action.error });
          break;
      }
    }
    this.schedule();
  }

  private openSocket(attempt: number): void {
    let channel: Channel<zmq.Dealer> | undefined;
    try {
      channel = new Channel(createSocket("dealer", { curve: this.options.curve }), {
        name: "ppp-worker",
        onError: (error) => {
          if (error.code === "ERR_CLOSED") return;
          this.log.error?.(error.message);
          this.emit("error", error);
        },
      });
      channel.socket.connect(this.endpoint);
    } catch (err) {
      // A bad endpoint or CURVE key: start() rejects with it. (On a reconnect the same
      // settings already worked once; the state machine simply tries again later.)
      this.connectError = err;
      void channel?.close();
      this.log.error?.(`cannot connect to ${this.endpoint}: ${(err as Error).message}`);
      return;
    }
    this.channel = channel;
    channel.listen((message) => {
      if (this.channel !== channel) return;
      if (this.log.debug) this.log.debug(`queue → ${message.map((f) => describeFrame(f)).join(" | ")}`);
      this.perform(this.state.receive(message, this.clock.now()));
    });
    this.log.info?.(`connected to ${this.endpoint} (attempt ${attempt})`);
    this.emit("connect", { endpoint: this.endpoint, attempt });
  }

  private closeSocket(final: boolean): void {
    const channel = this.channel;
    this.channel = undefined;
    if (!channel) return;
    const reply = final ? this.lastReply : undefined;
    const closing = (async () => {
      if (reply) {
        // Give the last reply a chance to leave: wait until ZeroMQ took it, then linger one interval.
        await reply;
        try {
          channel.socket.linger = this.heartbeatInterval;
        } catch {
          // closed underneath us
        }
      }
      await channel.close();
    })();
    this.closingChannels.add(closing);
    void closing.finally(() => this.closingChannels.delete(closing));
  }

  private run(request: WorkerRequest): void {
    const running: Promise<void> = this.handle(request).then((result) => {
      if (this.running === running) this.running = undefined;
      this.perform(this.state.complete(request, result, this.clock.now()));
    });
    this.running = running;
  }

  private async handle(request: WorkerRequest): Promise<{ reply: Frame[] } | { error: unknown }> {
    try {
      return { reply: toFrames(await this.handler(request.body, { envelope: request.envelope })) };
    } catch (error) {
      this.log.warn?.(`handler failed: ${error instanceof Error ? error.message : String(error)}`);
      return { error };
    }
  }

  private schedule(): void {
    if (this.state.phase === "closed") {
      this.timer.cancel();
      return;
    }
    const next = this.state.nextWakeAt();
    if (next < this.timer.deadline) this.timer.at(next);
  }

  /**
   * Stops the worker: requests waiting their turn are dropped, the request
   * being handled is finished and its reply sent, then the socket is closed
   * (lingering up to one heartbeat interval for that reply) and every timer
   * cancelled. PPP has no goodbye: the queue expires the worker after
   * `liveness` intervals. Idempotent (later calls return the first call's promise).
   *
   * @param options - `timeout`: how long to wait for the request in hand, in
   *   ms (default: as long as it takes). Past it, the request is abandoned
   *   (a `drop` event with reason `closing`; its reply is never sent) and the
   *   worker closes.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    this.closing ??= this.doClose(options.timeout);
    return this.closing;
  }

  private async doClose(timeout: number | undefined): Promise<void> {
    this.perform(this.state.close());
    if (this.running && timeout !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeout);
      });
      const outcome = await Promise.race([this.running.then(() => "done" as const), expired]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.log.warn?.(`close: request still running after ${timeout} ms; abandoning it`);
        this.running = undefined;
        this.perform(this.state.abandon());
      }
    }
    while (this.running) await this.running;
    this.timer.cancel();
    while (this.closingChannels.size > 0) await Promise.all([...this.closingChannels]);
    this.log.info?.("closed");
  }
}
