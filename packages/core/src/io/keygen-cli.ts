#!/usr/bin/env node
/**
 * `zmq-reliable-keygen`: writes a new CURVE key pair as two CZMQ
 * certificates, `<name>_secret` (mode 0600; give it to `--curve-secret-file`)
 * and `<name>` (the public certificate, for clients, peers and
 * `--allow-keys-file`), on core's CLI runner. Refuses to overwrite either
 * file unless `--force`. Prints `public-key=<z85> secret-file=<path>
 * public-file=<path>` on stdout; exit 0, 1 when a file cannot be written
 * (or exists), 2 on bad usage.
 *
 * @module
 */
import { UsageError } from "../pure/cli-flags.js";
import { curveKeyPair } from "../security/curve.js";
import { type CurveCertFiles, writeCurveKeyPair } from "../security/key-files.js";
import { runCli } from "./cli.js";

/** The one-shot role: `start()` writes the files. */
class Keygen {
  readonly keys = curveKeyPair();
  files: CurveCertFiles | undefined;

  constructor(
    private readonly name: string,
    private readonly force: boolean,
  ) {}

  start(): Promise<void> {
    this.files = writeCurveKeyPair(this.name, this.keys, { force: this.force });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

void runCli({
  name: "zmq-reliable-keygen",
  usage: "--name <path> [--force]",
  summary: `Writes a new CURVE key pair as two certificate files in CZMQ's format: <path>_secret (mode 0600:
this server's --curve-secret-file) and <path> (the public certificate: give it to clients, to the pair's
peer as --curve-peer-key, and list it in a server's --allow-keys-file).`,
  flags: {
    name: { type: "string", placeholder: "path", help: "the public certificate's path; the secret one adds _secret" },
    force: { type: "boolean", help: "overwrite existing files" },
  },
  epilog: `Output: "public-key=<z85> secret-file=<path> public-file=<path>".
Exit status: 0 when written, 1 when a file exists (without --force) or cannot be written, 2 on bad usage.`,
  once: true,
  check: (v) => {
    if (v.name === undefined || v.name === "") throw new UsageError("--name is required (where to write the certificates)");
  },
  create: (v) => new Keygen(v.name!, v.force),
  started: (keygen) => ({ "public-key": keygen.keys.publicKey, "secret-file": keygen.files?.secretFile, "public-file": keygen.files?.publicFile }),
});
