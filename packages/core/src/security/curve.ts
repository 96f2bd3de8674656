/**
 * CURVE security: Z85 codec, key pairs and the socket options for CURVE
 * servers and clients.
 *
 * @module
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import * as zmq from "zeromq";
import { InvalidOptionError } from "../pure/errors.js";

import { z85Decode, z85Encode } from "../pure/z85.js";

export { z85Decode, z85Encode } from "../pure/z85.js";

/** A CURVE key pair as 40-character Z85 strings. */
export interface CurveKeyPair {
  /** The public key, safe to share. */
  publicKey: string;
  /** The secret key; keep it private. */
  secretKey: string;
}

/** Generates a new CURVE key pair. */
export function curveKeyPair(): CurveKeyPair {
  return zmq.curveKeyPair();
}

/** The DER prefix of an X25519 private key in PKCS #8 (RFC 8410), before its 32 raw bytes. */
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/**
 * The public key of a CURVE secret key (X25519, as libsodium's
 * `crypto_scalarmult_base`), to check that a key pair belongs together.
 * zeromq.js 6.8 has no `curvePublic`; Node's crypto computes it.
 *
 * @param secretKey - the secret key (Z85).
 * @returns the public key (Z85).
 * @throws {@link InvalidOptionError} when the secret key is not 40 characters of Z85.
 */
export function curvePublicKey(secretKey: string): string {
  const raw = z85Decode(checkKey("secretKey", secretKey));
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return z85Encode(spki.subarray(spki.length - 32));
}

/** CURVE options for a role that binds and serves (broker, queue, server). */
export interface CurveServerOptions {
  /** The server's secret key (Z85). Clients need the matching public key. */
  secretKey: string;
  /**
   * The ZAP domain of the socket's handshakes (zeromq's `zapDomain`): a
   * `ZapAuthenticator` checks clients of a domain listed in its
   * `domains` against that domain's own allow-list (e.g. {@link PEER_ZAP_DOMAIN}:
   * only the pair's peer). Default: none, the authenticator's `allow` list.
   */
  zapDomain?: string;
}

/**
 * The ZAP domain of a socket that only the other node of a pair may connect
 * to (a Binary Star state publisher): the CLIs' ZAP handler admits only the
 * `--curve-peer-key` there.
 */
export const PEER_ZAP_DOMAIN = "peer";

/** CURVE options for a role that connects (client, worker). */
export interface CurveClientOptions {
  /** The server's public key (Z85). */
  serverKey: string;
  /** This client's public key (Z85). */
  publicKey: string;
  /** This client's secret key (Z85). */
  secretKey: string;
}

/** CURVE options of either side. */
export type CurveOptions = CurveServerOptions | CurveClientOptions;

/** Socket options that turn CURVE on; pass them to a zeromq socket constructor. */
export interface CurveSocketOptions {
  /** `true` on the serving side. */
  curveServer?: boolean;
  /** This socket's secret key (Z85). */
  curveSecretKey?: string;
  /** This socket's public key (Z85), client side. */
  curvePublicKey?: string;
  /** The server's public key (Z85), client side. */
  curveServerKey?: string;
  /** The ZAP domain, serving side (see {@link CurveServerOptions.zapDomain}). */
  zapDomain?: string;
}

function checkKey(name: string, key: unknown): string {
  if (typeof key !== "string" || key.length !== 40) {
    throw new InvalidOptionError(`curve.${name} must be a 40-character Z85 key`);
  }
  z85Decode(key);
  return key;
}

/**
 * Translates {@link CurveOptions} to zeromq socket options, validating every key.
 *
 * @param curve - server or client options; `undefined` gives `{}` (no security).
 * @throws {@link InvalidOptionError} when a key is not 40 characters of Z85.
 */
export function curveSocketOptions(curve: CurveOptions | undefined): CurveSocketOptions {
  if (!curve) return {};
  if ("serverKey" in curve) {
    return {
      curveServerKey: checkKey("serverKey", curve.serverKey),
      curvePublicKey: checkKey("publicKey", curve.publicKey),
      curveSecretKey: checkKey("secretKey", curve.secretKey),
    };
  }
  const server: CurveSocketOptions = { curveServer: true, curveSecretKey: checkKey("secretKey", curve.secretKey) };
  if (curve.zapDomain !== undefined) server.zapDomain = curve.zapDomain;
  return server;
}
