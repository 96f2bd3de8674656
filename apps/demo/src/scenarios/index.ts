import type { ScenarioName } from "../options.js";
import type { Scenario } from "../scenario.js";
import { haMajordomo } from "./ha-majordomo.js";
import { lazyPirate, paranoidPirate } from "./pirates.js";
import { binaryStar, majordomo } from "./single.js";

/** Every scenario, by the name `--scenario` takes. */
export const scenarios: Record<ScenarioName, Scenario> = {
  "ha-majordomo": haMajordomo,
  "lazy-pirate": lazyPirate,
  "paranoid-pirate": paranoidPirate,
  majordomo,
  "binary-star": binaryStar,
};
