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
 * The role's shell (`WorkerLink`, in `io/worker-link.ts`) performs the actions:
 * `connect` (a fresh DEALER, attached to the driver as `channel`, so `send`s
 * that follow go on it), `hangup`, `handle` (run the handler, then feed a
 * `done` input), `closed`, and the core `send`/`emit` actions.
 *
 * @module
 */
import { Backoff } from "../pure/backoff.js";
import { Fifo } from "../pure/collections.js";
import { checkNumber, InvalidOptionError } from "../pure/errors.js";
import type { Frame } from "../pure/frames.js";
import { Heartbeat } from "../pure/heartbeat.js";
import type { Machine } from "../pure/machine.js";
import { earliest } from "../pure/machine.js";
import type {
  LinkDisconnectReason,
  LinkDropEvent,
  LinkDropReason,
  LinkJob,
  LinkMessage,
  LinkPhase,
  WorkerLinkAction,
  WorkerLinkInput,
  WorkerLinkOptions,
  WorkerLinkStats,
  WorkerWire,
} from "./worker-link-types.js";

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
