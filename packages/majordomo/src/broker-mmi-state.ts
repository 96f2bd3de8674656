/**
 * 8/MMI, the broker's own `mmi.*` services: `mmi.service` answers `200` when
 * the service named by the last body frame has a registered worker and `404`
 * otherwise (like `mdbroker.c`; a service that only has queued requests is
 * `404`, unlike `mdbroker.py`); any other `mmi.*` name answers `501`.
 *
 * @module
 */
import type { Frame } from "@zmq-reliable/core";
import { EMPTY } from "@zmq-reliable/core";
import { MDPC_FRAME, MMI_NOT_FOUND, MMI_NOT_IMPLEMENTED, MMI_OK, MMI_SERVICE } from "./protocol.js";

const OK = Buffer.from(MMI_OK);
const NOT_FOUND = Buffer.from(MMI_NOT_FOUND);
const NOT_IMPLEMENTED = Buffer.from(MMI_NOT_IMPLEMENTED);

/** What {@link mmiReply} needs to know about services. */
export interface ServiceDirectory {
  /** Whether at least one worker is registered for `service`. */
  hasWorkers(service: string): boolean;
}

/**
 * The reply to an MMI request, as the broker sends it on its ROUTER:
 * `[client, ∅, "MDPC01", service, code]`.
 *
 * @param client - the client's routing id.
 * @param serviceFrame - the `mmi.*` service frame as received, echoed.
 * @param name - the `mmi.*` service name.
 * @param body - the request body; for `mmi.service` its last frame names the service to look up.
 * @param services - where to look it up.
 */
export function mmiReply(client: Buffer, serviceFrame: Buffer, name: string, body: readonly Buffer[], services: ServiceDirectory): Frame[] {
  let code = NOT_IMPLEMENTED;
  if (name === MMI_SERVICE) code = services.hasWorkers(body[body.length - 1]!.toString("utf8")) ? OK : NOT_FOUND;
  return [client, EMPTY, MDPC_FRAME, serviceFrame, code];
}
