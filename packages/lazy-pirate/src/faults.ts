/**
 * Deliberate fault injection for {@link LazyPirateServer}, so demos and tests
 * can show a Lazy Pirate client recover (the reference `lpserver` crashes and
 * stalls at random, [Lazy Pirate protocol: differences from the reference](https://zmq-reliable.github.io/zmq-reliable/documents/Lazy_Pirate_protocol.html#differences-from-the-reference)). Pure and deterministic: every decision
 * depends only on the request number and a seeded generator.
 *
 * @module
 */
import { checkNumber, InvalidOptionError, seededRandom } from "@zmq-reliable/core";

/** Fault injection options of {@link LazyPirateServer}. Every fault is off by default. */
export interface FaultOptions {
  /**
   * Handle the request but send no reply, so the client times out and retries.
   * A number is a probability in [0, 1] drawn from the seeded generator; a
   * function decides from the request number (1 for the first request).
   */
  dropReply?: number | ((request: number) => boolean);
  /**
   * Hold the reply back for this many ms after the handler finished ("CPU
   * overload"). A number applies to every request; a function gives the delay
   * per request number (0 for none).
   */
  delay?: number | ((request: number) => number);
  /**
   * Crash when request number `crashAfter + 1` arrives: that request gets no
   * reply, requests still being handled get none either, and the server closes
   * its socket (a `fault` event of kind `"crash"` comes first; a process that
   * wants a real crash calls `process.exit()` there).
   */
  crashAfter?: number;
  /**
   * Crash at random: the probability in [0, 1] that each request triggers a
   * crash as {@link FaultOptions.crashAfter} describes, or a function of the
   * request number.
   */
  crash?: number | ((request: number) => boolean);
  /**
   * Seed of the generator behind the probabilities, so a run can be replayed.
   * Default: a random seed (readable from {@link FaultPlan.seed}).
   */
  seed?: number;
}

/** What the server does to one request. */
export interface FaultDecision {
  /** Crash on receipt: no handler call, no reply, server closes. */
  readonly crash: boolean;
  /** Run the handler but never send its reply. */
  readonly dropReply: boolean;
  /** Extra ms before sending the reply. */
  readonly delay: number;
}

const NO_FAULT: FaultDecision = Object.freeze({ crash: false, dropReply: false, delay: 0 });

function checkProbability(name: string, value: number | ((n: number) => unknown) | undefined): void {
  if (value === undefined || typeof value === "function") return;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new InvalidOptionError(`faults.${name} must be a probability in [0, 1] or a function, got ${String(value)}`);
  }
}

/**
 * Decides, request by request, which faults to inject. The generator is drawn
 * a fixed number of times per request (crash, then drop), so the same seed
 * always gives the same decisions for the same request numbers.
 */
export class FaultPlan {
  /** The seed in use (given or drawn at random). */
  readonly seed: number;
  /** Whether any fault is configured at all. */
  readonly active: boolean;
  private readonly options: FaultOptions;
  private readonly random: () => number;

  /** @param options - see {@link FaultOptions}; `undefined` injects nothing. */
  constructor(options: FaultOptions = {}) {
    checkProbability("dropReply", options.dropReply);
    checkProbability("crash", options.crash);
    if (typeof options.delay === "number") checkNumber("faults.delay", options.delay);
    else if (options.delay !== undefined && typeof options.delay !== "function") {
      throw new InvalidOptionError("faults.delay must be a number of ms or a function");
    }
    if (options.crashAfter !== undefined && (!Number.isInteger(options.crashAfter) || options.crashAfter < 0)) {
      throw new InvalidOptionError(`faults.crashAfter must be an integer >= 0, got ${String(options.crashAfter)}`);
    }
    this.options = options;
    this.seed = options.seed ?? Math.floor(Math.random() * 0x100000000);
    this.random = seededRandom(this.seed);
    this.active =
      options.dropReply !== undefined || options.delay !== undefined || options.crashAfter !== undefined || options.crash !== undefined;
  }

  /**
   * The faults for request number `request` (1-based, in arrival order). Call
   * once per request, in order.
   *
   * @param request - the request number.
   */
  decide(request: number): FaultDecision {
    if (!this.active) return NO_FAULT;
    const o = this.options;
    const crashRoll = this.random();
    const dropRoll = this.random();
    const crash =
      (o.crashAfter !== undefined && request > o.crashAfter) ||
      (typeof o.crash === "function" ? o.crash(request) : o.crash !== undefined && crashRoll < o.crash);
    const dropReply = typeof o.dropReply === "function" ? o.dropReply(request) : o.dropReply !== undefined && dropRoll < o.dropReply;
    const delay = typeof o.delay === "function" ? Math.max(0, o.delay(request) || 0) : (o.delay ?? 0);
    return { crash, dropReply, delay };
  }
}
