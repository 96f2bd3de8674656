/**
 * `npm run chaos -- --seed S --duration SECONDS [--json file]`: a
 * production-like HA Majordomo cluster of real processes under a seeded
 * fault schedule, with strict accounting of every request (see
 * `apps/stress/README.md`). Progress and the fault log go to stderr; the
 * tables and one verdict line to stdout. Exit 0 when every check holds, 1
 * otherwise, 2 on bad usage. Every child process is SIGKILLed on exit, on
 * SIGINT/SIGTERM and on a harness crash; the run has a hard deadline of
 * duration + {@link MARGIN} ms + 60 client timeouts (four rounds of a burst's
 * calls, 15 attempts each).
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { USAGE, UsageError, parseArgs } from "./chaos/args.js";
import { killAll } from "./chaos/proc.js";
import { failures, formatReport, verdict } from "./chaos/report.js";
import { runChaos } from "./chaos/run.js";

/** What the run may take beyond its duration (start, settle, probes, clients finishing, stop). */
const MARGIN = 90_000;

process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nchaos: ${signal}, killing every child process\n`);
    killAll();
    process.exit(1);
  });
}
process.on("uncaughtException", (err) => {
  process.stderr.write(`chaos: harness crash: ${err.stack ?? String(err)}\n`);
  killAll();
  process.exit(1);
});
process.on("unhandledRejection", (err) => {
  process.stderr.write(`chaos: harness crash: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  killAll();
  process.exit(1);
});

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`chaos: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}
if (!args) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const tty = process.stderr.isTTY === true;
let lastProgress = 0;
const say = (line: string): void => {
  process.stderr.write(`${tty ? "\r\x1b[K" : ""}${line}\n`);
};
const progress = (line: string): void => {
  if (tty) process.stderr.write(`\r\x1b[K${line}`);
  else if (Date.now() - lastProgress >= 5000) {
    lastProgress = Date.now();
    process.stderr.write(`${line}\n`);
  }
};

const hardDeadline = args.duration * 1000 + MARGIN + 60 * args.timeout;
const deadline = setTimeout(() => {
  process.stderr.write(`\nchaos: hard deadline (${hardDeadline / 1000} s) passed; killing every child process\n`);
  process.stdout.write(`chaos: seed ${args.seed}, ${args.duration} s: FAIL (hard deadline)\n`);
  killAll();
  process.exit(1);
}, hardDeadline);
deadline.unref();

const result = await runChaos(args, { say, progress });
clearTimeout(deadline);
if (tty) process.stderr.write("\r\x1b[K");
process.stdout.write(`${formatReport(result)}\n\n${verdict(result)}\n`);
if (args.json) writeFileSync(args.json, `${JSON.stringify({ ...result, verdict: verdict(result), pass: failures(result).length === 0 }, null, 2)}\n`);
process.exit(failures(result).length === 0 ? 0 : 1);
