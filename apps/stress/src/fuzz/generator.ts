/**
 * The fuzz generator: pure and seeded. Starts from valid protocol messages
 * of one wire dialect and mutates them; the same seed always yields the same
 * sequence of messages, so a failing run reproduces from its seed alone.
 *
 * @module
 */
import { seededRandom } from "@zmq-reliable/core";

/**
 * The wire dialect a generator speaks, as seen from the fuzzing socket
 * (a DEALER, or a PUB for `bstar-state`):
 * - `req-client`: `["", body…]` (a REQ-shaped client: PPP queue frontend, Binary Star frontend, Lazy Pirate server);
 * - `ppp-worker`: `[0x01]`, `[0x02]`, `[client, "", body…]` (a PPP worker at the queue's backend);
 * - `mdp-client`: `["", "MDPC01", service, body…]`;
 * - `mdp-worker`: `["", "MDPW01", command, …]`;
 * - `bstar-state`: `["1" … "4"]` (a Binary Star state publisher).
 */
export type Dialect = "req-client" | "ppp-worker" | "mdp-client" | "mdp-worker" | "bstar-state";

/** Every mutation the generator applies, in a fixed order. */
export const MUTATION_KINDS = [
  "valid",
  "drop-frame",
  "duplicate-frame",
  "insert-frame",
  "reorder-frames",
  "truncate",
  "extend",
  "flip",
  "wrong-header",
  "command-byte",
  "empty-message",
  "empty-frame",
  "many-frames",
  "large-frame",
  "identity-frames",
  "service-name",
  "forged-reply",
  "random",
] as const;

/** One mutation kind. */
export type MutationKind = (typeof MUTATION_KINDS)[number];

/** One generated message: what was done and the frames to send. */
export interface FuzzMessage {
  /** The mutation that produced it. */
  kind: MutationKind;
  /** The frames (never zero of them). */
  frames: Buffer[];
}

/** Options of {@link FuzzGenerator}. */
export interface FuzzGeneratorOptions {
  /** Seed of the schedule (any 32-bit integer). */
  seed: number;
  /** Service names never used in a valid-looking message (the liveness probes' service), so fuzzing cannot register a fake worker for it. */
  reserved?: readonly string[];
  /** Total bytes of large frames this generator may produce; default 16 MiB. */
  largeBudget?: number;
  /** Largest single large frame; default 4 MiB. */
  maxLargeFrame?: number;
}

/** Relative weights of the mutation kinds (same order as {@link MUTATION_KINDS}). */
const WEIGHTS: Readonly<Record<MutationKind, number>> = {
  valid: 12,
  "drop-frame": 6,
  "duplicate-frame": 6,
  "insert-frame": 6,
  "reorder-frames": 5,
  truncate: 5,
  extend: 5,
  flip: 8,
  "wrong-header": 6,
  "command-byte": 8,
  "empty-message": 2,
  "empty-frame": 4,
  "many-frames": 0.5,
  "large-frame": 0.05,
  "identity-frames": 4,
  "service-name": 6,
  "forged-reply": 5,
  random: 6,
};
const TOTAL_WEIGHT = MUTATION_KINDS.reduce((sum, k) => sum + WEIGHTS[k], 0);

const EMPTY = Buffer.alloc(0);
const MDPC = Buffer.from("MDPC01");
const MDPW = Buffer.from("MDPW01");
const WRONG_HEADERS = ["MDPC02", "MDPW0", "MDPW02", "MDPC0", "mdpc01", "MDPW01\0", "MDP", "", "MDPC01MDPC01", "\x1b[31mMDPW01"].map((s) => Buffer.from(s, "latin1"));
/** Service names a hostile peer would try: control characters, ANSI escapes, unicode, huge and invalid UTF-8. */
const HOSTILE_SERVICES: readonly Buffer[] = [
  "line\nforged INFO worker ready",
  "\x1b[31mred\x1b[0m",
  "\r\rcarriage",
  "tab\there",
  "nul\0byte",
  "bell\x07\x08\x7f",
  "mmi.service",
  "mmi.unknown",
  "mmi.",
  "сервис-юникод-🚀",
  "\u202eright-to-left",
  "x".repeat(255),
  "y".repeat(256),
  "z".repeat(1000),
].map((s) => Buffer.from(s, "utf8"));
const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]);

/**
 * A seeded stream of malformed, mutated and random messages in one dialect.
 * Pure: no sockets, no clock; `next()` is the only source of change.
 */
