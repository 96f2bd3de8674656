/**
 * The command-line flags of a Binary Star pair member, declared once for
 * every bin that runs one (`binary-star-server`, and compositions such as
 * `ha-majordomo-broker`): `--primary` / `--backup`, `--frontend` (the bound
 * client socket), `--local` (this node's state PUB), `--remote` (the peer's
 * state PUB) and `--heartbeat`, with per-role defaults; and CURVE: core's
 * `--curve-secret-file` / `--allow-keys-file` plus `--curve-peer-key` (the
 * peer's public key: the state SUB verifies it, and the state PUB admits
 * only it, so state messages from anything but the peer never arrive).
 *
 * @module
 */
import {
  type BooleanFlag,
  type CliCurve,
  CURVE_FLAGS,
  CURVE_PEER_FLAGS,
  type CurveFlags,
  type CurvePeerFlags,
  type IntegerFlag,
  MAX_CLI_MS,
  type StringFlag,
  UsageError,
  type WithNumberDefault,
} from "@zmq-reliable/core";
import type { BinaryStarEndpoints, BinaryStarRole } from "./defaults.js";
import type { BinaryStar } from "./node.js";
import type { BinaryStarCurveOptions } from "./options.js";
import { BINARY_STAR_DEFAULTS } from "./defaults.js";

/** The flags {@link pairFlags} declares: the pair's, core's CURVE flags and `--curve-peer-key`. */
export type PairFlags = CurveFlags & CurvePeerFlags & {
  /** `--primary`: run as the primary. */
  readonly primary: BooleanFlag;
  /** `--backup`: run as the backup. */
  readonly backup: BooleanFlag;
  /** `--frontend <endpoint>`: where the client-facing socket binds. */
  readonly frontend: StringFlag;
  /** `--local <endpoint>`: where this node's state PUB binds. */
  readonly local: StringFlag;
  /** `--remote <endpoint>`: the peer's state PUB. */
  readonly remote: StringFlag;
  /** `--heartbeat <ms>`: the state message interval. */
  readonly heartbeat: IntegerFlag & WithNumberDefault;
};

/** What {@link pairOptions} reads from parsed flags. */
export interface PairFlagValues {
  /** `--primary` given. */
  primary: boolean;
  /** `--backup` given. */
  backup: boolean;
  /** `--frontend`, if given. */
  frontend: string | undefined;
  /** `--local`, if given. */
  local: string | undefined;
  /** `--remote`, if given. */
  remote: string | undefined;
}

/** The role options {@link pairOptions} derives from the flags. */
export interface PairOptions {
  /** `"primary"` or `"backup"`. */
  role: BinaryStarRole;
  /** Where to bind: the frontend (`--frontend`) and this node's state PUB (`--local`). */
  bind: {
    /** The client-facing socket. */
    frontend: string;
    /** This node's state PUB. */
    state: string;
  };
  /** The peer's state PUB (`--remote`). */
  peer: string;
}

/**
 * Declares the pair flags.
 *
 * @param defaults - the endpoints of each role (`BINARY_STAR_DEFAULTS.endpoints` for an echo pair).
 * @param frontend - what the frontend is, for the help text (e.g. `"client ROUTER"`).
 */
export function pairFlags(defaults: Readonly<Record<BinaryStarRole, Readonly<BinaryStarEndpoints>>>, frontend: string): PairFlags {
  const both = (key: keyof BinaryStarEndpoints) => `(default ${defaults.primary[key]} primary, ${defaults.backup[key]} backup)`;
  return {
    primary: { type: "boolean", help: "run as the primary (normally active)" },
    backup: { type: "boolean", help: "run as the backup (normally passive)" },
    frontend: { type: "string", placeholder: "endpoint", help: `${frontend} bind endpoint ${both("frontend")}` },
    local: { type: "string", placeholder: "endpoint", help: `Binary Star state PUB bind endpoint ${both("local")}` },
    remote: { type: "string", placeholder: "endpoint", help: `the peer's state PUB to connect to ${both("remote")}` },
    heartbeat: {
      type: "integer",
      min: 1,
      max: MAX_CLI_MS,
      default: BINARY_STAR_DEFAULTS.heartbeatInterval,
      placeholder: "ms",
      help: "state message interval; the peer is presumed dead after two; must match the peer's",
    },
    ...CURVE_FLAGS,
    ...CURVE_PEER_FLAGS,
  };
}

/**
 * The node's CURVE options from the keys the CURVE flags gave (core's
 * `context.curve`): this node's key pair for the frontend and the state PUB,
 * and the peer's public key for the state SUB.
 *
 * @param curve - `context.curve`; `undefined` when CURVE is off.
 */
export function pairCurve(curve: CliCurve | undefined): BinaryStarCurveOptions | undefined {
  if (!curve?.peerKey) return undefined; // core's runner requires --curve-peer-key with --curve-secret-file on a pair
  return { secretKey: curve.keys.secretKey, publicKey: curve.keys.publicKey, peerKey: curve.peerKey };
}

/**
 * Checks that exactly one of `--primary` / `--backup` was given.
 *
 * @param v - the parsed flags.
 * @throws `UsageError` (core) otherwise.
 */
export function checkPairRole(v: Pick<PairFlagValues, "primary" | "backup">): void {
  if (v.primary === v.backup) throw new UsageError("give exactly one of --primary or --backup");
}

/**
 * The role options the parsed pair flags give: `role`, `bind: { frontend, state }` and `peer`.
 *
 * @param v - the parsed flags.
 * @param defaults - the endpoints of each role, as given to {@link pairFlags}.
 */
export function pairOptions(
  v: PairFlagValues,
  defaults: Readonly<Record<BinaryStarRole, Readonly<BinaryStarEndpoints>>>,
): PairOptions {
  const role: BinaryStarRole = v.primary ? "primary" : "backup";
  const d = defaults[role];
  return { role, bind: { frontend: v.frontend ?? d.frontend, state: v.local ?? d.local }, peer: v.remote ?? d.remote };
}

/**
 * The fields of a pair member's `started` line, in the order every pair bin
 * prints them: role, state, frontend, local (as bound), remote, heartbeat.
 *
 * @param node - the started pair node.
 * @param frontend - the frontend endpoint(s) as bound.
 * @param v - the parsed flags (`--remote`).
 * @param defaults - the endpoints of each role, as given to {@link pairFlags}.
 */
export function pairStartFields(
  node: BinaryStar,
  frontend: string | readonly string[],
  v: Pick<PairFlagValues, "remote">,
  defaults: Readonly<Record<BinaryStarRole, Readonly<BinaryStarEndpoints>>>,
): Record<string, string | number | readonly string[]> {
  return {
    role: node.role,
    state: node.state,
    frontend,
    local: node.boundEndpoint,
    remote: v.remote ?? defaults[node.role].remote,
    heartbeat: node.heartbeatInterval,
  };
}

/**
 * The `--metrics` health fields of a pair member: `pair` (its role),
 * `state`, `peerState`, `peerAlive`, and `serving` (true only when ACTIVE:
 * `/readyz` is 503 on a passive node, `/healthz` stays 200).
 *
 * @param node - the started pair node.
 */
export function pairHealth(node: BinaryStar): Record<string, unknown> {
  const stats = node.stats();
  return { pair: node.role, state: node.state, peerState: stats.peerState ?? null, peerAlive: stats.peerAlive, serving: node.state === "ACTIVE" };
}
