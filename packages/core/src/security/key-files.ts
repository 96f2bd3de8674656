/**
 * CURVE key files: read a key pair, a public key or an allow-list from
 * CZMQ-format certificate files (see `pure/curve-cert.ts`), and write a new
 * pair. Every failure is an {@link InvalidOptionError} naming the file and
 * what is wrong (missing, unreadable, malformed at line N, wrong length,
 * public/secret mismatch); no message ever contains a secret key.
 *
 * @module
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type CurveCert, formatCurveCert, isCurveKey, parseAllowList, parseCurveCert } from "../pure/curve-cert.js";
import { InvalidOptionError } from "../pure/errors.js";
import { type CurveKeyPair, curvePublicKey } from "./curve.js";

/** Reads a file as text; the error says why it cannot be (missing, a directory, permission denied). */
function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" || code === "EPERM" ? "cannot be read (permission denied)" : code === "EISDIR" ? "is a directory" : `cannot be read (${String(code ?? (err as Error).message)})`;
    throw new InvalidOptionError(`${path}: ${why}`);
  }
}

/**
 * Reads a certificate file.
 *
 * @param path - the file.
 * @throws {@link InvalidOptionError} naming the file.
 */
export function readCurveCert(path: string): CurveCert {
  return parseCurveCert(readText(path), path);
}

/**
 * Reads a secret certificate (`<name>_secret`) and checks that its public
 * key is the one its secret key gives.
 *
 * @param path - the secret certificate.
 * @throws {@link InvalidOptionError} naming the file: missing, unreadable, malformed, no secret key, mismatch.
 */
export function readCurveKeyPair(path: string): CurveKeyPair {
  const cert = readCurveCert(path);
  if (cert.secretKey === undefined) throw new InvalidOptionError(`${path}: no secret-key (a public certificate; give the <name>_secret file)`);
  let derived: string;
  try {
    derived = curvePublicKey(cert.secretKey);
  } catch {
    throw new InvalidOptionError(`${path}: secret-key is not a valid CURVE key`);
  }
  if (derived !== cert.publicKey) throw new InvalidOptionError(`${path}: public-key does not match secret-key (public/secret mismatch)`);
  return { publicKey: cert.publicKey, secretKey: cert.secretKey };
}

/**
 * A public key given as 40 characters of Z85, or as the path of a
 * certificate file (public or secret; only its public key is taken).
 *
 * @param keyOrPath - the key or the path.
 * @throws {@link InvalidOptionError} naming the file.
 */
export function readCurvePublicKey(keyOrPath: string): string {
  if (isCurveKey(keyOrPath)) return keyOrPath;
  if (!existsSync(keyOrPath)) throw new InvalidOptionError(`${keyOrPath}: neither a key (40 characters of Z85) nor an existing certificate file`);
  return readCurveCert(keyOrPath).publicKey;
}

/**
 * Reads an allow-list file: one client public key per line, as Z85 or as
 * the path of a certificate file (relative paths are relative to the list's
 * folder), `#` comments. Duplicates are kept once.
 *
 * @param path - the list.
 * @throws {@link InvalidOptionError} naming the list, the line and, for a certificate, its file.
 */
export function readAllowKeys(path: string): string[] {
  const keys = new Set<string>();
  for (const entry of parseAllowList(readText(path))) {
    if ("key" in entry) {
      keys.add(entry.key);
      continue;
    }
    const file = resolve(dirname(path), entry.path);
    if (!existsSync(file)) throw new InvalidOptionError(`${path}: line ${entry.line}: neither a key (40 characters of Z85) nor an existing certificate file`);
    try {
      keys.add(readCurveCert(file).publicKey);
    } catch (err) {
      throw new InvalidOptionError(`${path}: line ${entry.line}: ${(err as Error).message}`);
    }
  }
  return [...keys];
}

/** Where {@link writeCurveKeyPair} wrote a pair. */
export interface CurveCertFiles {
  /** The secret certificate, `<name>_secret`, mode 0600. */
  secretFile: string;
  /** The public certificate, `<name>`. */
  publicFile: string;
}

/**
 * Writes a key pair as two CZMQ certificates: `<name>_secret` (mode 0600)
 * and `<name>` (public). Refuses to overwrite either unless `force`.
 *
 * @param name - the public certificate's path; the secret one adds `_secret`.
 * @param keys - the pair.
 * @param options - `force`: overwrite existing files; `date`: for the header (default now).
 * @throws {@link InvalidOptionError} when a file exists and `force` is not set.
 */
export function writeCurveKeyPair(name: string, keys: CurveKeyPair, options: { force?: boolean; date?: Date } = {}): CurveCertFiles {
  const files: CurveCertFiles = { secretFile: `${name}_secret`, publicFile: name };
  const date = options.date ?? new Date();
  if (!options.force) {
    for (const file of [files.secretFile, files.publicFile]) {
      if (existsSync(file)) throw new InvalidOptionError(`${file} exists; give --force to overwrite it`);
    }
  }
  const flag = options.force ? "w" : "wx";
  writeFileSync(files.secretFile, formatCurveCert(keys, date), { mode: 0o600, flag });
  chmodSync(files.secretFile, 0o600); // an overwritten file keeps its old mode otherwise
  writeFileSync(files.publicFile, formatCurveCert({ publicKey: keys.publicKey }, date), { mode: 0o644, flag });
  return files;
}
