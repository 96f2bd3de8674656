/**
 * The worker link: the part every connecting worker of a broker pattern
 * (6/PPP, 7/MDP) shares, as one pure machine on the {@link Machine} contract.
 * It keeps one conversation per *line* (one line, or one per broker when a
 * worker registers with several): it opens a fresh connection and says READY,
 * heartbeats the peer every `heartbeatInterval` ms (idle or busy), holds the
 * peer's silence against it only while the line has no request in hand
 * (`liveness` intervals, as the reference workers, which do not poll while
 * they work), reconnects after a back-off wait, rotating through the line's
 * endpoints, and answers requests one at a time. Closing finishes the request
 * in hand, says goodbye where the wire has one, and hangs up.
 *
 * What differs between patterns is the wire, given as a {@link WorkerWire}:
 * how READY, HEARTBEAT, DISCONNECT and a reply are encoded, and how an incoming
 * message is classified (heartbeat, request, disconnect, something else, or
 * malformed).
 *
 * The role's shell ({@link WorkerLinkShell} in `io/`) performs the actions:
 * `connect` (a fresh DEALER, attached to the driver as `channel`, so `send`s
 * that follow go on it), `hangup`, `handle` (run the handler, then feed a
 * `done` input), `closed`, and the core `send`/`emit` actions.
 *
 * @module
 */
import { Backoff, type ReconnectOptions } from "../pure/backoff.js";
import { Fifo } from "../pure/collections.js";
import { checkNumber, InvalidOptionError, type ZmqReliableError } from "../pure/errors.js";
import type { Frame } from "../pure/frames.js";
import { Heartbeat } from "../pure/heartbeat.js";
import type { EmitAction, Machine, SendAction, WakeInput } from "../pure/machine.js";
import { earliest } from "../pure/machine.js";

/** How a wire classifies one message from the peer. `D` is the pattern's own drop reasons. */
export type LinkIncoming<R, D extends string = string> =
  | {
      /** HEARTBEAT: the peer is alive. */
      readonly type: "heartbeat";
    }
  | {
      /** Work for the worker. */
      readonly type: "request";
      /** The request as the pattern decoded it (its reply is encoded from it). */
      readonly request: R;
    }
  | {
      /** DISCONNECT: the peer ends the conversation; the link reconnects. */
      readonly type: "disconnect";
    }
  | {
      /** A well-formed message the worker has no use for: it counts as a sign of life, and is dropped. */
      readonly type: "other";
      /** The drop reason. */
      readonly reason: D;
      /** More detail, for the drop event. */
      readonly detail?: string;
    }
  | {
      /** Not the pattern's wire: dropped, and not a sign of life. */
      readonly type: "malformed";
      /** The drop reason. */
      readonly reason: D;
      /** More detail, for the drop event. */
      readonly detail?: string;
      /** The decoding error. */
      readonly error?: unknown;
    };

/** A pattern's worker wire, as the {@link WorkerLinkState} needs it. */
export interface WorkerWire<R, D extends string = string> {
  /** The READY message, sent first on every fresh connection. */
  ready(): Frame[];
  /** The HEARTBEAT message. */
  heartbeat(): Frame[];
  /** The DISCONNECT message, said before hanging up on close or after a failed handler; absent when the wire has none. */
  disconnect?(): Frame[];
  /**
   * The reply to `request` with the handler's frames.
   *
   * @throws a `ProtocolError` when the frames cannot be a reply (counted as a handler error).
   */
  reply(request: R, body: Frame[]): Frame[];
  /** Classifies a message from the peer; never throws. */
  classify(frames: Buffer[]): LinkIncoming<R, D>;
  /**
   * What a failed handler leads to: `"ready"` sends READY again on the same
   * connection (6/PPP: the queue learns the worker is free); `"reconnect"`
   * says DISCONNECT and registers again at once on a fresh connection (7/MDP:
   * the broker hands the request to another worker).
   */
  readonly onHandlerError: "ready" | "reconnect";
}

