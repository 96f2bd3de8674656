/**
 * The final probes of a chaos run: once the cluster has settled after the
 * faults, {@link PROBES} echo requests one after the other through a client
 * of the harness's own; every one must come back with its own body.
 *
 * @module
 */
import { BinaryStarClient } from "@zmq-reliable/binary-star";
import { LazyPirateClient } from "@zmq-reliable/lazy-pirate";
import { MajordomoClient } from "@zmq-reliable/majordomo";
import type { ChaosClientConfig } from "./client.js";

/** Probe requests per topology. */
export const PROBES = 20;

/**
 * Sends the probes.
 *
 * @param kind - which client the topology takes.
 * @param endpoints - where it connects.
 * @param heartbeat - the servers' heartbeat (Binary Star).
 * @returns probes sent and answered correctly, and the last failure.
 */
export async function probe(kind: ChaosClientConfig["kind"], endpoints: string[], heartbeat: number): Promise<{ sent: number; ok: number; error?: string }> {
  const client =
    kind === "majordomo"
      ? ((c) => ({ request: (f: string[]) => c.request("echo", f), close: () => c.close() }))(new MajordomoClient({ endpoint: endpoints, timeout: 500, attempts: 20 }))
      : kind === "lazy-pirate"
        ? new LazyPirateClient({ endpoint: endpoints, timeout: 500, attempts: 20 })
        : ((c) => ({ request: (f: string[]) => c.request(f, { deadline: 10_000 }), close: () => c.close() }))(
            new BinaryStarClient({ endpoint: [endpoints[0]!, endpoints[1]!], heartbeatInterval: heartbeat }),
          );
  let ok = 0;
  let error: string | undefined;
  try {
    for (let i = 0; i < PROBES; i++) {
      const body = `probe-${i}-${Date.now()}`;
      try {
        const reply = await client.request([`probe-${i}`, body]);
        if (reply.length === 2 && reply[1]!.toString() === body) ok++;
        else error = `probe ${i} got ${JSON.stringify(reply.map(String))}`;
      } catch (err) {
        error = `probe ${i}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  } finally {
    await client.close();
  }
  return { sent: PROBES, ok, error };
}
