/**
 * The worker's behaviour, without sockets or timers: READY first on every
 * fresh connection, heartbeats at the interval (idle and busy), liveness of
 * the queue, reconnects with exponential back-off, one request at a time.
 * The {@link ParanoidPirateWorker} role feeds it what its socket receives, the
 * handler's results and the time, and performs the actions it returns.
 *
 * Like the reference `ppworker.c` (which does not poll while it works), the
 * queue's silence is only held against it while the worker is idle: a
 * request's run time never counts, and the count restarts when it ends. So
 * this worker also works with queues that heartbeat idle workers only, such
 * as the reference `ppqueue`.
 *
 * @module
 */
import { Backoff, checkNumber, Fifo, type Frame, Heartbeat, ProtocolError } from "@zmq-reliable/core";
import { PARANOID_PIRATE_DEFAULTS, type ReconnectOptions } from "./defaults.js";
import { decodeQueueMessage, encodeHeartbeat, encodeReady, encodeReply, isCommandShaped, type QueueMessage } from "./protocol.js";

/** Where a worker is in its life. */
export type WorkerPhase =
  /** Not started. */
  | "idle"
  /** A socket is connected (or connecting) and READY was sent on it. */
  | "connected"
  /** The queue fell silent; the socket is closed and the back-off wait runs. */
  | "waiting"
  /** Closed for good. */
  | "closed";

/** Why a worker dropped a message or a reply. */
export type WorkerDropReason =
  /** A one-byte command from the queue that is not HEARTBEAT. */
  | "unknown-command"
  /** An empty or otherwise malformed message from the queue. */
  | "malformed-message"
  /**
   * The handler threw, rejected or returned no frames: no reply is sent (the
   * client's retry covers it) and the worker says READY again.
   */
  | "handler-error"
  /** A request arrived while the worker was closing, or closing gave up waiting for the handler. */
  | "closing"
  /** A reply whose connection is gone (the worker reconnected meanwhile). */
  | "stale-reply";

/** Every {@link WorkerDropReason}, for counters. */
export const WORKER_DROP_REASONS: readonly WorkerDropReason[] = Object.freeze([
  "unknown-command",
  "malformed-message",
  "handler-error",
  "closing",
  "stale-reply",
]);

/** A request as the worker holds it. */
export interface WorkerRequest {
  /** The client address stack, echoed in the reply. */
  envelope: Buffer[];
  /** The content frames, handed to the handler. */
  body: Buffer[];
  /** The connection it arrived on (its `attempt` number). */
  connection: number;
}

/** What the worker must do after an input; performed in order. */
export type WorkerAction =
  | {
      /** Open a fresh DEALER and connect it to the queue; following sends go on it. */
      type: "connect";
      /** 1 for the first socket, then 2, 3, … */
      attempt: number;
    }
  | {
      /** Send a message on the current socket. */
      type: "send";
      /** What it is. */
      kind: "ready" | "heartbeat" | "reply";
      /** The frames. */
      frames: Frame[];
    }
  | {
      /** Close the current socket. */
      type: "disconnect";
      /** `true` when the worker is closing for good (let the last reply drain). */
      final: boolean;
    }
  | {
      /** Run the handler on this request, then call {@link WorkerState.complete}. */
      type: "handle";
      /** The request. */
      request: WorkerRequest;
    }
  | {
      /** The queue was silent for `liveness × heartbeatInterval` while the worker was idle. */
      type: "heartbeat-miss";
      /** Milliseconds since the queue was last heard from (or the connection was made). */
      silentFor: number;
    }
  | {
      /** A back-off wait started; a fresh socket follows after `delay`. */
      type: "reconnect";
      /** The wait in ms. */
      delay: number;
      /** The attempt number the next socket will have. */
      attempt: number;
    }
  | {
      /** Something was dropped. */
      type: "drop";
      /** Why. */
      reason: WorkerDropReason;
      /** The decoding or handler error, when there was one. */
      error?: unknown;
    };

/** Options of {@link WorkerState}. */
export interface WorkerStateOptions {
  /** Milliseconds between heartbeats. Default 1000. */
  heartbeatInterval?: number;
  /** Intervals of queue silence after which the worker reconnects. Default 3. */
  liveness?: number;
  /** Back-off between reconnects. Default 1 s doubling to 32 s. */
  reconnect?: ReconnectOptions;
  /** Randomness for back-off jitter (tests). Default `Math.random`. */
  random?: () => number;
}