/** Why a link's connection ended. */
export type LinkDisconnectReason =
  /** The peer said DISCONNECT. */
  | "peer-disconnect"
  /** The peer was silent for `liveness × heartbeatInterval` while the line was idle. */
  | "expire"
  /** The handler failed and the wire reconnects after a failure. */
  | "handler-error"
  /** The socket failed (or could not connect). */
  | "socket-error"
  /** The worker closed. */
  | "close";

/** Why a link dropped something; `D` adds the wire's own reasons. */
export type LinkDropReason<D extends string = never> =
  | D
  /** The handler threw, rejected or returned something that is not a reply: no reply is sent. */
  | "handler-error"
  /** A request arrived or waited while the worker was closing, or closing gave up waiting for the handler. */
  | "closing"
  /** A reply whose connection is gone (the link reconnected meanwhile): the peer forgot the request. */
  | "stale-reply"
  /** A queued request whose connection was replaced before it started. */
  | "stale-request";

/** Payload of the `ready` event. */
export interface LinkReadyEvent {
  /** The endpoint connected to (READY sent). */
  endpoint: string;
  /** 1 for the line's first connection, then 2, 3, … after each reconnect. */
  attempt: number;
}

/** Payload of the `expire` event. */
export interface LinkExpireEvent {
  /** The endpoint of the silent peer. */
  endpoint: string;
  /** Milliseconds since the peer was last heard from (or the connection was made). */
  silentFor: number;
}

/** Payload of the `disconnect` event. */
export interface LinkDisconnectEvent {
  /** The endpoint of the connection that ended. */
  endpoint: string;
  /** Why. */
  reason: LinkDisconnectReason;
  /** Milliseconds until the next connection (`undefined` when closing). */
  reconnectIn: number | undefined;
}

/** Payload of the `drop` event. */
export interface LinkDropEvent<D extends string = never> {
  /** Why. */
  reason: LinkDropReason<D>;
  /** The endpoint involved. */
  endpoint: string;
  /** More detail (the malformed reason, the unexpected command). */
  detail?: string;
  /** The decoding or handler error, when there was one. */
  error?: unknown;
}

/** Events of a worker link. */
export type LinkEvents<D extends string = never> = {
  /** A fresh connection was opened and READY sent on it. */
  ready: [LinkReadyEvent];
  /** The peer was silent for `liveness` intervals while the line was idle; a `disconnect` follows. */
  expire: [LinkExpireEvent];
  /** A connection ended; a fresh one follows after `reconnectIn` ms unless closing. */
  disconnect: [LinkDisconnectEvent];
  /** A message, request or reply was dropped. */
  drop: [LinkDropEvent<D>];
};

/** A request as the link holds it. */
export interface LinkJob<R> {
  /** The job's id, given back in the `done` input. */
  readonly id: number;
  /** The line it came in on. */
  readonly line: number;
  /** The connection it came in on. */
  readonly connection: number;
  /** The endpoint it came through. */
  readonly endpoint: string;
  /** The decoded request. */
  readonly request: R;
}

/** A message received on a line's current (or an older) connection, as the shell tags it. */
export interface LinkMessage {
  /** The connection it arrived on (from the `connect` action). */
  readonly connection: number;
  /** The frames as the DEALER received them. */
  readonly frames: Buffer[];
}

/** Inputs of {@link WorkerLinkState}. */
export type WorkerLinkInput =
  | WakeInput
  | {
      /** Opens every line's first connection. */
      readonly type: "start";
    }
  | {
      /** A message from a peer. */
      readonly type: "message";
      /** The line's channel name. */
      readonly channel: string;
      /** The tagged frames. */
      readonly message: LinkMessage;
    }
  | {
      /** The handler finished a job: `reply` holds its frames, or `error` what it threw. */
      readonly type: "done";
      /** The job's id. */
      readonly job: number;
      /** The reply frames (already through `replyFrames`). */
      readonly reply?: Frame[];
      /** The handler's error. */
      readonly error?: unknown;
    }
  | {
      /** A connection failed (could not connect, or its socket broke). */
      readonly type: "socket-error";
      /** The line. */
      readonly line: number;
      /** The connection that failed. */
      readonly connection: number;
      /** What failed. */
      readonly error: ZmqReliableError;
    }
  | {
      /** Starts closing: queued requests are dropped, the one in hand is finished. */
      readonly type: "close";
    }
  | {
      /** Gives up on the request in hand (closing took too long) and closes now. */
      readonly type: "abandon";
    };

