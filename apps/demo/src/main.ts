#!/usr/bin/env node
import { setTimeout as delay } from "node:timers/promises";
import { Cluster } from "./cluster.js";
import { seededRandom } from "@zmq-reliable/core";
import { parseOptions, USAGE, UsageError } from "./options.js";
import type { ScenarioContext } from "./scenario.js";
import { scenarios } from "./scenarios/index.js";
import { notifyWaiters } from "./story-wait.js";
import { Tally } from "./tally.js";
import { Timeline } from "./timeline.js";

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const scenario = scenarios[options.scenario];
  const tally = new Tally();
  // The status closure runs from the first tick on, after `ctx` is initialised.
  const timeline = new Timeline(tally, options.json ? undefined : process.stdout, () => scenario.status(ctx));
  const cluster = new Cluster((event) => {
    const story = tally.add(event);
    if (story) timeline.event(story);
    notifyWaiters(event);
  });
  const ctx: ScenarioContext = {
    cluster,
    tally,
    options,
    random: seededRandom(options.seed),
    say: (text, kind = "info") => timeline.event(tally.story(text, kind)),
    wait: (ms) => delay(ms),
    kill: async (name, why, { measureGap = true } = {}) => {
      if (measureGap) tally.markFault();
      timeline.event(tally.story(`killing ${name} (SIGKILL): ${why}`, "fault"));
      await cluster.kill(name);
    },
  };

  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    timeline.line("interrupted: shutting down");
    void cluster.shutdown(1000);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  timeline.line(`zmq-reliable demo: ${scenario.title} (${options.duration / 1000} s, seed ${options.seed})`);
  const ticker = setInterval(() => timeline.tick(), 1000);
  try {
    await scenario.run(ctx);
    ctx.say("stopping clients (each finishes the request in hand)");
    await Promise.all(scenario.clients(ctx).map((name) => cluster.stop(name, 15_000)));
  } catch (err) {
    ctx.say(`scenario error: ${(err as Error).message}`, "fault");
  } finally {
    clearInterval(ticker);
    ctx.say("shutting down every process");
    await cluster.shutdown();
  }
  const summary = tally.summary(options.scenario, options.seed, cluster.leftRunning());
  if (interrupted) summary.ok = false;
  if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else timeline.summary(summary);
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
