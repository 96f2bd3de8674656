/**
 * The driver: runs a {@link Machine} over {@link Channel}s. It owns the clock
 * and the machine's single wake-up timer, feeds the machine its inputs one at
 * a time (an input that arrives while actions are being performed waits its
 * turn, so a machine never sees re-entrant calls), performs the actions it
 * knows (`send`, `emit`, `settle`) and hands the rest to the role.
 *
 * ```ts
 * const driver = new Driver(machine, { clock, emit: (event, ...args) => this.emit(event, ...args), perform: (a) => this.perform(a) });
 * driver.attach("frontend", frontendChannel);      // messages in → { type: "message", channel: "frontend", message }
 * const reply = await driver.call((id) => ({ type: "request", call: id, body }), { signal });
 * driver.close(new ClosedError("closed"));          // rejects calls still open, cancels the timer
 * ```
 *
 * @module
 */
import type { Clock } from "../pure/clock.js";
import { Timer } from "../pure/clock.js";
import { IdMap } from "../pure/id-map.js";
import { systemClock } from "./system-clock.js";
import { AbortError, ClosedError, SocketError, type ZmqReliableError } from "../pure/errors.js";
import type { Frame } from "../pure/frames.js";
import type { Machine, MessageInput, SendFailedInput, Tagged } from "../pure/machine.js";
import { WAKE } from "../pure/machine.js";
import type { Channel } from "./channel.js";

/** The input a driver feeds when a call's `AbortSignal` fires: the machine forgets the call. */
export interface CancelInput {
  /** Discriminant. */
  readonly type: "cancel";
  /** The call's id. */
  readonly call: number;
}

/** Options of {@link Driver}. */
export interface DriverOptions<A> {
  /** Clock for `now` and the wake-up timer; default the system clock. */
  clock?: Clock;
  /** Emits a role event (`emit` actions); usually the role's protected `emit`. */
  emit?: (event: string, ...args: unknown[]) => void;
  /** Performs every action the driver does not know (and `disconnect`). */
  perform?: (action: A) => void;
  /**
   * Feed `send-failed` inputs for sends that fail (one promise per send).
   * Default false: sends are fire-and-forget and failures go to `onError`.
   */
  reportSendFailures?: boolean;
  /** Receives errors nobody else can: a failed send when not reported, an action nobody performs, a throwing listener. */
  onError?: (error: ZmqReliableError) => void;
}

const NO_SIGNAL = (): void => {};

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
  unlisten(): void;
}

/**
 * Runs one machine; see the module comment. `I` is the machine's input union
 * (it must accept {@link WakeInput}, {@link MessageInput}s for the attached
 * channels and, when calls can be aborted, {@link CancelInput}); `A` its
 * action union.
 */
export class Driver<I extends Tagged, A extends Tagged> {
  /** The clock the machine is driven by. */
  readonly clock: Clock;
  private readonly timer: Timer;
  private readonly channels = new Map<string, Channel>();
  private readonly calls = new IdMap<PendingCall>();
  private readonly backlog: I[] = [];
  private readonly options: DriverOptions<A>;
  private busy = false;
  private stopped = false;
  private nextCall = 1;
  private readonly noCalls: (() => void)[] = [];