/** Actions of {@link WorkerLinkState}. */
export type WorkerLinkAction<R, D extends string = never> =
  | SendAction
  | EmitAction<LinkEvents<D>>
  | {
      /** Open a fresh DEALER to `endpoint` and attach it as `channel`; sends that follow go on it. */
      readonly type: "connect";
      /** The line. */
      readonly line: number;
      /** The channel name to attach it under. */
      readonly channel: string;
      /** The connection's id: tag its messages with it. */
      readonly connection: number;
      /** Where to connect. */
      readonly endpoint: string;
      /** 1 for the line's first connection, then 2, 3, … */
      readonly attempt: number;
    }
  | {
      /** Close the line's current socket. */
      readonly type: "hangup";
      /** The line. */
      readonly line: number;
      /** The channel name it was attached under. */
      readonly channel: string;
      /** `true` when the worker closes for good: let the last messages (reply, DISCONNECT) go out first. */
      readonly final: boolean;
    }
  | {
      /** Run the handler on a job, then feed a `done` input. */
      readonly type: "handle";
      /** The job. */
      readonly job: LinkJob<R>;
    }
  | {
      /** The handler's work on a job is no longer wanted (closing gave up on it): abort its signal. */
      readonly type: "abort";
      /** The job's id. */
      readonly job: number;
    }
  | {
      /** Closing is complete: every line hung up, nothing in hand. */
      readonly type: "closed";
    };

/** Where a link (or one of its lines) is in its life. */
export type LinkPhase =
  /** Not started. */
  | "idle"
  /** Connected (or connecting) and READY sent. */
  | "connected"
  /** The connection ended; the back-off wait runs. */
  | "waiting"
  /** Closing: the request in hand is being finished. */
  | "closing"
  /** Closed for good. */
  | "closed";

/** Options of {@link WorkerLinkState}. */
export interface WorkerLinkOptions<R, D extends string = string> {
  /** The pattern's wire. */
  wire: WorkerWire<R, D>;
  /**
   * The lines: each a list of endpoints in rotation order. One line for a
   * worker that talks to one peer at a time; one per peer for a worker that
   * registers with several at once.
   */
  lines: readonly (readonly string[])[];
  /** Milliseconds between heartbeats. */
  heartbeatInterval: number;
  /** Intervals of peer silence (while idle) after which a line reconnects. */
  liveness: number;
  /** Back-off between reconnects of a line, reset when its peer is heard from. */
  reconnect: Required<Pick<ReconnectOptions, "initial" | "max">> & ReconnectOptions;
  /** Randomness for back-off jitter (tests). Default `Math.random`. */
  random?: () => number;
}

/** Counters of a worker link. */
export interface WorkerLinkStats<D extends string = string> {
  /** Requests received. */
  requests: number;
  /** Replies sent. */
  replies: number;
  /** Handler failures (threw, rejected, or returned no valid reply). */
  failures: number;
  /** Things dropped, all reasons. */
  dropped: number;
  /** Things dropped, by reason. */
  drops: Partial<Record<LinkDropReason<D>, number>>;
  /** Requests being handled right now (0 or 1). */
  inFlight: number;
  /** Requests received while busy, waiting their turn. */
  queued: number;
  /** Connections opened (READY sent), the first included. */
  connects: number;
  /** Times a peer fell silent for `liveness` intervals. */
  expired: number;
  /** HEARTBEAT messages sent. */
  heartbeatsSent: number;
  /** HEARTBEAT messages received. */
  heartbeatsReceived: number;
  /** DISCONNECT messages received. */
  disconnectsReceived: number;
}

interface Line {
  readonly index: number;
  readonly channel: string;
  readonly endpoints: readonly string[];
  readonly heartbeat: Heartbeat;
  readonly backoff: Backoff;
  phase: "idle" | "connected" | "waiting" | "closed";
  at: number;
  connection: number;
  attempts: number;
  lastHeard: number;
  reconnectAt: number;
  /** Jobs of the current connection in hand or queued. */
  pending: number;
}

