/**
 * The address a `--metrics` flag names. Plain string work: the CLI runner
 * checks the flag with it before anything loads `prom-client` or `node:http`.
 *
 * @module
 */
import { InvalidOptionError } from "../pure/errors.js";

/** Where a metrics server listens. */
export interface ListenAddress {
  /** Host or IP address (`127.0.0.1` when the value was a bare port). */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
}

/**
 * `host` and `port` of a `--metrics` value: `9464` → `127.0.0.1:9464`,
 * `0.0.0.0:9464`, `[::1]:9464`.
 *
 * @param listen - the value.
 * @throws `InvalidOptionError` when it is not `[host:]port` with a port 0–65535.
 */
export function parseListen(listen: string): ListenAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):)?(\d{1,5})$/.exec(listen);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new InvalidOptionError(`--metrics must be [host:]port, got ${JSON.stringify(listen)}`);
  const host = (match[1] ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
  return { host, port };
}
