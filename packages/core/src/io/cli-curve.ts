/**
 * CURVE for the bins: the key files named by {@link CURVE_FLAGS} (and
 * {@link CURVE_PEER_FLAGS}) read into keys, the ZAP allow-list those keys
 * call for, and the check for endpoints bound beyond loopback without CURVE.
 * Core's CLI runner uses them; a bin only spreads the flags and passes
 * `context.curve` to its role.
 *
 * @module
 */
import type { CURVE_FLAGS, CURVE_PEER_FLAGS } from "../pure/cli-flags.js";
import { UsageError } from "../pure/cli-flags.js";
import type { Logger } from "../pure/logger.js";
import { type CurveKeyPair, type CurveServerOptions, PEER_ZAP_DOMAIN } from "../security/curve.js";
import { readAllowKeys, readCurveKeyPair, readCurvePublicKey } from "../security/key-files.js";
import { ZapAuthenticator } from "../security/zap.js";

/** The CURVE settings a bin's flags gave, handed to its `create` as `context.curve`. */
export interface CliCurve {
  /** This server's key pair (`--curve-secret-file`). */
  readonly keys: CurveKeyPair;
  /** The options for every socket the role binds: `{ secretKey }`. */
  readonly server: CurveServerOptions;
  /** The peer's public key (`--curve-peer-key`), on pair bins. */
  readonly peerKey?: string;
  /** The client keys admitted (`--allow-keys-file`); absent: any CURVE client (still encrypted). */
  readonly allow?: readonly string[];
}

/** The flag values {@link loadCliCurve} reads. */
export type CurveFlagValues = { readonly [K in keyof typeof CURVE_FLAGS | keyof typeof CURVE_PEER_FLAGS]?: string | undefined };

/** Runs `read`, prefixing its error with the flag (`--curve-secret-file: server_secret: no such file`). */
function fromFlag<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
}

/**
 * Reads the key files the CURVE flags name. Without `--curve-secret-file`
 * CURVE is off (`undefined`), and `--allow-keys-file` or `--curve-peer-key`
 * alone is bad usage. On a bin with `--curve-peer-key` (a pair), CURVE
 * needs it.
 *
 * @param values - the parsed flags.
 * @param peer - whether the bin declares `--curve-peer-key`.
 * @throws {@link UsageError} naming the flag and the file: missing, unreadable, malformed, mismatched.
 */
export function loadCliCurve(values: CurveFlagValues, peer: boolean): CliCurve | undefined {
  const secretFile = values["curve-secret-file"];
  const allowFile = values["allow-keys-file"];
  const peerKey = values["curve-peer-key"];
  if (secretFile === undefined) {
    if (allowFile !== undefined) throw new UsageError("--allow-keys-file needs --curve-secret-file (the allow-list admits CURVE clients)");
    if (peerKey !== undefined) throw new UsageError("--curve-peer-key needs --curve-secret-file (this node's own key pair)");
    return undefined;
  }
  const keys = fromFlag("curve-secret-file", () => readCurveKeyPair(secretFile));
  if (peer && peerKey === undefined) throw new UsageError("--curve-secret-file needs --curve-peer-key on a pair (the peer's public key, for the state link)");
  return {
    keys,
    server: { secretKey: keys.secretKey },
    ...(peerKey !== undefined ? { peerKey: fromFlag("curve-peer-key", () => readCurvePublicKey(peerKey)) } : {}),
    ...(allowFile !== undefined ? { allow: fromFlag("allow-keys-file", () => readAllowKeys(allowFile)) } : {}),
  };
}

/**
 * The ZAP handler a bin's CURVE settings need, or `undefined` when libzmq's
 * default (any CURVE client) is what was asked for: clients are checked
 * against `allow` when given (any CURVE key otherwise), and sockets of the
 * {@link PEER_ZAP_DOMAIN} admit only `peerKey`.
 *
 * @param curve - the settings.
 * @param logger - where denials are logged (once per key).
 */
export function cliZapAuthenticator(curve: CliCurve, logger: Logger): ZapAuthenticator | undefined {
  if (curve.allow === undefined && curve.peerKey === undefined) return undefined;
  return new ZapAuthenticator({
    allow: curve.allow ?? [],
    allowAnyCurve: curve.allow === undefined,
    domains: curve.peerKey === undefined ? {} : { [PEER_ZAP_DOMAIN]: [curve.peerKey] },
    logger,
  });
}

/**
 * The TCP endpoints of `endpoints` that other hosts can reach: every one
 * whose host is not a loopback address (`127.x.x.x`, `::1`, `localhost`).
 * `ipc://` and `inproc://` endpoints are local.
 *
 * @param endpoints - endpoints as bound (`tcp://0.0.0.0:5555`).
 */
export function exposedEndpoints(endpoints: readonly string[]): string[] {
  return endpoints.filter((endpoint) => {
    const m = /^tcp:\/\/(?:[^;]*;)?(\[[^\]]*\]|[^:]*):/.exec(endpoint);
    if (!m) return false;
    const host = m[1]!.replace(/^\[|\]$/g, "").toLowerCase();
    return !(/^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || host === "localhost" || host === "::ffff:127.0.0.1");
  });
}

/**
 * The warning line for endpoints bound beyond loopback without CURVE.
 *
 * @param exposed - the endpoints, from {@link exposedEndpoints}.
 */
export function exposedWarning(exposed: readonly string[]): string {
  const all = exposed.every((e) => /^tcp:\/\/(0\.0\.0\.0|\*|\[::\]|\[\*\]):/.test(e));
  return `warning: bound ${exposed.join(", ")} ${all ? "on all interfaces" : "beyond loopback"} without CURVE: any host that can reach it can connect; use --curve-secret-file or bind 127.0.0.1`;
}
