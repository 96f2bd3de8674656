/**
 * The command-line programs the harnesses attack, as built in this
 * repository (`npm run build` first).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const root = new URL("../../../", import.meta.url);
const path = (file: string): string => fileURLToPath(new URL(file, root));

/** Absolute paths of the CLIs under test (their built `dist/cli.js`). */
export const CLIS = {
  /** `paranoid-pirate-queue`. */
  paranoidPirateQueue: path("packages/paranoid-pirate/dist/cli.js"),
  /** `majordomo-broker`. */
  majordomoBroker: path("packages/majordomo/dist/cli.js"),
  /** `binary-star-server`. */
  binaryStarServer: path("packages/binary-star/dist/cli.js"),
  /** `ha-majordomo-broker`. */
  haMajordomoBroker: path("packages/ha-majordomo/dist/cli.js"),
} as const;
