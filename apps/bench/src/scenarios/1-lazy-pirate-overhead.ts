/**
 * Scenario 1, Lazy Pirate overhead: `LazyPirateClient.request` round trip ÷
 * a raw zeromq.js `Request` round trip to the same raw REP echo server (its
 * own process), one request at a time from a load process. Each run
 * interleaves the two clients in ten short slices (see `lp-load`); the
 * figure is the median of the runs. Target ≤ 1.10.
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
    const timing = { warmup: ctx.count(200, 50), duration: ctx.count(1000, 200), slices: 10 };
    const runs = await ctx.repeat("round trips, raw and Lazy Pirate interleaved", () => load.call({ endpoint, ...timing }) as Promise<{ raw: number; lazy: number }>);
    return [
      ctx.figure({
        name: "Lazy Pirate round trip vs raw Request",
        subject: runs.lazy,
        baseline: runs.raw,
        unit: "µs",
        target: { op: "<=", value: 1.1 },
        notes: `requests one at a time, ${timing.duration} ms per client per run in ${timing.slices} interleaved slices, mean round trip; baseline: raw zeromq.js Request to the same REP server`,
      }),
    ];
  },
};
