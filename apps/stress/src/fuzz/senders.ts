/**
 * Hostile connections: DEALERs (some reading what comes back, some never
 * reading), relaxed REQs on client-facing sockets, and PUBs on a Binary Star
 * state link; each reconnected (a new identity) now and then on a seeded
 * schedule. A row's generator feeds its connections in a fixed round-robin,
 * so a seed always sends the same frames on the same connection.
 *
 * @module
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { seededRandom } from "@zmq-reliable/core";
import * as zmq from "zeromq";
import { type Dialect, FuzzGenerator } from "./generator.js";

/** How a connection behaves. */
export type ConnectionKind = "dealer-reader" | "dealer-silent" | "req-relaxed";

/** Counters of one fuzzed socket (one row of the report). */
export interface RowFigures {
  /** Messages handed to zeromq. */
  sent: number;
  /** Sends that timed out (peer not taking more): the connection was replaced. */
  blocked: number;
  /** Connections replaced on schedule or after a block. */
  reconnects: number;
  /** Messages read back by the reading connections. */
  received: number;
  /** Genuine state messages relayed between the Binary Star nodes (not fuzz). */
  relayed: number;
}

const QUEUE_LIMIT = 32;
const forwarded = new WeakSet<Buffer[]>();
const SEND_TIMEOUT = 2_000;

/** One connection with a serial send loop (zeromq allows one send at a time per socket). */
class Connection {
  private socket: zmq.Dealer | zmq.Request | zmq.Publisher | undefined;
  private readonly queue: Buffer[][] = [];
  private wake: (() => void) | undefined;
  private space: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();
  private closed = false;
  private untilReconnect: number;
  private readonly random: () => number;

  constructor(
    private readonly kind: ConnectionKind | "pub",
    private readonly endpoints: readonly string[],
    seed: number,
    private readonly figures: RowFigures,
    private readonly given: zmq.Publisher | undefined,
  ) {
    this.random = seededRandom(seed);
    this.untilReconnect = this.reconnectAfter();
  }

  private reconnectAfter(): number {
    return 200 + Math.floor(this.random() * 3000);
  }

  async open(): Promise<void> {
    this.socket = await this.create();
    this.loop = this.run();
  }

  private async create(): Promise<zmq.Dealer | zmq.Request | zmq.Publisher> {
    if (this.given) return this.given;
    const common = { linger: 0, sendTimeout: SEND_TIMEOUT, sendHighWaterMark: 1000 };
    let socket: zmq.Dealer | zmq.Request | zmq.Publisher;
    if (this.kind === "pub") socket = new zmq.Publisher({ ...common, noDrop: false });
    else if (this.kind === "req-relaxed") socket = new zmq.Request({ ...common, relaxed: true, correlate: false, receiveHighWaterMark: 10 });
    else socket = new zmq.Dealer({ ...common, receiveHighWaterMark: this.kind === "dealer-silent" ? 10 : 1000 });
    for (const ep of this.endpoints) socket.connect(ep);
    if (this.kind === "dealer-reader") void this.drain(socket as zmq.Dealer);
    return socket;
  }

  private async drain(socket: zmq.Dealer): Promise<void> {
    try {
      for await (const _ of socket) this.figures.received++;
    } catch {
      // closed
    }
  }

  /** Sends `frames` ahead of the fuzz queue, not counted as fuzz (a relayed state message). */
  forward(frames: Buffer[]): void {
    if (this.closed) return;
    forwarded.add(frames);
    this.queue.unshift(frames);
    this.wake?.();
  }

