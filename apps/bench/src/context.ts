/**
 * The {@link BenchContext} a scenario runs with: its processes (killed after
 * the scenario), alternating baseline and subject runs, medians, and figures
 * with their ratio and pass/miss.
 *
 * @module
 */
import type { Progress } from "@zmq-reliable/core/testing";
import { BenchChild } from "./child.js";
import { PATHS } from "./paths.js";
import { medians } from "./stats.js";
import type { Alternated, BenchContext, BenchMode, Figure, FigureInput } from "./types.js";

/** Every run behind the medians of one `alternate` or `repeat` call, for the JSON file. */
export interface Samples {
  /** The scenario's id. */
  scenario: number;
  /** The call's label. */
  label: string;
  /** The baseline runs, in order (none for `repeat`). */
  baseline: Record<string, number>[];
  /** The subject runs, in order. */
  subject: Record<string, number>[];
}

/** A scenario's context and the clean-up the runner calls after it. */
export interface ScenarioContext {
  /** What the scenario gets. */
  ctx: BenchContext;
  /** Every run measured so far. */
  samples: Samples[];
  /** Kills every process the scenario started and still running. */
  cleanup(): Promise<void>;
}

/**
 * Completes a figure: `ratio` = subject ÷ baseline when there is a baseline,
 * `pass` from the target (held against the ratio, or against the subject
 * without a baseline).
 *
 * @param scenario - the scenario's id.
 * @param input - the figure's fields.
 */
export function completeFigure(scenario: number, input: FigureInput): Figure {
  const figure: Figure = { scenario, ...input };
  if (input.baseline !== undefined) figure.ratio = input.subject / input.baseline;
  if (input.target) {
    const value = figure.ratio ?? input.subject;
    figure.pass = Number.isFinite(value) && (input.target.op === "<=" ? value <= input.target.value : value >= input.target.value);
  }
  return figure;
}

/**
 * Builds the context of one scenario.
 *
 * @param scenario - the scenario's id and name.
 * @param mode - quick or full.
 * @param runs - alternating runs per figure.
 * @param progress - the progress line.
 */
export function scenarioContext(scenario: { id: number; name: string }, mode: BenchMode, runs: number, progress: Progress): ScenarioContext {
  const children: BenchChild[] = [];
  const samples: Samples[] = [];
  const show = (message: string) => progress.show(`[${scenario.id} ${scenario.name}] ${message}`);
  const ctx: BenchContext = {
    mode,
    runs,
    paths: PATHS,
    progress: show,
    count: (full, quick) => (mode === "full" ? full : quick),
    spawn(name, script, args = []) {
      const child = new BenchChild(name, script, args);
      children.push(child);
      return child;
    },
    async runLoad(name, script, args = [], timeout = 120_000) {
      const child = ctx.spawn(name, script, args);
      const timer = setTimeout(() => void child.kill(), timeout);
      try {
        const line = await child.waitForLine(/^result /, timeout);
        await child.exited;
        return JSON.parse(line.slice(7)) as Record<string, number>;
      } finally {
        clearTimeout(timer);
      }
    },
    async alternate<K extends string>(label: string, baseline: () => Promise<Record<K, number>>, subject: () => Promise<Record<K, number>>, count = runs): Promise<Alternated<K>> {
      const baselineRuns: Record<K, number>[] = [];
      const subjectRuns: Record<K, number>[] = [];
      for (let run = 1; run <= count; run++) {
        show(`${label}: baseline run ${run}/${count}`);
        baselineRuns.push(await baseline());
        show(`${label}: subject run ${run}/${count}`);
        subjectRuns.push(await subject());
      }
      samples.push({ scenario: scenario.id, label, baseline: baselineRuns, subject: subjectRuns });
      return { baseline: medians(baselineRuns), subject: medians(subjectRuns), baselineRuns, subjectRuns };
    },
    async repeat<K extends string>(label: string, measure: () => Promise<Record<K, number>>, count = runs): Promise<Record<K, number>> {
      const all: Record<K, number>[] = [];
      for (let run = 1; run <= count; run++) {
        show(`${label}: run ${run}/${count}`);
        all.push(await measure());
      }
      samples.push({ scenario: scenario.id, label, baseline: [], subject: all });
      return medians(all);
    },
    figure: (input) => completeFigure(scenario.id, input),
  };
  return { ctx, samples, cleanup: () => Promise.all(children.map((child) => child.kill())).then(() => undefined) };
}

/**
 * Runs `measure` over a scenario's configurations: one after the other in a
 * full run (each measured alone), all at once in a quick run (a smoke test,
 * not judged). Results in the order of `items`.
 *
 * @param ctx - the scenario's context.
 * @param items - the configurations.
 * @param measure - measures one.
 */
export async function eachConfig<T, R>(ctx: BenchContext, items: readonly T[], measure: (item: T) => Promise<R>): Promise<R[]> {
  if (ctx.mode === "quick") return Promise.all(items.map(measure));
  const results: R[] = [];
  for (const item of items) results.push(await measure(item));
  return results;
}
