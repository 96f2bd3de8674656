#!/usr/bin/env node
/**
 * Entry point of every demo role process: `main.js <role> --name <n> [--key value …]`.
 * Each role reports JSON lines on stdout (see report.ts) and stops on a `stop` line.
 */
import { bstarClient, bstarServer } from "./binary-star.js";
import { roleArgs } from "./common.js";
import { haBroker, mdpBroker, mdpClient, mdpWorker } from "./majordomo.js";
import { lpClient, lpServer, ppQueue, ppWorker } from "./pirates.js";

const roles: Record<string, (name: string, args: Record<string, string>) => Promise<void>> = {
  "ha-broker": haBroker,
  "mdp-broker": mdpBroker,
  "mdp-worker": mdpWorker,
  "mdp-client": mdpClient,
  "lp-server": lpServer,
  "lp-client": lpClient,
  "pp-queue": ppQueue,
  "pp-worker": ppWorker,
  "bstar-server": bstarServer,
  "bstar-client": bstarClient,
};

const [role, ...rest] = process.argv.slice(2);
const args = roleArgs(rest);
const run = role ? roles[role] : undefined;
if (!run) {
  process.stderr.write(`unknown role ${role}; one of ${Object.keys(roles).join(", ")}\n`);
  process.exit(2);
}
run(args.name ?? role!, args).catch((err: unknown) => {
  process.stderr.write(`${role}: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
