import { nextStoryEvent } from "../story-wait.js";
import type { ScenarioContext } from "../scenario.js";

/** Waits until process `name` reports `state`. */
export async function waitForState(ctx: ScenarioContext, name: string, state: string, timeout = 15_000): Promise<void> {
  if (ctx.tally.stateOf(name) === state) return;
  await nextStoryEvent((e) => e.kind === "state" && e.name === name && e.state === state, timeout);
}

/**
 * Picks a worker (seeded), makes its next request hang, and kills it as soon as
 * it has taken that request: its request must still be answered (by another
 * worker, through the broker's re-dispatch or the client's retry).
 */
export async function killWorkerMidRequest(ctx: ScenarioContext, role: string): Promise<void> {
  const workers = ctx.cluster.running(role);
  const victim = workers[Math.floor(ctx.random() * workers.length)]!;
  ctx.say(`${victim} will hang on its next request`);
  const taken = nextStoryEvent((e) => e.kind === "work" && e.name === victim && e.phase === "start", 15_000);
  ctx.cluster.get(victim)?.child.send("slow");
  await taken;
  await ctx.kill(victim, "a worker dies holding a request", { measureGap: false });
}