  /**
   * @param machine - the machine to run.
   * @param options - see {@link DriverOptions}.
   */
  constructor(
    readonly machine: Machine<I, A>,
    options: DriverOptions<A> = {},
  ) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.timer = new Timer(this.clock, () => this.feed(WAKE as unknown as I));
  }

  /** Calls opened with {@link Driver.call} and not yet settled. */
  get openCalls(): number {
    return this.calls.size;
  }

  /**
   * Routes `channel`'s messages into the machine as `{ type: "message", channel: name, message }`
   * (after `decode`, when given) and lets `send` actions name it.
   *
   * @param name - the channel's name in actions and inputs.
   * @param channel - the channel; the driver starts its receive loop unless `listen` is false.
   * @param options - `decode` turns raw frames into the machine's message type; `listen: false` to only send.
   */
  attach<M = Buffer[]>(name: string, channel: Channel, options: { decode?: (frames: Buffer[]) => M; listen?: boolean } = {}): void {
    this.channels.set(name, channel);
    if (options.listen === false) return;
    const decode = options.decode;
    channel.listen((frames) => {
      const message = decode ? decode(frames) : frames;
      this.feed({ type: "message", channel: name, message } satisfies MessageInput<unknown> as unknown as I);
    });
  }

  /**
   * Forgets a channel (after the role closed or replaced it); sends naming it fail.
   *
   * @param name - the channel's name.
   */
  detach(name: string): void {
    this.channels.delete(name);
  }

  /**
   * The channel attached under `name`, if any.
   *
   * @param name - the channel's name.
   */
  channel(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  /**
   * Feeds one input at the clock's current time and performs the actions the
   * machine returns. Inputs fed while actions are being performed wait their turn.
   *
   * @param input - what happened.
   */
  feed(input: I): void {
    if (this.stopped) return;
    this.backlog.push(input);
    if (this.busy) return;
    this.busy = true;
    try {
      let next: I | undefined;
      while ((next = this.backlog.shift()) !== undefined) {
        const actions = this.machine.handle(next, this.clock.now());
        for (const action of actions) this.performOne(action);
      }
    } finally {
      this.busy = false;
      this.rearm();
    }
  }

  /**
   * Opens a call the machine settles later with a `settle` action carrying the same id.
   *
   * @param input - builds the input that opens the call from its id.
   * @param signal - aborts the call: it rejects at once with {@link AbortError} and the machine gets a {@link CancelInput}.
   * @returns the value of the machine's `settle` action.
   */
  call<T>(input: (id: number) => I, signal?: AbortSignal): Promise<T> {
    if (this.stopped) return Promise.reject(new ClosedError("closed"));
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    const id = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      let unlisten = NO_SIGNAL;
      if (signal) {
        const onAbort = () => {
          if (!this.calls.delete(id)) return;
          reject(new AbortError(undefined, { cause: signal.reason }));
          this.callSettled();
          this.feed({ type: "cancel", call: id } satisfies CancelInput as unknown as I);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        unlisten = () => signal.removeEventListener("abort", onAbort);
      }
      this.calls.set(id, { resolve: resolve as (value: unknown) => void, reject, unlisten });
      this.feed(input(id));
    });
  }

  /** Resolves once no call is open (at once when none is). */
  whenNoCalls(): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.noCalls.push(resolve));
  }

  private callSettled(): void {
    if (this.calls.size > 0 || this.noCalls.length === 0) return;
    for (const resolve of this.noCalls.splice(0)) resolve();
  }

  /**
   * Stops the driver: cancels the wake-up timer, rejects every open call with
   * `error`, ignores later inputs. Idempotent.
   *
   * @param error - what open calls reject with.
   */
  close(error: ZmqReliableError = new ClosedError("closed")): void {
    this.stopped = true;
    this.timer.cancel();
    this.backlog.length = 0;
    const calls = this.calls.values();
    this.calls.clear();
    for (const call of calls) {
      call.unlisten();
      call.reject(error);
    }
    this.callSettled();
  }

  private performOne(action: A): void {
    const a = action as unknown as { readonly type: string; readonly [key: string]: unknown };
    switch (a.type) {
      case "send":
        return this.send(a.channel as string, a.frames as Frame[]);
      case "emit":
        return this.guard(() => this.options.emit?.(a.event as string, ...(a.args as unknown[])));
      case "settle":
        return this.settle(a);
      default:
        if (this.options.perform) return this.guard(() => this.options.perform!(action));
        this.options.onError?.(new SocketError(`no role performs the machine's ${JSON.stringify(a.type)} action`));
    }
  }

  private settle(action: { readonly [key: string]: unknown }): void {
    const call = this.calls.get(action.call as number);
    if (!call) return; // aborted or closed already
    this.calls.delete(action.call as number);
    call.unlisten();
    if ("error" in action) call.reject(action.error as Error);
    else call.resolve(action.value);
    this.callSettled();
  }

  private send(name: string, frames: Frame[]): void {
    const channel = this.channels.get(name);
    if (!channel) {
      const error = new ClosedError(`${name} is not open`);
      if (this.options.reportSendFailures) this.feed({ type: "send-failed", channel: name, frames, error } satisfies SendFailedInput as unknown as I);
      else this.options.onError?.(error);
      return;
    }
    if (!this.options.reportSendFailures) return channel.post(frames);
    channel.post(frames, (error) => this.feed({ type: "send-failed", channel: name, frames, error } satisfies SendFailedInput as unknown as I));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.onError?.(new SocketError(`listener threw: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err }));
    }
  }

  private rearm(): void {
    if (this.stopped) return;
    this.timer.at(this.machine.wakeAt());
  }
}
