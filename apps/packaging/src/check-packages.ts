/**
 * `npm run check-packages`: packs every published package and runs publint
 * (warnings as errors) and arethetypeswrong (ESM-only profile) on each
 * tarball, as npm would publish it. Prints one line per package and check;
 * exits 1 when any check fails. Needs `npm run build` first.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packAll, ROOT, run } from "./workspace.js";

const BIN = join(ROOT, "node_modules", ".bin");

/** The checks run on each tarball: name → command line. */
const CHECKS: Record<string, (tarball: string) => [string, string[]]> = {
  publint: (t) => [join(BIN, "publint"), ["run", t, "--strict"]],
  attw: (t) => [join(BIN, "attw"), [t, "--profile", "esm-only", "--format", "table", "--no-color", "--no-emoji"]],
};

const dest = mkdtempSync(join(tmpdir(), "zmq-reliable-check-"));
let failed = 0;
try {
  const tarballs = await packAll(dest);
  // Two at a time: the machine has two cores.
  const jobs = [...tarballs].flatMap(([name, tarball]) => Object.entries(CHECKS).map(([check, line]) => ({ name, check, line: line(tarball) })));
  const next = async (): Promise<void> => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const started = Date.now();
      try {
        await run(...job.line);
        console.log(`ok   ${job.check} ${job.name} (${Date.now() - started} ms)`);
      } catch (error) {
        failed++;
        console.log(`FAIL ${job.check} ${job.name}\n${(error as Error).message}`);
      }
    }
  };
  await Promise.all([next(), next()]);
  console.log(`check-packages: ${tarballs.size} packages, ${failed === 0 ? "all clean" : `${failed} check(s) failed`}`);
} finally {
  rmSync(dest, { recursive: true, force: true });
}
process.exitCode = failed === 0 ? 0 : 1;
