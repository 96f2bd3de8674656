/**
 * The contract between the bench runner and its scenarios: what a scenario
 * gets ({@link BenchContext}) and what it returns ({@link Figure}s). A
 * scenario is a module `src/scenarios/<n>-<name>.ts` exporting a
 * {@link Scenario}, listed once in `src/scenarios/index.ts`.
 *
 * @module
 */

/** A pass/miss threshold: `ratio op value` (or `subject op value` when the figure has no baseline). */
export interface Target {
  /** `"<="`: at most `value` passes; `">="`: at least `value` passes. */
  op: "<=" | ">=";
  /** The threshold. */
  value: number;
}

/** One measured figure: a row of the table and an entry of the JSON file. */
export interface Figure {
  /** The scenario's id (1–7). */
  scenario: number;
  /** What was measured, e.g. `"MDP broker throughput, 4 workers"`. */
  name: string;
  /** The median value of the subject (the code under test), in `unit`. */
  subject: number;
  /** The median value of the baseline measured in the same run, in `unit`. */
  baseline?: number;
  /** The unit of `subject` and `baseline`, e.g. `"req/s"`, `"ms"`, `"MB"`, `"%"`. */
  unit: string;
  /** `subject / baseline` when there is a baseline. */
  ratio?: number;
  /** The threshold `ratio` (or `subject` without a baseline) is held to; none for a figure only reported. */
  target?: Target;
  /** Whether the target was met; absent without a target. */
  pass?: boolean;
  /** Anything a reader needs to interpret the figure (runs, counts, what the baseline is). */
  notes?: string;
}

/** How much a run measures: `"full"` (the judged figures) or `"quick"` (a smoke test: tiny counts, one run each). */
export type BenchMode = "quick" | "full";

/** A stream of a child process. */
export type Stream = "stdout" | "stderr";

/** A child process started by {@link BenchContext.spawn}; killed by the runner after the scenario at the latest. */
export interface BenchProcess {
  /** A short name for messages. */
  readonly name: string;
  /** The process id. */
  readonly pid: number;
  /** Whether it still runs. */
  readonly running: boolean;
  /** Resolves with the exit code, or the signal's name, once the process is gone. */
  readonly exited: Promise<number | string>;
  /**
   * Resolves with the first line on `stream` matching `pattern` (among the
   * recent lines already seen, or to come); rejects after `timeout` ms or when
   * the process exits first.
   *
   * @param pattern - what to wait for.
   * @param timeout - the deadline in ms (default 10,000).
   * @param stream - where to look (default `"stdout"`).
   */
  waitForLine(pattern: RegExp, timeout?: number, stream?: Stream): Promise<string>;
  /**
   * Calls `listener` with every line from now on, on either stream.
   *
   * @param listener - gets the line (without its newline) and the stream.
   */
  onLine(listener: (line: string, stream: Stream) => void): void;
  /**
   * Writes one line to the process's stdin.
   *
   * @param line - the line, without a newline.
   */
  send(line: string): void;
  /**
   * SIGTERM, then SIGKILL after `timeout` ms; resolves with how it ended.
   *
   * @param timeout - ms to wait after SIGTERM (default 3,000).
   */
  stop(timeout?: number): Promise<number | string>;
  /** SIGKILLs the process (if it still runs) and waits for it. */
  kill(): Promise<void>;
  /**
   * Sends a command to a long-lived bench program (one JSON line on stdin)
   * and resolves with its answer, the next stdout line `result <json object
   * of numbers>`; rejects on a line `error <message>`, after `timeout` ms, or
   * when the process exits first. Programs answer through
   * `src/programs/command-loop.ts`.
   *
   * @param command - the command, e.g. `{ cmd: "run", duration: 1000 }`.
   * @param timeout - the deadline in ms (default 120,000).
   */
  call(command: Record<string, unknown>, timeout?: number): Promise<Record<string, number>>;
}

/** The medians of alternating baseline and subject runs. */
export interface Alternated<K extends string> {
  /** The median of each baseline value. */
  baseline: Record<K, number>;
  /** The median of each subject value. */
  subject: Record<K, number>;
  /** Every baseline run, in order. */
  baselineRuns: Record<K, number>[];
  /** Every subject run, in order. */
  subjectRuns: Record<K, number>[];
}

/** The input of {@link BenchContext.figure}: a figure without `ratio` and `pass`, which it computes. */
export type FigureInput = Omit<Figure, "scenario" | "ratio" | "pass">;

