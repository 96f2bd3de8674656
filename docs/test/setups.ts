/**
 * The per-block setup table: what a documentation block needs to run (a peer, free ports in
 * place of its fixed ones, how it ends). Keyed by `<package>/README.md#<n>` (the n-th ts/js/sh
 * block of the file, the `packages/` or `apps/` prefix left out) or `docs/<page>.md#<n>`.
 * A block without an entry must run alone and exit 0 by itself.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BinaryStarServer } from "@zmq-reliable/binary-star";
import { nextEvent } from "@zmq-reliable/core";
import { reservePort } from "@zmq-reliable/core/testing";
import { LazyPirateServer } from "@zmq-reliable/lazy-pirate";
import { MajordomoBroker, MajordomoWorker } from "@zmq-reliable/majordomo";
import { ParanoidPirateQueue } from "@zmq-reliable/paranoid-pirate";
import * as zmq from "zeromq";

/** What a started setup gives the block's run. */
export interface Peer {
  /** Text of the block to replace before it runs (fixed endpoints → free ones). */
  replace?: Record<string, string>;
  /** Resolves when the running block has done its part (it then gets SIGTERM). */
  whileRunning?: () => Promise<void>;
  /** Stops what the setup started. */
  close?: () => Promise<void>;
}

/** One row of the table. */
export interface BlockSetup {
  /** A piece of the block's text: the row fails loudly if the block at its key moved. */
  contains: string;
  /** Starts the block's peers, or only picks its ports. */
  start?: () => Promise<Peer>;
  /** Code run after the block (to close what a long-running example leaves open). */
  epilogue?: string;
  /** Stop the block (SIGTERM, exit 0 expected) once its output matches. */
  until?: RegExp;
  /** What the block must print on stdout (trimmed), when the page says what it prints. */
  stdout?: string | RegExp;
}

/** `tcp://127.0.0.1:<free port>`. */
async function freeEndpoint(): Promise<string> {
  return `tcp://127.0.0.1:${await reservePort()}`;
}

/** Maps each of the given endpoints to a free loopback one. */
async function freeEndpoints(...fixed: string[]): Promise<Record<string, string>> {
  const replace: Record<string, string> = {};
  for (const endpoint of fixed) replace[endpoint] = await freeEndpoint();
  return replace;
}

/** A Majordomo broker with an `echo` worker, at a free endpoint that replaces `fixed`. */
async function echoBroker(fixed: string, withWorker: boolean): Promise<Peer> {
  const broker = new MajordomoBroker({ bind: "tcp://127.0.0.1:*" });
  await broker.start();
  const worker = new MajordomoWorker({ endpoint: broker.endpoint, service: "echo", handler: (body) => body });
  if (withWorker) await worker.start();
  return {
    replace: { [fixed]: broker.endpoint },
    close: async () => {
      await worker.close();
      await broker.close();
    },
  };
}

/**
 * Gives `--primary` and `--backup` lines of a pair CLI free ports (the defaults, and ports a
 * block writes out, may be taken on a shared machine).
 */
async function freePair(fixed: string[] = []): Promise<Peer> {
  const [f1, f2, s1, s2] = [await freeEndpoint(), await freeEndpoint(), await freeEndpoint(), await freeEndpoint()];
  const replace: Record<string, string> = {};
  for (const text of fixed) replace[text] = "";
  replace["--primary"] = `--primary --frontend ${f1} --local ${s1} --remote ${s2}`;
  replace["--backup"] = `--backup --frontend ${f2} --local ${s2} --remote ${s1}`;
  return { replace };
}