export class FuzzGenerator {
  /** How many messages of each kind were produced so far. */
  readonly counts: Record<MutationKind, number> = Object.fromEntries(MUTATION_KINDS.map((k) => [k, 0])) as Record<MutationKind, number>;
  /** Bytes of large frames still allowed. */
  private largeLeft: number;
  private readonly maxLarge: number;
  private readonly random: () => number;
  private readonly reserved: ReadonlySet<string>;
  /** Next command byte (cycles 0..255 so every byte is sent). */
  private commandByte = 0;
  private readonly identities: Buffer[] = [];

  /**
   * @param dialect - the wire dialect of the valid messages to start from.
   * @param options - seed, reserved services and the large-frame budget.
   */
  constructor(readonly dialect: Dialect, options: FuzzGeneratorOptions) {
    this.random = seededRandom(options.seed);
    this.reserved = new Set(options.reserved ?? []);
    this.largeLeft = options.largeBudget ?? 16 * 1024 * 1024;
    this.maxLarge = options.maxLargeFrame ?? 4 * 1024 * 1024;
    for (let i = 0; i < 8; i++) this.identities.push(Buffer.from([0, ...this.bytes(4)]));
  }

  /** Messages produced so far. */
  get produced(): number {
    return MUTATION_KINDS.reduce((sum, k) => sum + this.counts[k], 0);
  }

  /** The next message of the schedule. */
  next(): FuzzMessage {
    let kind = this.pickKind();
    let frames = this.mutate(kind);
    if (frames === undefined) {
      kind = "random";
      frames = this.mutate(kind)!;
    }
    if (frames.length === 0) frames = [EMPTY];
    this.counts[kind]++;
    return { kind, frames };
  }

  // ---- random helpers -------------------------------------------------------

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  private bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  private smallFrame(): Buffer {
    const r = this.random();
    if (r < 0.15) return EMPTY;
    if (r < 0.3) return Buffer.from([this.int(256)]);
    if (r < 0.85) return this.bytes(1 + this.int(32));
    return this.bytes(33 + this.int(2000));
  }

  private pickKind(): MutationKind {
    let r = this.random() * TOTAL_WEIGHT;
    for (const kind of MUTATION_KINDS) {
      r -= WEIGHTS[kind];
      if (r < 0) return kind;
    }
    return "random";
  }

  private identity(): Buffer {
    if (this.chance(0.2)) this.identities[this.int(this.identities.length)] = Buffer.from([0, ...this.bytes(4)]);
    return this.chance(0.8) ? this.pick(this.identities) : this.bytes(this.int(300));
  }

  private body(): Buffer[] {
    const n = 1 + (this.chance(0.2) ? this.int(5) : 0);
    return Array.from({ length: n }, () => (this.chance(0.5) ? Buffer.from(`fuzz ${this.int(1e9)}`) : this.smallFrame()));
  }

  private service(): Buffer {
    if (this.chance(0.3)) return this.hostileService();
    for (;;) {
      const name = `svc.${this.int(50)}`;
      if (!this.reserved.has(name)) return Buffer.from(name);
    }
  }

  private hostileService(): Buffer {
    const r = this.random();
    if (r < 0.6) return this.pick(HOSTILE_SERVICES);
    if (r < 0.7) return INVALID_UTF8;
    if (r < 0.8) return EMPTY;
    // Random printable-or-not characters, control characters included.
    const chars = Array.from({ length: 1 + this.int(40) }, () => String.fromCharCode(this.chance(0.3) ? this.int(32) : 32 + this.int(0x2fff)));
    const name = chars.join("");
    return this.reserved.has(name) ? Buffer.from(`${name}!`) : Buffer.from(name, "utf8");
  }

  // ---- valid messages -------------------------------------------------------

  /** A valid message of the dialect (a valid command, possibly in the wrong state). */
  private valid(): Buffer[] {
    switch (this.dialect) {
      case "req-client":
        return [EMPTY, ...this.body()];
      case "ppp-worker": {
        const r = this.random();
        if (r < 0.3) return [Buffer.from([0x01])];
        if (r < 0.6) return [Buffer.from([0x02])];
        return [this.identity(), EMPTY, ...this.body()];
      }
      case "mdp-client":
        return [EMPTY, MDPC, this.service(), ...this.body()];
      case "mdp-worker": {
        const command = this.pick([1, 2, 3, 3, 4, 4, 5]);
        const frames: Buffer[] = [EMPTY, MDPW, Buffer.from([command])];
        if (command === 1) frames.push(this.service());
        if (command === 2 || command === 3) frames.push(this.identity(), EMPTY, ...this.body());
        return frames;
      }
      case "bstar-state":
        return [Buffer.from(String(1 + this.int(4)))];
    }
  }

