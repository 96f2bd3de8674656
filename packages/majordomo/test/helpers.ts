import { type Frame, seededRandom, toBuffer } from "@zmq-reliable/core";

/** Frames as Buffers, for byte-exact comparisons. */
export function bufs(frames: readonly Frame[]): Buffer[] {
  return frames.map(toBuffer);
}

/** Frames rendered for readable assertions: printable ASCII as text, else `0x..`. */
export function show(frames: readonly Frame[]): string[] {
  return frames.map((f) => {
    const b = toBuffer(f);
    return b.every((c) => c >= 0x20 && c < 0x7f) ? b.toString("latin1") : `0x${b.toString("hex")}`;
  });
}

/** A small deterministic PRNG (mulberry32) for property tests: core's `seededRandom`. */
export const rng = seededRandom;

/** A random integer in [0, n). */
export function int(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

const open: { close(): Promise<void> }[] = [];

/** Registers `o` to be closed by {@link closeTracked}; returns it. */
export function track<T extends { close(): Promise<void> }>(o: T): T {
  open.push(o);
  return o;
}

/** Closes everything {@link track} registered, all at once, newest first (`afterEach`). */
export async function closeTracked(): Promise<void> {
  await Promise.all(open.splice(0).reverse().map((o) => o.close()));
}
