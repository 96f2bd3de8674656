/**
 * The harness's own peers, speaking the protocols with raw zeromq sockets
 * (so every figure is the target's, not a library's): MDP and PPP workers
 * that echo (or hold requests forever), and a normal synchronous client that
 * measures each request's latency.
 *
 * @module
 */
import * as zmq from "zeromq";

const EMPTY = Buffer.alloc(0);
const MDPW = Buffer.from("MDPW01");
const MDPC = Buffer.from("MDPC01");
const W_READY = Buffer.from([1]);
const W_REQUEST = 2;
const W_REPLY = Buffer.from([3]);
const W_HEARTBEAT = Buffer.from([4]);
const W_DISCONNECT = 5;
const PPP_READY = Buffer.from([1]);
const PPP_HEARTBEAT = Buffer.from([2]);

/** A raw worker: heartbeats and (unless it is silent) echoes every request. */
export interface RawWorker {
  /** Requests received so far. */
  readonly received: number;
  /** Requests received, per client routing id (as text). */
  readonly byClient: Map<string, number>;
  /** Times it registered again after the broker told it DISCONNECT (MDP; 0 for PPP). */
  readonly reconnects: number;
  /** Stops heartbeating and closes the socket. */
  close(): void;
}

interface Loop {
  socket: zmq.Dealer;
  stop(): void;
}

function startLoop(endpoint: string, hello: Buffer[], beat: Buffer[], interval: number, onMessage: (frames: Buffer[], loop: Loop) => Buffer[] | undefined): Loop {
  const socket = new zmq.Dealer({ linger: 0 });
  socket.connect(endpoint);
  void socket.send(hello).catch(() => undefined);
  const timer = setInterval(() => void socket.send(beat).catch(() => undefined), interval);
  const loop: Loop = {
    socket,
    stop: () => {
      clearInterval(timer);
      socket.close();
    },
  };
  void (async () => {
    try {
      for await (const frames of socket) {
        const reply = onMessage(frames, loop);
        if (reply) await socket.send(reply);
      }
    } catch {
      // closed
    }
  })();
  return loop;
}

/**
 * An MDP/0.1 worker for `service`: READY, a HEARTBEAT every `heartbeat` ms,
 * and an echo REPLY to every REQUEST, or none when `silent` (a worker that
 * holds its first request forever, the finding 1). Told DISCONNECT
 * (the broker expired it), it registers again on a new socket, as the RFC
 * asks of a worker.
 *
 * @param endpoint - the broker.
 * @param service - the service to register.
 * @param heartbeat - ms between heartbeats.
 * @param silent - never reply.
 */
export function mdpWorker(endpoint: string, service: string, heartbeat: number, silent = false): RawWorker {
  const byClient = new Map<string, number>();
  const state = { received: 0, reconnects: 0, closed: false };
  const onMessage = (frames: Buffer[], loop: Loop): Buffer[] | undefined => {
    if (frames.length === 3 && frames[2]![0] === W_DISCONNECT && !state.closed) {
      loop.stop();
      state.reconnects++;
      current = open();
      return undefined;
    }
    if (frames.length < 6 || frames[2]![0] !== W_REQUEST) return undefined;
    state.received++;
    const client = frames[3]!;
    byClient.set(client.toString("hex"), (byClient.get(client.toString("hex")) ?? 0) + 1);
    return silent ? undefined : [EMPTY, MDPW, W_REPLY, client, EMPTY, ...frames.slice(5)];
  };
  const open = () => startLoop(endpoint, [EMPTY, MDPW, W_READY, Buffer.from(service)], [EMPTY, MDPW, W_HEARTBEAT], heartbeat, onMessage);
  let current = open();
  return {
    get received() {
      return state.received;
    },
    get reconnects() {
      return state.reconnects;
    },
    byClient,
    close: () => {
      state.closed = true;
      current.stop();
    },
  };
}

/**
 * A PPP worker: READY, a HEARTBEAT every `heartbeat` ms, and an echo of
 * every request (`[client, "", body]`), counting requests per client id.
 *
 * @param endpoint - the queue's backend.
 * @param heartbeat - ms between heartbeats.
 */