  /** Index of the frame that carries the command or header, where mutations hurt most. */
  private headerIndex(frames: readonly Buffer[]): number {
    if (this.dialect === "mdp-client" || this.dialect === "mdp-worker") return Math.min(1, frames.length - 1);
    return 0;
  }

  // ---- mutations ------------------------------------------------------------

  private mutate(kind: MutationKind): Buffer[] | undefined {
    const frames: Buffer[] = this.valid();
    switch (kind) {
      case "valid":
        return frames;
      case "drop-frame":
        if (frames.length < 2) return [EMPTY];
        frames.splice(this.int(frames.length), 1 + (this.chance(0.2) ? this.int(frames.length - 1) : 0));
        return frames;
      case "duplicate-frame": {
        const at = this.int(frames.length);
        frames.splice(at, 0, ...Array.from({ length: 1 + this.int(3) }, () => frames[at]!));
        return frames;
      }
      case "insert-frame":
        frames.splice(this.int(frames.length + 1), 0, this.chance(0.3) ? EMPTY : this.smallFrame());
        return frames;
      case "reorder-frames":
        for (let i = frames.length - 1; i > 0; i--) {
          const j = this.int(i + 1);
          [frames[i], frames[j]] = [frames[j]!, frames[i]!];
        }
        return frames;
      case "truncate": {
        const at = this.chance(0.5) ? this.headerIndex(frames) : this.int(frames.length);
        frames[at] = frames[at]!.subarray(0, this.int(frames[at]!.length));
        return frames;
      }
      case "extend": {
        const at = this.chance(0.5) ? this.headerIndex(frames) : this.int(frames.length);
        frames[at] = Buffer.concat([frames[at]!, this.bytes(1 + this.int(this.chance(0.1) ? 512 : 8))]);
        return frames;
      }
      case "flip": {
        const at = this.chance(0.5) ? this.headerIndex(frames) : this.int(frames.length);
        const frame = Buffer.from(frames[at]!.length > 0 ? frames[at]! : Buffer.from([0]));
        for (let n = 1 + this.int(3); n > 0; n--) {
          const i = this.int(frame.length);
          frame[i] = frame[i]! ^ (1 << this.int(8));
        }
        frames[at] = frame;
        return frames;
      }
      case "wrong-header":
        frames[this.headerIndex(frames)] = this.pick(WRONG_HEADERS);
        return frames;
      case "command-byte": {
        const byte = Buffer.from([this.commandByte]);
        this.commandByte = (this.commandByte + 1) % 256;
        if (this.dialect === "mdp-worker") frames[2] = byte;
        else if (this.dialect === "mdp-client") return [EMPTY, MDPW, byte, ...frames.slice(2)];
        else frames[this.headerIndex(frames)] = byte;
        return frames;
      }
      case "empty-message":
        return [EMPTY];
      case "empty-frame":
        frames[this.int(frames.length)] = EMPTY;
        return frames;
      case "many-frames": {
        const n = this.chance(0.5) ? 2000 : 100 + this.int(1900);
        const filler = Array.from({ length: n }, () => (this.chance(0.9) ? EMPTY : Buffer.from([this.int(256)])));
        return this.chance(0.5) ? [...frames, ...filler] : filler;
      }
      case "large-frame": {
        if (this.largeLeft <= 0) return undefined;
        const size = Math.min(this.largeLeft, 64 * 1024 + this.int(this.maxLarge - 64 * 1024));
        this.largeLeft -= size;
        const large = Buffer.alloc(size, this.int(256));
        frames[frames.length - 1] = large;
        return frames;
      }
      case "identity-frames": {
        const ids = Array.from({ length: 1 + this.int(4) }, () => this.identity());
        return this.chance(0.5) ? [...ids, ...frames] : [...ids, EMPTY, ...frames.slice(this.headerIndex(frames))];
      }
      case "service-name":
        if (this.dialect === "mdp-worker") return [EMPTY, MDPW, Buffer.from([1]), this.hostileService()];
        if (this.dialect === "mdp-client") return [EMPTY, MDPC, this.hostileService(), ...this.body()];
        // Other dialects have no service: send hostile text where the body or state goes.
        return this.dialect === "bstar-state" ? [this.hostileService()] : [EMPTY, this.hostileService()];
      case "forged-reply":
        switch (this.dialect) {
          case "mdp-client":
          case "mdp-worker":
            return [EMPTY, MDPW, Buffer.from([3]), this.identity(), EMPTY, ...this.body()];
          case "bstar-state":
            return [Buffer.from("3")];
          default:
            return [this.identity(), EMPTY, ...this.body()];
        }
      case "random":
        return Array.from({ length: 1 + this.int(8) }, () => this.smallFrame());
    }
  }
}
