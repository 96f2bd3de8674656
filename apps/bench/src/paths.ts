/**
 * Where the programs the benchmarks run are: the packages' real CLIs and the
 * bench's own programs, as built (`npm run bench` builds first).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { BenchPaths } from "./types.js";

const root = new URL("../../../", import.meta.url);
const path = (file: string): string => fileURLToPath(new URL(file, root));

/** The programs of this build. */
export const PATHS: BenchPaths = {
  cli: {
    majordomoBroker: path("packages/majordomo/dist/cli.js"),
    paranoidPirateQueue: path("packages/paranoid-pirate/dist/cli.js"),
    binaryStarServer: path("packages/binary-star/dist/cli.js"),
    haMajordomoBroker: path("packages/ha-majordomo/dist/cli.js"),
  },
  program: (name) => fileURLToPath(new URL(`./programs/${name}.js`, import.meta.url)),
};

/** The repository's root folder. */
export const ROOT = fileURLToPath(root);
