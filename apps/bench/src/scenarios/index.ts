/**
 * Every benchmark scenario, in the order they run. A new scenario is a module
 * `<n>-<name>.ts` exporting a `Scenario`, added here.
 *
 * @module
 */
import type { Scenario } from "../types.js";
import { lazyPirateOverhead } from "./1-lazy-pirate-overhead.js";

/** The scenarios, by id. */
export const SCENARIOS: readonly Scenario[] = [lazyPirateOverhead];