/** Counters of a {@link WorkerState}. */
export interface WorkerStateCounters {
  /** Sockets opened (1 + reconnects). */
  connects: number;
  /** Times the queue fell silent for `liveness` intervals. */
  heartbeatMisses: number;
  /** HEARTBEAT messages sent. */
  heartbeatsSent: number;
  /** HEARTBEAT messages received. */
  heartbeatsReceived: number;
  /** Requests received. */
  requests: number;
  /** Replies sent. */
  replies: number;
  /** Things dropped, all reasons. */
  dropped: number;
  /** Things dropped, by reason. */
  drops: Record<WorkerDropReason, number>;
}

/**
 * The pure 6/PPP worker. Every method takes the current time and returns
 * the {@link WorkerAction}s to perform; {@link WorkerState.nextWakeAt} says
 * when to call {@link WorkerState.tick} next.
 */
export class WorkerState {
  /** Heartbeat interval in ms. */
  readonly heartbeatInterval: number;
  /** Intervals of silence before the queue is considered gone. */
  readonly liveness: number;
  private readonly heartbeat: Heartbeat;
  private readonly backoff: Backoff;
  private currentPhase: WorkerPhase = "idle";
  private connection = 0;
  private lastHeard = 0;
  private reconnectAt = Number.POSITIVE_INFINITY;
  private current: WorkerRequest | undefined;
  private readonly pending = new Fifo<WorkerRequest>();
  private closing = false;
  private readonly counters: WorkerStateCounters = {
    connects: 0,
    heartbeatMisses: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    requests: 0,
    replies: 0,
    dropped: 0,
    drops: Object.fromEntries(WORKER_DROP_REASONS.map((r) => [r, 0])) as Record<WorkerDropReason, number>,
  };

  /**
   * @param options - heartbeat, liveness and back-off settings.
   * @param now - the current clock time.
   */
  constructor(options: WorkerStateOptions, now: number) {
    this.heartbeatInterval = checkNumber("heartbeatInterval", options.heartbeatInterval ?? PARANOID_PIRATE_DEFAULTS.heartbeatInterval, 1);
    this.liveness = checkNumber("liveness", options.liveness ?? PARANOID_PIRATE_DEFAULTS.liveness, 1);
    this.heartbeat = new Heartbeat({ interval: this.heartbeatInterval, liveness: this.liveness }, now);
    this.backoff = new Backoff({ ...PARANOID_PIRATE_DEFAULTS.reconnect, ...options.reconnect, random: options.random });
  }

  /** Where the worker is in its life. */
  get phase(): WorkerPhase {
    return this.currentPhase;
  }

  /** The current connection's attempt number (0 before the first). */
  get attempt(): number {
    return this.connection;
  }

  /** Whether a request is being handled. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Requests received while busy, waiting their turn. */
  get queued(): number {
    return this.pending.length;
  }

  /** Whether {@link WorkerState.close} was called. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** A copy of the counters. */
  stats(): WorkerStateCounters {
    return { ...this.counters, drops: { ...this.counters.drops } };
  }

  /**
   * Opens the first connection: a fresh socket, then READY.
   *
   * @param now - the current clock time.
   */
  start(now: number): WorkerAction[] {
    if (this.currentPhase !== "idle" || this.closing) return [];
    return this.connect(now);
  }

  private connect(now: number): WorkerAction[] {
    this.currentPhase = "connected";
    this.connection++;
    this.counters.connects++;
    this.reconnectAt = Number.POSITIVE_INFINITY;
    this.heartbeat.reset(now);
    this.lastHeard = now;
    return [
      { type: "connect", attempt: this.connection },
      { type: "send", kind: "ready", frames: encodeReady() },
    ];
  }

  /**
   * A message from the queue. Any well-formed message proves the queue is
   * alive and resets the back-off.
   *
   * @param frames - the message as the DEALER received it.
   * @param now - the current clock time.
   */
  receive(frames: readonly Buffer[], now: number): WorkerAction[] {
    if (this.currentPhase !== "connected") return [];
    let message: QueueMessage;
    try {
      message = decodeQueueMessage(frames);
    } catch (err) {
      return [this.drop(isCommandShaped(frames) ? "unknown-command" : "malformed-message", err as ProtocolError)];
    }
    this.heartbeat.received(now);
    this.lastHeard = now;
    this.backoff.reset();
    if (message.type === "heartbeat") {
      this.counters.heartbeatsReceived++;
      return [];
    }
    this.counters.requests++;
    if (this.closing) return [this.drop("closing")];
    const request: WorkerRequest = { envelope: message.envelope, body: message.body, connection: this.connection };
    if (this.current) {
      this.pending.push(request);
      return [];
    }
    this.current = request;
    return [{ type: "handle", request }];
  }