  /** Queues a message; resolves once the queue has room again. */
  async push(frames: Buffer[]): Promise<void> {
    this.queue.push(frames);
    this.wake?.();
    if (this.queue.length >= QUEUE_LIMIT) await new Promise<void>((r) => (this.space = r));
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        if (this.closed) return;
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      const frames = this.queue.shift()!;
      if (this.queue.length < QUEUE_LIMIT / 2 && this.space) {
        const space = this.space;
        this.space = undefined;
        space();
      }
      await this.sendOne(frames);
    }
  }

  /** Whether its socket was given (a bound state-link impostor that also relays): it stays open until {@link Connection.close}. */
  get binds(): boolean {
    return this.given !== undefined;
  }

  private async sendOne(frames: Buffer[]): Promise<void> {
    const socket = this.socket!;
    // A relaxed REQ adds the empty delimiter itself.
    const out = this.kind === "req-relaxed" && frames.length > 1 && frames[0]!.length === 0 ? frames.slice(1) : frames;
    try {
      await socket.send(out);
      if (forwarded.has(frames)) this.figures.relayed++;
      else this.figures.sent++;
    } catch {
      this.figures.blocked++;
      this.untilReconnect = 0;
    }
    if (--this.untilReconnect <= 0 && !this.given && !this.closed) {
      this.figures.reconnects++;
      this.untilReconnect = this.reconnectAfter();
      socket.close();
      this.socket = await this.create();
    }
  }

  /** Sends what is queued (bounded by the send timeouts), then closes. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.space?.();
    await this.loop;
    this.socket?.close();
  }

  /** Drops whatever is queued and closes now. */
  abort(): void {
    this.queue.length = 0;
    void this.close();
  }
}

/** Where and how one row fuzzes. */
export interface RowSpec {
  /** Target name, as in `--targets`. */
  target: string;
  /** The socket under fire (report column). */
  socket: string;
  /** The dialect of the valid messages to mutate. */
  dialect: Dialect;
  /** Endpoints every connection connects to (a DEALER round-robins over several). */
  endpoints: readonly string[];
  /** Connection kinds, one connection each. */
  connections: readonly (ConnectionKind | "pub")[];
  /** For `pub` connections: these sockets, already bound (one per connection), instead of connecting. */
  sockets?: readonly zmq.Publisher[];
  /** Services reserved for the probes. */
  reserved?: readonly string[];
}

/** A row running: its generator and connections. */
export class FuzzRow {
  /** The row's counters. */
  readonly figures: RowFigures = { sent: 0, blocked: 0, reconnects: 0, received: 0, relayed: 0 };
  /** The row's generator (its `counts` give the mutation mix). */
  readonly generator: FuzzGenerator;
  private readonly connections: Connection[];
  private stopped = false;

  /**
   * @param spec - where and how.
   * @param seed - the row's seed (derive one per row from the run's seed).
   * @param share - messages this row sends.
   */
  constructor(readonly spec: RowSpec, seed: number, readonly share: number) {
    this.generator = new FuzzGenerator(spec.dialect, { seed, reserved: spec.reserved });
    this.connections = spec.connections.map(
      (kind, i) => new Connection(kind, spec.endpoints, (seed ^ (0x9e3779b9 * (i + 1))) >>> 0, this.figures, spec.sockets?.[i]),
    );
  }

  /** Opens every connection. */
  async open(): Promise<void> {
    for (const c of this.connections) await c.open();
  }

  /**
   * Generates and sends the row's share; resolves when all is handed to
   * zeromq (or on {@link FuzzRow.stop}). Connecting sockets are closed then;
   * binding ones (state-link impostors, which also relay) stay open until {@link FuzzRow.close}.
   */
  async run(): Promise<void> {
    const n = this.connections.length;
    for (let i = 0; i < this.share && !this.stopped; i++) {
      await this.connections[i % n]!.push(this.generator.next().frames);
      // Sends that zeromq takes at once resolve as microtasks: yield now and then, or timers
      // (the probes' deadlines and retries, the clients' heartbeats) starve in this process.
      if (i % 16 === 15) await nextTurn();
    }
    await Promise.all(this.connections.filter((c) => !c.binds).map((c) => c.close()));
  }

  /**
   * Relays a genuine message through connection `index` (a state-link impostor), ahead of the fuzz.
   *
   * @param index - which connection.
   * @param frames - the message.
   */
  forward(index: number, frames: Buffer[]): void {
    this.connections[index]?.forward(frames);
  }

  /** Stops generating and drops what is queued. */
  stop(): void {
    this.stopped = true;
    for (const c of this.connections) if (!c.binds) c.abort();
  }

  /** Closes every connection, binding ones included. */
  async close(): Promise<void> {
    this.stopped = true;
    for (const c of this.connections) c.abort();
    await Promise.all(this.connections.map((c) => c.close()));
  }
}