/** The channel name of line `index`, as `connect`, `hangup` and `send` actions name it. */
export function linkChannel(index: number): string {
  return `link${index}`;
}

/**
 * The pure worker link; see the module comment. `R` is the pattern's decoded
 * request, `D` its own drop reasons.
 */
export class WorkerLinkState<R, D extends string = string> implements Machine<WorkerLinkInput, WorkerLinkAction<R, D>> {
  /** Heartbeat interval in ms. */
  readonly heartbeatInterval: number;
  /** Intervals of silence before a peer is considered gone. */
  readonly liveness: number;
  private readonly wire: WorkerWire<R, D>;
  private readonly lines: Line[];
  private readonly byChannel = new Map<string, Line>();
  private readonly queue = new Fifo<LinkJob<R>>();
  private current: LinkJob<R> | undefined;
  private started = false;
  private closing = false;
  private finished = false;
  private nextJob = 1;
  private nextConnection = 1;
  private readonly counters: Omit<WorkerLinkStats<D>, "inFlight" | "queued" | "drops"> = {
    requests: 0,
    replies: 0,
    failures: 0,
    dropped: 0,
    connects: 0,
    expired: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    disconnectsReceived: 0,
  };
  private readonly drops: Partial<Record<LinkDropReason<D>, number>> = {};

  /**
   * @param options - see {@link WorkerLinkOptions}.
   * @param now - the current clock time.
   * @throws {@link InvalidOptionError} for a bad interval, liveness, back-off or an empty line.
   */
  constructor(options: WorkerLinkOptions<R, D>, now: number) {
    this.wire = options.wire;
    this.heartbeatInterval = checkNumber("heartbeatInterval", options.heartbeatInterval, 1);
    this.liveness = checkNumber("liveness", options.liveness, 1);
    if (options.lines.length === 0) throw new InvalidOptionError("endpoint: give at least one endpoint");
    this.lines = options.lines.map((endpoints, index) => {
      if (endpoints.length === 0) throw new InvalidOptionError("endpoint: give at least one endpoint");
      const line: Line = {
        index,
        channel: linkChannel(index),
        endpoints,
        heartbeat: new Heartbeat({ interval: this.heartbeatInterval, liveness: this.liveness }, now),
        backoff: new Backoff({ ...options.reconnect, random: options.random }),
        phase: "idle",
        at: 0,
        connection: 0,
        attempts: 0,
        lastHeard: now,
        reconnectAt: Number.POSITIVE_INFINITY,
        pending: 0,
      };
      this.byChannel.set(line.channel, line);
      return line;
    });
  }

  /** Where the link is: `closing`/`closed` once closing, else `connected` when any line is, else the first line's phase. */
  get phase(): LinkPhase {
    if (this.finished) return "closed";
    if (this.closing) return "closing";
    if (this.lines.some((l) => l.phase === "connected")) return "connected";
    return this.lines[0]!.phase;
  }

  /** Whether a request is being handled. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** The endpoint each line is on (or will connect to next). */
  get endpoints(): string[] {
    return this.lines.map((l) => l.endpoints[l.at]!);
  }

  /** The number of connections line `index` has opened (its current attempt). */
  attempt(index = 0): number {
    return this.lines[index]?.attempts ?? 0;
  }

  /** A copy of the counters. */
  stats(): WorkerLinkStats<D> {
    return { ...this.counters, drops: { ...this.drops }, inFlight: this.current ? 1 : 0, queued: this.queue.length };
  }