  /**
   * The handler finished `request`: sends the reply if its connection is still
   * the current one, then starts the next queued request, or finishes closing.
   *
   * @param request - the request from the `handle` action.
   * @param result - the reply frames, or the error the handler threw.
   * @param now - the current clock time.
   */
  complete(request: WorkerRequest, result: { reply: Frame[] } | { error: unknown }, now: number): WorkerAction[] {
    if (this.current !== request) return [];
    this.current = undefined;
    const actions: WorkerAction[] = [];
    if (this.currentPhase === "connected") {
      // The request's run time is not held against the queue: start counting again.
      this.heartbeat.received(now);
    }
    const live = this.currentPhase === "connected" && request.connection === this.connection;
    let frames: Frame[] | undefined;
    let error: unknown;
    if ("error" in result) {
      error = result.error;
    } else {
      try {
        frames = encodeReply(request.envelope, result.reply);
      } catch (err) {
        error = err;
      }
    }
    if (frames && live) {
      this.heartbeat.sent(now);
      this.counters.replies++;
      actions.push({ type: "send", kind: "reply", frames });
    } else if (frames) {
      actions.push(this.drop("stale-reply"));
    } else {
      actions.push(this.drop("handler-error", error));
      if (live && !this.closing) {
        // No reply will come, so tell the queue this worker is free again:
        // READY starts a new conversation (RFC 6). Without it a queue would
        // keep the worker busy forever; ours reports the request lost.
        this.heartbeat.sent(now);
        actions.push({ type: "send", kind: "ready", frames: encodeReady() });
      }
    }
    const next = this.pending.shift();
    if (next) {
      this.current = next;
      actions.push({ type: "handle", request: next });
    } else if (this.closing) {
      actions.push(...this.finish());
    } else if (this.currentPhase === "waiting" && now >= this.reconnectAt) {
      actions.push(...this.connect(now));
    }
    return actions;
  }

  /**
   * Heartbeats the queue when due; when idle and the queue has been silent
   * for `liveness` intervals, closes the socket and starts a back-off wait;
   * when the wait is over, reconnects.
   *
   * @param now - the current clock time.
   */
  tick(now: number): WorkerAction[] {
    if (this.currentPhase === "waiting") {
      if (now >= this.reconnectAt && !this.current) return this.connect(now);
      return [];
    }
    if (this.currentPhase !== "connected") return [];
    if (!this.current && this.heartbeat.isExpired(now)) {
      const delay = this.backoff.next();
      this.currentPhase = "waiting";
      this.reconnectAt = now + delay;
      this.counters.heartbeatMisses++;
      return [
        { type: "disconnect", final: false },
        { type: "heartbeat-miss", silentFor: now - this.lastHeard },
        { type: "reconnect", delay, attempt: this.connection + 1 },
      ];
    }
    if (this.heartbeat.shouldSend(now)) {
      this.heartbeat.sent(now);
      this.counters.heartbeatsSent++;
      return [{ type: "send", kind: "heartbeat", frames: encodeHeartbeat() }];
    }
    return [];
  }

  /**
   * When {@link WorkerState.tick} must run next: the next heartbeat or (when
   * idle) the queue's expiry while connected, the end of the back-off wait
   * while waiting. `Infinity` otherwise.
   */
  nextWakeAt(): number {
    if (this.currentPhase === "connected") {
      return this.current ? this.heartbeat.nextSendAt : this.heartbeat.nextDeadline();
    }
    if (this.currentPhase === "waiting" && !this.current) return this.reconnectAt;
    return Number.POSITIVE_INFINITY;
  }

  /**
   * Starts closing: requests waiting their turn are dropped; the one being
   * handled is finished (its reply is sent) by {@link WorkerState.complete},
   * which then closes. When idle, closes at once.
   */
  close(): WorkerAction[] {
    if (this.closing || this.currentPhase === "closed") return [];
    this.closing = true;
    const actions: WorkerAction[] = [];
    for (let r = this.pending.shift(); r; r = this.pending.shift()) actions.push(this.drop("closing"));
    if (!this.current) actions.push(...this.finish());
    return actions;
  }

  /**
   * Gives up on the request being handled (closing took too long): its
   * eventual result is ignored, and the worker closes now.
   */
  abandon(): WorkerAction[] {
    if (!this.closing || !this.current) return [];
    this.current = undefined;
    return [this.drop("closing"), ...this.finish()];
  }

  private finish(): WorkerAction[] {
    const wasConnected = this.currentPhase === "connected";
    this.currentPhase = "closed";
    this.reconnectAt = Number.POSITIVE_INFINITY;
    return wasConnected ? [{ type: "disconnect", final: true }] : [];
  }

  private drop(reason: WorkerDropReason, error?: unknown): WorkerAction {
    this.counters.dropped++;
    this.counters.drops[reason]++;
    return error === undefined ? { type: "drop", reason } : { type: "drop", reason, error };
  }
}
