/**
 * Every benchmark scenario, in the order they run. A new scenario is a module
 * `<n>-<name>.ts` exporting a `Scenario`, added here.
 *
 * @module
 */
import type { Scenario } from "../types.js";
import { lazyPirateOverhead } from "./1-lazy-pirate-overhead.js";
import { pppThroughput } from "./2-ppp-throughput.js";
import { mdpThroughput } from "./3-mdp-throughput.js";
import { scale } from "./4-scale.js";
import { failover } from "./5-failover.js";
import { deadWorker } from "./6-dead-worker.js";
import { concurrency } from "./7-concurrency.js";

/** The scenarios, by id. */
export const SCENARIOS: readonly Scenario[] = [lazyPirateOverhead, pppThroughput, mdpThroughput, scale, failover, deadWorker, concurrency];