/** The table. */
export const SETUPS: Record<string, BlockSetup> = {
  "docs/index.md#2": { contains: "LazyPirateServer", stdout: "hello world" },
  "core/README.md#3": {
    contains: "new RequestClient(",
    start: async () => {
      const rep = new zmq.Reply({ linger: 0 });
      await rep.bind("tcp://127.0.0.1:*");
      void (async () => {
        for await (const request of rep) await rep.send(request);
      })().catch(() => undefined);
      return { replace: { "tcp://127.0.0.1:5555": rep.lastEndpoint!, "tcp://127.0.0.1:5556": await freeEndpoint() }, close: async () => rep.close() };
    },
  },
  "core/README.md#2": { contains: "new Channel(", stdout: "[ 'hello', 'world' ]" },
  "core/README.md#11": { contains: "MachineHarness", stdout: "[ 0, 1000 ]" },
  "core/README.md#9": { contains: "registerMetrics(registry", start: async () => ({ replace: { "9464": String(await reservePort()) } }), stdout: "true" },
  "core/README.md#4": { contains: "ZapAuthenticator", epilogue: "server.close(); client.close(); await zap.close();" },
  "core/README.md#6": { contains: "--allow-keys-file allowed-keys", start: async () => ({ replace: await freeEndpoints("tcp://*:5555") }), until: /^started /m },
  "core/README.md#7": { contains: "readCurveKeyPair", epilogue: "server.close(); await zap.close();" },
  "lazy-pirate/README.md#2": { contains: "LazyPirateServer", stdout: "no reply, retry 2/3\nhello world" },
  "lazy-pirate/README.md#6": {
    contains: "lpclient loop",
    start: async () => {
      const server = new LazyPirateServer({ bind: "tcp://127.0.0.1:*", handler: (request) => request });
      await server.start();
      return { replace: { "tcp://localhost:5555": server.endpoint }, close: () => server.close() };
    },
    until: /server replied OK \(3\)/,
  },
  "majordomo/README.md#2": { contains: "new MajordomoBroker(", start: async () => ({ replace: await freeEndpoints("tcp://*:5555") }) },
  "majordomo/README.md#3": {
    contains: "majordomo-broker --bind",
    start: async () => ({
      replace: { ...(await freeEndpoints("tcp://*:5555")), "ipc:///tmp/mdp.sock": `ipc://${join(tmpdir(), `zmq-reliable-docs-${process.pid}-mdp.sock`)}` },
    }),
    until: /^started /m,
  },
  "majordomo/README.md#4": { contains: "new MajordomoWorker(", start: () => echoBroker("tcp://localhost:5555", false) },
  "majordomo/README.md#6": { contains: "drainTimeout: 10_000", start: async () => ({ replace: await freeEndpoints("tcp://*:5555") }), until: /^started /m },
  "majordomo/README.md#7": { contains: "concurrency: 16", start: () => echoBroker("tcp://localhost:5555", false) },
  "majordomo/README.md#5": { contains: "new MajordomoClient(", start: () => echoBroker("tcp://localhost:5555", true), stdout: "echo has workers" },
  "paranoid-pirate/README.md#2": { contains: "ParanoidPirateQueue", stdout: /^worker ready [0-9a-f]+\n\[ 'hello world', 'and more' \]$/ },
  "paranoid-pirate/README.md#3": { contains: "paranoid-pirate-queue", start: async () => ({ replace: await freeEndpoints("tcp://*:5555", "tcp://*:5556") }), until: /^started /m },
  "paranoid-pirate/README.md#4": {
    contains: "process.on(\"SIGTERM\"",
    start: async () => {
      const queue = new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" } });
      await queue.start();
      const ready = nextEvent(queue, "ready");
      return {
        replace: { "tcp://localhost:5556": queue.endpoints.backend },
        whileRunning: async () => void (await ready),
        close: () => queue.close(),
      };
    },
  },
  "paranoid-pirate/README.md#5": {
    contains: "concurrency: 8",
    start: async () => {
      const queue = new ParanoidPirateQueue({ bind: { frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" } });
      await queue.start();
      return { replace: { "tcp://localhost:5556": queue.endpoints.backend }, close: () => queue.close() };
    },
  },
  "binary-star/README.md#2": { contains: "binary-star-server --primary", start: () => freePair(), until: /^started /m },
  "binary-star/README.md#3": {
    contains: "new BinaryStarClient(",
    start: async () => {
      const [state, peer] = [await freeEndpoint(), await freeEndpoint()];
      const primary = new BinaryStarServer({ role: "primary", bind: { frontend: "tcp://127.0.0.1:*", state }, peer });
      await primary.start();
      return { replace: { "tcp://localhost:5001": primary.endpoint, "tcp://localhost:5002": await freeEndpoint() }, close: () => primary.close() };
    },
    until: /hello 2/,
  },
  "binary-star/README.md#4": {
    contains: "new BinaryStarServer(",
    start: async () => ({ replace: await freeEndpoints("tcp://*:5001", "tcp://*:5003", "tcp://backup-host:5004") }),
    epilogue: "await primary.close();",
  },
  "binary-star/README.md#6": {
    contains: "admission: node",
    start: async () => ({ replace: await freeEndpoints("tcp://*:5001", "tcp://*:5003", "tcp://backup-host:5004") }),
    epilogue: "await broker.close(); await node.close();",
  },
  "binary-star/README.md#7": {
    contains: "ha-majordomo-broker --primary",
    start: () =>
      freePair([
        "--frontend tcp://*:5555 --local tcp://*:5003 --remote tcp://backup-host:5004",
        "--frontend tcp://*:5556 --local tcp://*:5004 --remote tcp://primary-host:5003",
      ]),
    until: /^started /m,
  },
  "ha-majordomo/README.md#2": {
    contains: "new HaMajordomoBroker(",
    start: async () => {
      const [a, b, s1, s2] = [await reservePort(), await reservePort(), await reservePort(), await reservePort()];
      return {
        replace: {
          "tcp://*:5555": `tcp://127.0.0.1:${a}`, "tcp://localhost:5555": `tcp://127.0.0.1:${a}`,
          "tcp://*:5556": `tcp://127.0.0.1:${b}`, "tcp://localhost:5556": `tcp://127.0.0.1:${b}`,
          "tcp://*:5003": `tcp://127.0.0.1:${s1}`, "tcp://localhost:5003": `tcp://127.0.0.1:${s1}`,
          "tcp://*:5004": `tcp://127.0.0.1:${s2}`, "tcp://localhost:5004": `tcp://127.0.0.1:${s2}`,
        },
      };
    },
    stdout: "[ 'hello' ]",
    epilogue: "await client.close(); await worker.close(); await backup.close(); await primary.close();",
  },
  "ha-majordomo/README.md#3": { contains: "ha-majordomo-broker --primary", start: () => freePair(), until: /^started /m },
};
