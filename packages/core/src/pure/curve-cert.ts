/**
 * CURVE certificate files in CZMQ's format (ZPL, ZeroMQ RFC 4), pure: parse
 * and write the text, validate keys. No file system here (core's
 * `security/key-files.ts` reads and writes the files).
 *
 * A secret certificate (`<name>_secret`):
 *
 * ```
 * #   ****  Generated on 2026-11-30 by zmq-reliable  ****
 * #   ZeroMQ CURVE **Secret** Certificate
 * #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.
 *
 * metadata
 * curve
 *     public-key = "<40 characters of Z85>"
 *     secret-key = "<40 characters of Z85>"
 * ```
 *
 * The public certificate (`<name>`) has only `public-key`. Error messages
 * name the file and what is wrong, never a key's text.
 *
 * @module
 */
import { InvalidOptionError } from "./errors.js";
import { z85Decode } from "./z85.js";

/** The length of a CURVE key in Z85: 32 bytes. */
export const CURVE_KEY_LENGTH = 40;

/** A parsed certificate: its public key, its secret key if it is a secret certificate, and its metadata. */
export interface CurveCert {
  /** The public key (Z85). */
  publicKey: string;
  /** The secret key (Z85), in a secret certificate only. */
  secretKey?: string;
  /** The `metadata` section's `name = value` pairs. */
  metadata: Record<string, string>;
}

/**
 * Checks one Z85 key: 40 characters that decode to 32 bytes. The message
 * says what is wrong (length, a bad character) without echoing the key.
 *
 * @param key - the key text.
 * @param what - what the key is, for the message (e.g. `file server_secret: secret-key`).
 * @returns the key.
 * @throws {@link InvalidOptionError} `<what> must be 40 characters of Z85, got …`.
 */
export function checkCurveKey(key: string, what: string): string {
  if (key.length !== CURVE_KEY_LENGTH) throw new InvalidOptionError(`${what} must be ${CURVE_KEY_LENGTH} characters of Z85, got ${key.length} characters`);
  try {
    z85Decode(key);
  } catch {
    throw new InvalidOptionError(`${what} must be ${CURVE_KEY_LENGTH} characters of Z85, got a character outside Z85`);
  }
  return key;
}

/**
 * Whether `text` is a key (40 characters of Z85) rather than, say, the path of a certificate file.
 *
 * @param text - a key or a path.
 */
export function isCurveKey(text: string): boolean {
  if (text.length !== CURVE_KEY_LENGTH) return false;
  try {
    z85Decode(text);
    return true;
  } catch {
    return false;
  }
}

const LINE = /^( *)([A-Za-z0-9$\-_@.&+/]+)(?: *= *(.*))?$/;

/** The value of a ZPL `name = value` line: quoted (`"…"`, `'…'`) or bare (up to a `#` comment). */
function zplValue(raw: string): string | undefined {
  const text = raw.trim();
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, 1);
    if (end < 0) return undefined;
    const rest = text.slice(end + 1).trim();
    return rest === "" || rest.startsWith("#") ? text.slice(1, end) : undefined;
  }
  const hash = text.search(/\s#/); // Z85 has "#": a comment starts after a blank
  return (hash < 0 ? text : text.slice(0, hash)).trim();
}

/**
 * Parses a certificate's text. Tolerant of comments, blank lines, tabs and
 * indentation widths, quoted or bare values; strict about the keys: a
 * `curve` section with a `public-key` of 40 characters of Z85, and a
 * `secret-key` of the same form if there is one.
 *
 * @param text - the file's contents.
 * @param source - the file's name, for messages.
 * @throws {@link InvalidOptionError} naming `source` and the line or key at fault.
 */
export function parseCurveCert(text: string, source: string): CurveCert {
  let section = "";
  const values: Record<string, Record<string, string>> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\t/g, "    ").replace(/\s+$/, "");
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const m = LINE.exec(line);
    const value = m?.[3] === undefined ? undefined : zplValue(m[3]);
    if (!m || (m[3] !== undefined && value === undefined)) throw new InvalidOptionError(`${source}: malformed at line ${i + 1} (expected "name" or "name = value")`);
    const indented = m[1]!.length > 0;
    if (!indented) section = m[2]!;
    if (value === undefined) continue; // a section (or a sub-section) name
    const owner = indented ? section : "";
    (values[owner] ??= {})[m[2]!] = value;
  }
  const curve = values.curve ?? {};
  const publicKey = curve["public-key"];
  if (publicKey === undefined) throw new InvalidOptionError(`${source}: no public-key in a curve section (not a CURVE certificate)`);
  checkCurveKey(publicKey, `${source}: public-key`);
  const cert: CurveCert = { publicKey, metadata: { ...values.metadata } };
  const secretKey = curve["secret-key"];
  if (secretKey !== undefined) cert.secretKey = checkCurveKey(secretKey, `${source}: secret-key`);
  return cert;
}

/**
 * The text of a certificate file in CZMQ's layout: the secret certificate
 * when `keys.secretKey` is given, the public one otherwise.
 *
 * @param keys - the public key and, for the secret certificate, the secret key.
 * @param date - the generation date written in the header (`YYYY-MM-DD`).
 */
export function formatCurveCert(keys: { publicKey: string; secretKey?: string }, date: Date): string {
  const header =
    keys.secretKey === undefined
      ? [
          "#   ZeroMQ CURVE Public Certificate",
          "#   Exchange securely, or use a secure mechanism to verify the contents",
          "#   of this file after exchange. Store public certificates in your home",
          "#   directory, in the .curve subdirectory.",
        ]
      : ["#   ZeroMQ CURVE **Secret** Certificate", "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."];
  const body = [`    public-key = "${keys.publicKey}"`, ...(keys.secretKey === undefined ? [] : [`    secret-key = "${keys.secretKey}"`])];
  return [`#   ****  Generated on ${date.toISOString().slice(0, 10)} by zmq-reliable  ****`, ...header, "", "metadata", "curve", ...body, ""].join("\n");
}

/** One entry of an allow-list file: a Z85 key given inline, or the path of a public certificate to read. */
export type AllowListEntry =
  | {
      /** The line number (from 1). */
      readonly line: number;
      /** The key, 40 characters of Z85. */
      readonly key: string;
    }
  | {
      /** The line number (from 1). */
      readonly line: number;
      /** The certificate's path, as written (relative to the list's folder). */
      readonly path: string;
    };

/**
 * Parses an allow-list file: one client public key per line, as 40
 * characters of Z85 or as the path of a certificate file; blank lines and
 * `#` comments (whole lines or after the entry) are skipped.
 *
 * A line of 40 characters that decode as Z85 is a key, anything else a
 * path (write a path of exactly 40 Z85 characters another way).
 *
 * @param text - the file's contents.
 */
export function parseAllowList(text: string): AllowListEntry[] {
  const entries: AllowListEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.search(/(^|\s)#/);
    const entry = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (entry === "") continue;
    const quoted = /^"(.*)"$/.exec(entry)?.[1] ?? entry;
    entries.push(isCurveKey(quoted) ? { line: i + 1, key: quoted } : { line: i + 1, path: quoted });
  }
  return entries;
}