  /**
   * Feeds one input; see {@link WorkerLinkInput}.
   *
   * @param input - what happened.
   * @param now - the current clock time.
   */
  handle(input: WorkerLinkInput, now: number): WorkerLinkAction<R, D>[] {
    const out: WorkerLinkAction<R, D>[] = [];
    switch (input.type) {
      case "start":
        if (!this.started && !this.closing) {
          this.started = true;
          for (const line of this.lines) this.connect(line, now, out);
        }
        break;
      case "wake":
        this.wake(now, out);
        break;
      case "message":
        this.receive(input.channel, input.message, now, out);
        break;
      case "done":
        this.done(input, now, out);
        break;
      case "socket-error": {
        const line = this.lines[input.line];
        if (line && line.phase === "connected" && line.connection === input.connection && !this.finished) {
          this.restart(line, "socket-error", line.backoff.next(), now, out);
        }
        break;
      }
      case "close":
        this.close(out);
        break;
      case "abandon":
        if (this.closing && this.current) {
          const job = this.current;
          this.current = undefined;
          out.push({ type: "abort", job: job.id });
          this.drop("closing", job.endpoint, out);
          this.finish(out);
        } else if (!this.finished) {
          this.close(out);
        }
        break;
    }
    return out;
  }

  /**
   * The next wake-up: per connected line its next heartbeat (and, while idle,
   * its peer's expiry); per waiting line the end of its back-off wait.
   */
  wakeAt(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const line of this.lines) {
      if (line.phase === "connected") at = earliest(at, line.pending > 0 ? line.heartbeat.nextSendAt : line.heartbeat.nextDeadline());
      else if (line.phase === "waiting") at = earliest(at, line.reconnectAt);
    }
    return at;
  }

  private connect(line: Line, now: number, out: WorkerLinkAction<R, D>[]): void {
    line.phase = "connected";
    line.attempts++;
    line.connection = this.nextConnection++;
    line.reconnectAt = Number.POSITIVE_INFINITY;
    line.pending = 0;
    line.lastHeard = now;
    line.heartbeat.reset(now);
    this.counters.connects++;
    const endpoint = line.endpoints[line.at]!;
    out.push(
      { type: "connect", line: line.index, channel: line.channel, connection: line.connection, endpoint, attempt: line.attempts },
      { type: "send", channel: line.channel, frames: this.wire.ready() },
      { type: "emit", event: "ready", args: [{ endpoint, attempt: line.attempts }] },
    );
  }

  private send(line: Line, frames: Frame[], now: number, out: WorkerLinkAction<R, D>[]): void {
    line.heartbeat.sent(now);
    out.push({ type: "send", channel: line.channel, frames });
  }

  private wake(now: number, out: WorkerLinkAction<R, D>[]): void {
    for (const line of this.lines) {
      if (line.phase === "waiting" && now >= line.reconnectAt) {
        this.connect(line, now, out);
      } else if (line.phase === "connected") {
        if (line.pending === 0 && line.heartbeat.isExpired(now)) {
          this.counters.expired++;
          out.push({ type: "emit", event: "expire", args: [{ endpoint: line.endpoints[line.at]!, silentFor: now - line.lastHeard }] });
          this.restart(line, "expire", line.backoff.next(), now, out);
        } else if (line.heartbeat.shouldSend(now)) {
          this.counters.heartbeatsSent++;
          this.send(line, this.wire.heartbeat(), now, out);
        }
      }
    }
  }

  private receive(channel: string, message: LinkMessage, now: number, out: WorkerLinkAction<R, D>[]): void {
    const line = this.byChannel.get(channel);
    if (!line || line.phase !== "connected" || message.connection !== line.connection) return;
    const endpoint = line.endpoints[line.at]!;
    const incoming = this.wire.classify(message.frames);
    if (incoming.type === "malformed") {
      this.drop(incoming.reason, endpoint, out, incoming.detail, incoming.error);
      return;
    }
    line.heartbeat.received(now);
    line.lastHeard = now;
    switch (incoming.type) {
      case "heartbeat":
        line.backoff.reset();
        this.counters.heartbeatsReceived++;
        return;
      case "request": {
        line.backoff.reset();
        this.counters.requests++;
        if (this.closing) return this.drop("closing", endpoint, out);
        line.pending++;
        this.queue.push({ id: this.nextJob++, line: line.index, connection: line.connection, endpoint, request: incoming.request });
        return this.pump(out);
      }
      case "disconnect":
        this.counters.disconnectsReceived++;
        return this.restart(line, "peer-disconnect", line.backoff.next(), now, out);
      case "other":
        return this.drop(incoming.reason, endpoint, out, incoming.detail);
    }
  }

  private pump(out: WorkerLinkAction<R, D>[]): void {
    if (this.current || this.closing) return;
    let job: LinkJob<R> | undefined;
    while ((job = this.queue.shift()) !== undefined) {
      const line = this.lines[job.line]!;
      if (line.phase !== "connected" || line.connection !== job.connection) {
        this.drop("stale-request", job.endpoint, out);
        continue;
      }
      this.current = job;
      out.push({ type: "handle", job });
      return;
    }
  }

  private done(input: Extract<WorkerLinkInput, { type: "done" }>, now: number, out: WorkerLinkAction<R, D>[]): void {
    const job = this.current;
    if (!job || job.id !== input.job) return;
    this.current = undefined;
    const line = this.lines[job.line]!;
    const live = line.phase === "connected" && line.connection === job.connection;
    if (live) {
      line.pending--;
      // The request's run time is not held against the peer: start counting again.
      if (line.pending === 0) line.heartbeat.received(now);
    }
    let frames: Frame[] | undefined;
    let error: unknown = input.error;
    if (input.reply !== undefined && input.error === undefined) {
      try {
        frames = this.wire.reply(job.request, input.reply);
      } catch (err) {
        error = err;
      }
    }
    if (frames && live) {
      this.counters.replies++;
      this.send(line, frames, now, out);
    } else if (frames) {
      this.drop("stale-reply", job.endpoint, out);
    } else {
      this.counters.failures++;
      this.drop("handler-error", job.endpoint, out, undefined, error);
      if (live && !this.closing) {
        if (this.wire.onHandlerError === "ready") {
          // No reply will come, so tell the peer this worker is free again.
          this.send(line, this.wire.ready(), now, out);
        } else {
          if (this.wire.disconnect) this.send(line, this.wire.disconnect(), now, out);
          this.restart(line, "handler-error", 0, now, out);
        }
      }
    }
    if (this.closing) this.finish(out);
    else this.pump(out);
  }

  private restart(line: Line, reason: LinkDisconnectReason, delay: number, now: number, out: WorkerLinkAction<R, D>[]): void {
    const endpoint = line.endpoints[line.at]!;
    line.phase = "waiting";
    line.pending = 0;
    line.at = (line.at + 1) % line.endpoints.length;
    line.reconnectAt = now + delay;
    out.push(
      { type: "hangup", line: line.index, channel: line.channel, final: false },
      { type: "emit", event: "disconnect", args: [{ endpoint, reason, reconnectIn: delay }] },
    );
  }

  private close(out: WorkerLinkAction<R, D>[]): void {
    if (this.closing || this.finished) return;
    this.closing = true;
    let job: LinkJob<R> | undefined;
    while ((job = this.queue.shift()) !== undefined) this.drop("closing", job.endpoint, out);
    if (!this.current) this.finish(out);
  }

  private finish(out: WorkerLinkAction<R, D>[]): void {
    if (this.finished || this.current) return;
    this.finished = true;
    this.closing = true;
    for (const line of this.lines) {
      if (line.phase === "connected") {
        if (this.wire.disconnect) out.push({ type: "send", channel: line.channel, frames: this.wire.disconnect() });
        out.push(
          { type: "hangup", line: line.index, channel: line.channel, final: true },
          { type: "emit", event: "disconnect", args: [{ endpoint: line.endpoints[line.at]!, reason: "close", reconnectIn: undefined }] },
        );
      }
      line.phase = "closed";
      line.reconnectAt = Number.POSITIVE_INFINITY;
    }
    out.push({ type: "closed" });
  }

  private drop(reason: LinkDropReason<D>, endpoint: string, out: WorkerLinkAction<R, D>[], detail?: string, error?: unknown): void {
    this.counters.dropped++;
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    const event: LinkDropEvent<D> = { reason, endpoint };
    if (detail !== undefined) event.detail = detail;
    if (error !== undefined) event.error = error;
    out.push({ type: "emit", event: "drop", args: [event] });
  }
}
