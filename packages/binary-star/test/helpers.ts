import { Channel, createSocket } from "@zmq-reliable/core";
import { reservePort } from "@zmq-reliable/core/testing";
import { type BinaryStarState, encodeState } from "../src/index.js";

/** `count` fresh TCP endpoints on 127.0.0.1 that can be bound (and bound again after a restart). */
export async function endpoints(count: number): Promise<string[]> {
  const ports = await Promise.all(Array.from({ length: count }, () => reservePort()));
  return ports.map((p) => `tcp://127.0.0.1:${p}`);
}

/** Things to close after each test. */
export const cleanup: (() => Promise<unknown> | unknown)[] = [];
export async function closeAll(): Promise<void> {
  await Promise.all(cleanup.splice(0).map((f) => f()));
}

/**
 * A stand-in for a peer node (or a reference `bstar.c` node): a raw PUB that repeats a state
 * message every `interval` ms, and a raw SUB that records what our node publishes.
 */
export class FakePeer {
  readonly pub = new Channel(createSocket("publisher"));
  readonly sub = new Channel(createSocket("subscriber"));
  readonly heard: Buffer[][] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  static async create(local: string, remote: string): Promise<FakePeer> {
    const peer = new FakePeer();
    cleanup.push(() => peer.close());
    await peer.pub.socket.bind(local);
    peer.sub.socket.subscribe();
    peer.sub.socket.connect(remote);
    peer.sub.listen((m) => peer.heard.push(m));
    return peer;
  }

  /** Publishes `frames` now and every `interval` ms (until changed or stopped). */
  say(frames: BinaryStarState | Buffer[], interval = 20): void {
    this.stop();
    const message = typeof frames === "string" ? encodeState(frames) : frames;
    const send = () => this.pub.post(message);
    send();
    this.timer = setInterval(send, interval);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The states our node published, decoded as strings ("1".."4"). */
  get heardDigits(): string[] {
    return this.heard.map((m) => m.map(String).join("|"));
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all([this.pub.close(), this.sub.close()]);
  }
}
