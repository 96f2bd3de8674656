import type { Machine, Tagged, WakeInput } from "../pure/machine.js";
import { FakeClock } from "./fake-clock.js";

/** The inputs a machine accepts. */
export type MachineInput<M extends Machine<never, Tagged>> = Parameters<M["handle"]>[0];

/** The actions a machine returns. */
export type MachineAction<M extends Machine<never, Tagged>> = ReturnType<M["handle"]>[number];

/** An action as the {@link MachineHarness} recorded it: with the clock time it was returned at. */
export interface RecordedAction<A> {
  /** The fake clock's time when the machine returned it. */
  readonly at: number;
  /** The action. */
  readonly action: A;
}

/** The members of action union `A` whose `type` is `T`. */
export type ActionOfType<A, T extends string> = Extract<A, TypeTag<T>>;

/** A `type` discriminant of one value. */
export interface TypeTag<T extends string> {
  /** The value. */
  readonly type: T;
}

/** An `emit` action as {@link MachineHarness.emitted} returns it. */
export interface EmittedEvent {
  /** The fake clock's time when the machine returned it. */
  at: number;
  /** The event's arguments. */
  args: unknown[];
}

/** Options of {@link MachineHarness}. */
export interface MachineHarnessOptions<A> {
  /** The fake clock's starting time; default 0. */
  start?: number;
  /** Performs each action as it is returned (after it is recorded), as a role's shell would. */
  perform?: (action: A, at: number) => void;
}

/**
 * Runs a pure machine on a {@link FakeClock} the way core's `Driver` does,
 * without sockets: {@link MachineHarness.feed} hands it one input at the
 * clock's time, records every action it returns with that time, then arms
 * one timer at the machine's `wakeAt()` that feeds it a `wake` input. Move
 * time with `harness.clock.advance(ms)`; wake-ups due on the way happen at
 * their own times.
 *
 * ```ts
 * const h = new MachineHarness((now) => new WorkerState({ endpoint: "tcp://q:5556" }, now));
 * h.feed({ type: "start" });
 * h.clock.advance(1000);
 * expect(h.of("send").map((e) => e.at)).toEqual([0, 1000]); // READY, then a heartbeat
 * ```
 *
 * Test files extend it with helpers that speak their machine's language.
 */
export class MachineHarness<M extends Machine<never, Tagged>> {
  /** The clock; advance it to move time. */
  readonly clock: FakeClock;
  /** The machine under test. */
  readonly machine: M;
  /** Every action the machine returned, in order, with its time. */
  readonly log: RecordedAction<MachineAction<M>>[] = [];
  private readonly perform: ((action: MachineAction<M>, at: number) => void) | undefined;
  private armed: unknown;

  /**
   * @param create - builds the machine, given the clock's starting time.
   * @param options - see {@link MachineHarnessOptions}.
   */
  constructor(create: (now: number) => M, options: MachineHarnessOptions<MachineAction<M>> = {}) {
    this.clock = new FakeClock(options.start ?? 0);
    this.perform = options.perform;
    this.machine = create(this.clock.now());
    this.arm();
  }

  /**
   * Feeds one input at the current time; records (and performs) the actions
   * and re-arms the wake-up timer.
   *
   * @returns the actions the machine returned.
   */
  feed(input: MachineInput<M>): MachineAction<M>[] {
    const now = this.clock.now();
    const actions = (this.machine as Machine<MachineInput<M>, MachineAction<M>>).handle(input, now);
    for (const action of actions) {
      this.log.push({ at: now, action });
      this.perform?.(action, now);
    }
    this.arm();
    return actions;
  }

  /** The recorded actions of one `type` since log index `from`, with their times. */
  of<T extends MachineAction<M>["type"]>(type: T, from = 0): RecordedAction<ActionOfType<MachineAction<M>, T>>[] {
    return this.log.slice(from).filter((e) => e.action.type === type) as RecordedAction<ActionOfType<MachineAction<M>, T>>[];
  }

  /** The `emit` actions of one event since log index `from`: each with its time and its arguments. */
  emitted(event: string, from = 0): EmittedEvent[] {
    return this.log.slice(from).flatMap((e) => {
      const action = e.action as Tagged & { event?: unknown; args?: unknown[] };
      return action.type === "emit" && action.event === event ? [{ at: e.at, args: action.args ?? [] }] : [];
    });
  }

  private arm(): void {
    if (this.armed !== undefined) this.clock.clearTimeout(this.armed);
    const next = this.machine.wakeAt();
    const wake: WakeInput = { type: "wake" };
    this.armed = Number.isFinite(next) ? this.clock.setTimeout(() => this.feed(wake as MachineInput<M>), next - this.clock.now()) : undefined;
  }
}