/** The absolute paths of the programs a scenario runs (built `dist` files: `npm run bench` builds first). */
export interface BenchPaths {
  /** The real CLIs of the packages: `majordomo-broker`, `paranoid-pirate-queue`, `binary-star-server`, `ha-majordomo-broker`. */
  readonly cli: {
    /** `majordomo-broker` (`packages/majordomo/dist/cli.js`). */
    readonly majordomoBroker: string;
    /** `paranoid-pirate-queue` (`packages/paranoid-pirate/dist/cli.js`). */
    readonly paranoidPirateQueue: string;
    /** `binary-star-server` (`packages/binary-star/dist/cli.js`). */
    readonly binaryStarServer: string;
    /** `ha-majordomo-broker` (`packages/ha-majordomo/dist/cli.js`). */
    readonly haMajordomoBroker: string;
  };
  /**
   * The built bench program `apps/bench/dist/programs/<name>.js` (its source
   * is `apps/bench/src/programs/<name>.ts`).
   *
   * @param name - the program's file name without extension.
   */
  program(name: string): string;
}

/** What a scenario gets from the runner. */
export interface BenchContext {
  /** `"full"` or `"quick"`. */
  readonly mode: BenchMode;
  /** Alternating runs per figure: at least 5 in a full run, 1 in a quick one. */
  readonly runs: number;
  /** Where the programs are. */
  readonly paths: BenchPaths;
  /**
   * Shows `message` on the progress line (stderr, overwritten on a terminal).
   *
   * @param message - what is going on now.
   */
  progress(message: string): void;
  /**
   * Picks a count by mode.
   *
   * @param full - the count in a full run.
   * @param quick - the count in a quick run.
   */
  count(full: number, quick: number): number;
  /**
   * Starts `node script ...args`, its output read line by line; the runner
   * kills it after the scenario if it still runs.
   *
   * @param name - a short name for messages.
   * @param script - the JavaScript file (e.g. from {@link BenchContext.paths}).
   * @param args - its arguments.
   */
  spawn(name: string, script: string, args?: readonly string[]): BenchProcess;
  /**
   * Runs a load program to its end and returns its result: the program
   * prints one line `result <json object of numbers>` on stdout, then exits.
   *
   * @param name - a short name for messages.
   * @param script - the JavaScript file.
   * @param args - its arguments.
   * @param timeout - ms before it is killed and the call rejects (default 120,000).
   */
  runLoad(name: string, script: string, args?: readonly string[], timeout?: number): Promise<Record<string, number>>;
  /**
   * Runs `baseline`, `subject`, `baseline`, `subject`, … `runs` times each
   * (default {@link BenchContext.runs}) and returns the median of each value.
   *
   * @param label - for the progress line.
   * @param baseline - one baseline run: its values by name.
   * @param subject - one subject run: the same names.
   * @param runs - runs of each (default {@link BenchContext.runs}).
   */
  alternate<K extends string>(label: string, baseline: () => Promise<Record<K, number>>, subject: () => Promise<Record<K, number>>, runs?: number): Promise<Alternated<K>>;
  /**
   * Runs `measure` `runs` times (default {@link BenchContext.runs}) and
   * returns the median of each value (for a figure without a baseline).
   *
   * @param label - for the progress line.
   * @param measure - one run: its values by name.
   * @param runs - runs (default {@link BenchContext.runs}).
   */
  repeat<K extends string>(label: string, measure: () => Promise<Record<K, number>>, runs?: number): Promise<Record<K, number>>;
  /**
   * Completes a figure of the current scenario: `ratio` = subject ÷ baseline
   * when there is a baseline, `pass` from the target.
   *
   * @param input - the figure's fields.
   */
  figure(input: FigureInput): Figure;
}

/** One benchmark scenario: a module `src/scenarios/<n>-<name>.ts` exporting it, listed in `src/scenarios/index.ts`. */
export interface Scenario {
  /** Its number in issue 12 (1–7). */
  id: number;
  /** A short name, e.g. `"lazy-pirate-overhead"`. */
  name: string;
  /**
   * Measures and returns the scenario's figures (every figure it has, in a
   * quick run too). Throwing is a crash of the scenario, reported as such.
   *
   * @param ctx - the run's context.
   */
  run(ctx: BenchContext): Promise<Figure[]>;
}