export function pppWorker(endpoint: string, heartbeat: number): RawWorker {
  const byClient = new Map<string, number>();
  const state = { received: 0 };
  const loop = startLoop(endpoint, [PPP_READY], [PPP_HEARTBEAT], heartbeat, (frames) => {
    if (frames.length < 3) return undefined;
    state.received++;
    const client = frames[0]!.toString("latin1");
    byClient.set(client, (byClient.get(client) ?? 0) + 1);
    return frames;
  });
  return {
    get received() {
      return state.received;
    },
    reconnects: 0,
    byClient,
    close: () => loop.stop(),
  };
}

/** The outcome of a normal client's run. */
export interface ProbeResult {
  /** Requests sent. */
  sent: number;
  /** Requests answered within their timeout. */
  answered: number;
  /** Latency of each answered request, ms, sorted. */
  latencies: number[];
}

/**
 * A normal, synchronous client on a raw DEALER: one request at a time, each
 * waited for at most `timeout` ms, its reply matched by body (a late reply
 * to an earlier request is ignored).
 */
export class Probe {
  private readonly socket: zmq.Dealer;
  private seq = 0;
  private waiting: { body: string; resolve: (ok: boolean) => void } | undefined;

  /**
   * @param endpoint - where to connect.
   * @param protocol - `mdp` (with `service`) or `req` (`["", body]`).
   * @param service - the MDP service.
   * @param name - routing id, so targets and workers can tell it from the flooders.
   */
  constructor(endpoint: string, private readonly protocol: "mdp" | "req", private readonly service = "echo", name = "normal") {
    const socket = (this.socket = new zmq.Dealer({ routingId: name, linger: 0 }));
    socket.connect(endpoint);
    void (async () => {
      try {
        for await (const frames of socket) {
          const body = frames[frames.length - 1]?.toString("latin1");
          if (this.waiting && body === this.waiting.body) this.waiting.resolve(true);
        }
      } catch {
        // closed
      }
    })();
  }

  /**
   * Sends one request and resolves with its latency in ms, or `undefined`
   * when no reply came within `timeout` ms.
   *
   * @param timeout - ms to wait.
   */
  async request(timeout: number): Promise<number | undefined> {
    const body = `probe-${++this.seq}`;
    const started = performance.now();
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeout);
      this.waiting = { body, resolve: (ok) => { clearTimeout(timer); resolve(ok); } };
    });
    await this.socket.send(this.protocol === "mdp" ? [EMPTY, MDPC, this.service, body] : [EMPTY, body]);
    const ok = await answered;
    this.waiting = undefined;
    return ok ? performance.now() - started : undefined;
  }

  /**
   * Sends `count` requests one after the other.
   *
   * @param count - requests.
   * @param timeout - ms each may take.
   * @param until - stop early when it returns true (checked before each request).
   * @param pace - at least this many ms from one request's start to the next (0: back to back).
   */
  async run(count: number, timeout: number, until: () => boolean = () => false, pace = 0): Promise<ProbeResult> {
    const latencies: number[] = [];
    let sent = 0;
    for (let i = 0; i < count && !until(); i++) {
      sent++;
      const started = performance.now();
      const latency = await this.request(timeout);
      if (latency !== undefined) latencies.push(latency);
      const rest = pace - (performance.now() - started);
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
    latencies.sort((a, b) => a - b);
    return { sent, answered: latencies.length, latencies };
  }

  /**
   * Resolves with the ms until the first answered request, retrying every
   * `timeout` ms until `deadline` ms have passed (then `undefined`).
   *
   * @param timeout - ms each attempt waits.
   * @param deadline - ms in all.
   */
  async firstReply(timeout: number, deadline: number): Promise<number | undefined> {
    const started = performance.now();
    while (performance.now() - started < deadline) {
      if ((await this.request(timeout)) !== undefined) return performance.now() - started;
    }
    return undefined;
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }
}

/**
 * The `p`-th percentile of sorted values (nearest rank), or `NaN` when empty.
 *
 * @param sorted - ascending values.
 * @param p - 0..100.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
