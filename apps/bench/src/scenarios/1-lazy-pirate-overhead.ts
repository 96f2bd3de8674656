/**
 * Scenario 1, Lazy Pirate overhead: `LazyPirateClient.request` round trip ÷
 * a raw zeromq.js `Request` round trip to the same raw REP echo server (its
 * own process), one request at a time from a load process. Target ≤ 1.10.
 *
 * @module
 */
import { field, launch } from "../launch.js";
import type { Scenario } from "../types.js";

export const lazyPirateOverhead: Scenario = {
  id: 1,
  name: "lazy-pirate-overhead",
  async run(ctx) {
    const [server, { proc: load }] = await Promise.all([launch(ctx, "rep-echo", ctx.paths.program("rep-echo")), launch(ctx, "lp-load", ctx.paths.program("lp-load"))]);
    const endpoint = field(server.line, "endpoint");
    const timing = { warmup: ctx.count(200, 50), duration: ctx.count(1000, 200) };
    const { baseline, subject } = await ctx.alternate(
      "round trips",
      () => load.call({ kind: "raw", endpoint, ...timing }) as Promise<{ roundTrip: number }>,
      () => load.call({ kind: "lazy", endpoint, ...timing }) as Promise<{ roundTrip: number }>,
    );
    return [
      ctx.figure({
        name: "Lazy Pirate round trip vs raw Request",
        subject: subject.roundTrip,
        baseline: baseline.roundTrip,
        unit: "µs",
        target: { op: "<=", value: 1.1 },
        notes: `requests one at a time for ${timing.duration} ms per run, mean round trip; baseline: raw zeromq.js Request to the same REP server`,
      }),
    ];
  },
};
