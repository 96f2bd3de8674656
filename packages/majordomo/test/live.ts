/** Live roles for real-socket tests: a broker on an ephemeral port and workers it has registered, closed after each test. */
import { nextEvent } from "@zmq-reliable/core";
import type { MajordomoBrokerOptions, MajordomoHandler, MajordomoWorkerOptions } from "../src/index.js";
import { MajordomoBroker, MajordomoWorker } from "../src/index.js";

/** The heartbeat of these tests, ms. */
export const HB = 50;
const open: { close(): Promise<void> }[] = [];

/** Closes everything {@link track}ed, newest first, all at once: `afterEach(closeTracked)`. */
export async function closeTracked(): Promise<void> {
  await Promise.all(open.splice(0).reverse().map((o) => o.close()));
}

/** Closes `o` after the test. */
export function track<T extends { close(): Promise<void> }>(o: T): T {
  open.push(o);
  return o;
}

/** A started broker on `tcp://127.0.0.1:*` with heartbeats of {@link HB} ms. */
export async function broker(options: MajordomoBrokerOptions = {}): Promise<MajordomoBroker> {
  const b = track(new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: HB, ...options }));
  await b.start();
  return b;
}

/** Starts a worker and resolves once the broker has registered it. */
export async function worker(b: MajordomoBroker, service: string, handler: MajordomoHandler, options: Partial<MajordomoWorkerOptions> = {}): Promise<MajordomoWorker> {
  const w = new MajordomoWorker({ endpoint: b.endpoint, service, handler, heartbeatInterval: HB, reconnect: { initial: 50, max: 200 }, ...options });
  track({ close: () => w.close({ timeout: 500 }) }); // some handlers here never finish
  const ready = nextEvent(b, "ready", { timeout: 5000, filter: (e) => e.service === service });
  await w.start();
  await ready;
  return w;
}
