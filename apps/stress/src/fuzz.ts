#!/usr/bin/env node
/**
 * `npm run fuzz -- --count N [--seed S] [--targets a,b,...] [--json file]`:
 * sends N seeded malformed, mutated and random messages into every
 * server-side socket of every role (the real CLIs, as child processes) and
 * proves none crashes, each keeps serving legitimate traffic, logs stay
 * escaped and rate-limited and memory stays bounded. Progress on stderr, the
 * table and the verdict line on stdout; exit 0 when every check holds, 1
 * otherwise, 2 on bad usage.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { parseFuzzArgs, USAGE, UsageError } from "./fuzz/args.js";
import { installChildReaper } from "./fuzz/processes.js";
import { renderTable, renderVerdict } from "./fuzz/report.js";
import { runFuzz } from "./fuzz/run.js";

async function main(): Promise<number> {
  let args;
  try {
    args = parseFuzzArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`fuzz: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (!args) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  installChildReaper();
  // Start-up and checks take well under a minute; the fuzz itself runs at thousands of messages a second.
  const hardDeadline = 120_000 + args.count * 0.5;
  const result = await runFuzz(args, hardDeadline);
  process.stdout.write(`${renderTable(result)}\n${renderVerdict(result)}\n`);
  if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  return result.pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fuzz: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
