/**
 * Conformance with raw zeromq sockets that speak docs/protocols/majordomo.md#frames frames byte
 * for byte, independent of this package's own roles, in both directions:
 * raw client → our broker, raw worker → our broker, our client → raw broker,
 * our worker → raw broker.
 */
import { setTimeout as delay } from "node:timers/promises";
import { nextEvent } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import type { MajordomoHandler } from "../src/index.js";
import { MajordomoBroker, MajordomoClient, MajordomoWorker } from "../src/index.js";
import { show } from "./helpers.js";

const HB = 50;
const E = Buffer.alloc(0);
const byte = (n: number) => Buffer.from([n]);
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function raw<T extends zmq.Socket>(socket: T): T {
  socket.linger = 0;
  closers.push(() => socket.close());
  return socket;
}

/** Receives one message within `ms`, or throws. */
async function recv(socket: zmq.Dealer | zmq.Router | zmq.Request, ms = 3000): Promise<Buffer[]> {
  socket.receiveTimeout = ms;
  return socket.receive();
}

/** Receives messages until one matches `pred` (skipping heartbeats and the like). */
async function recvUntil(socket: zmq.Dealer | zmq.Router, pred: (m: string[]) => boolean, ms = 3000): Promise<Buffer[]> {
  const deadline = performance.now() + ms;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error("no matching message in time");
    const m = await recv(socket, Math.ceil(left));
    if (pred(show(m))) return m;
  }
}

async function ourBroker(options: ConstructorParameters<typeof MajordomoBroker>[0] = {}): Promise<MajordomoBroker> {
  const b = new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: HB, ...options });
  closers.push(() => b.close());
  await b.start();
  return b;
}

async function rawWorker(b: MajordomoBroker, service: string): Promise<zmq.Dealer> {
  const w = raw(new zmq.Dealer());
  w.connect(b.endpoint);
  const ready = nextEvent(b, "ready", { timeout: 3000, filter: (e) => e.service === service });
  await w.send([E, "MDPW01", byte(1), service]);
  await ready;
  return w;
}

describe("raw client and raw worker → our broker", () => {
  it("REQ client and DEALER worker exchange the exact §5.3/§5.4 frames through the broker", async () => {
    const b = await ourBroker();
    const worker = await rawWorker(b, "echo");
    const client = raw(new zmq.Request());
    client.connect(b.endpoint);
    await client.send(["MDPC01", "echo", "hello", "world"]); // REQ adds ∅

    const request = await recvUntil(worker, (m) => m[2] === "0x02");
    const shown = show(request);
    expect(shown.slice(0, 3)).toEqual(["", "MDPW01", "0x02"]);
    expect(request[3]!.length).toBeGreaterThan(0); // the client address
    expect(shown.slice(4)).toEqual(["", "hello", "world"]);
    expect(request).toHaveLength(7);

    await worker.send([E, "MDPW01", byte(3), request[3]!, E, "HELLO", "WORLD"]);
    expect(show(await recv(client))).toEqual(["MDPC01", "echo", "HELLO", "WORLD"]);
  });

  it("DEALER client (async style) adds ∅ itself and gets ∅ back", async () => {
    const b = await ourBroker();
    const worker = await rawWorker(b, "echo");
    const client = raw(new zmq.Dealer());
    client.connect(b.endpoint);
    for (let i = 0; i < 3; i++) await client.send([E, "MDPC01", "echo", `m${i}`]);
    for (let i = 0; i < 3; i++) {
      const req = await recvUntil(worker, (m) => m[2] === "0x02");
      await worker.send([E, "MDPW01", byte(3), req[3]!, E, req[5]!]);
    }
    const replies = [show(await recv(client)), show(await recv(client)), show(await recv(client))];
    expect(replies).toEqual([0, 1, 2].map((i) => ["", "MDPC01", "echo", `m${i}`]));
  });

  it("answers MMI like RFC 8: [∅ | MDPC01 | mmi.service | 200/404], others 501", async () => {
    const b = await ourBroker();
    await rawWorker(b, "echo");
    const client = raw(new zmq.Dealer());
    client.connect(b.endpoint);
    await client.send([E, "MDPC01", "mmi.service", "echo"]);
    expect(show(await recv(client))).toEqual(["", "MDPC01", "mmi.service", "200"]);
    await client.send([E, "MDPC01", "mmi.service", "nobody"]);
    expect(show(await recv(client))).toEqual(["", "MDPC01", "mmi.service", "404"]);
    await client.send([E, "MDPC01", "mmi.other", "echo"]);
    expect(show(await recv(client))).toEqual(["", "MDPC01", "mmi.other", "501"]);
  });

  it("heartbeats a raw worker with [∅ | MDPW01 | 0x04] and expires it when silent, with DISCONNECT", async () => {
    const b = await ourBroker();
    const worker = await rawWorker(b, "echo");
    expect(show(await recv(worker))).toEqual(["", "MDPW01", "0x04"]);
    const expired = nextEvent(b, "expire", { timeout: 3000 });
    // stay silent: after 3 × 50 ms the broker forgets the worker and says so
    await recvUntil(worker, (m) => m[2] === "0x05");
    await expired;
    expect(b.stats().workers).toBe(0);
  });

  it("keeps a raw worker that heartbeats", async () => {
    const b = await ourBroker();
    const worker = await rawWorker(b, "echo");
    for (let i = 0; i < 8; i++) {
      await delay(HB);
      await worker.send([E, "MDPW01", byte(4)]);
    }
    expect(b.stats()).toMatchObject({ workers: 1, expired: 0 });
  });

  it("DISCONNECTs a raw worker that sends READY twice, READY for mmi.*, or an unknown command", async () => {
    const b = await ourBroker();
    const twice = await rawWorker(b, "echo");
    await twice.send([E, "MDPW01", byte(1), "echo"]);
    expect(show(await recvUntil(twice, (m) => m[2] !== "0x04"))).toEqual(["", "MDPW01", "0x05"]);

    const mmi = raw(new zmq.Dealer());
    mmi.connect(b.endpoint);
    await mmi.send([E, "MDPW01", byte(1), "mmi.service"]);
    expect(show(await recv(mmi))).toEqual(["", "MDPW01", "0x05"]);

    const bad = await rawWorker(b, "echo");
    await bad.send([E, "MDPW01", byte(0x09)]);
    expect(show(await recvUntil(bad, (m) => m[2] !== "0x04"))).toEqual(["", "MDPW01", "0x05"]);
    await waitFor(() => b.stats().workers === 0);
  });

  it("re-dispatches a raw worker's request when it DISCONNECTs mid-request", async () => {
    const b = await ourBroker();
    const first = await rawWorker(b, "echo");
    const client = raw(new zmq.Request());
    client.connect(b.endpoint);
    await client.send(["MDPC01", "echo", "job"]);
    await recvUntil(first, (m) => m[2] === "0x02");
    const second = await rawWorker(b, "echo");
    await first.send([E, "MDPW01", byte(5)]);
    const again = await recvUntil(second, (m) => m[2] === "0x02");
    expect(show(again).slice(4)).toEqual(["", "job"]);
    await second.send([E, "MDPW01", byte(3), again[3]!, E, "done"]);
    expect(show(await recv(client))).toEqual(["MDPC01", "echo", "done"]);
  });
});

describe("our client → raw broker", () => {
  async function rawBroker(): Promise<[zmq.Router, string]> {
    const router = raw(new zmq.Router());
    await router.bind("tcp://127.0.0.1:*");
    return [router, router.lastEndpoint!];
  }

  it("sends [<id> | ∅ | MDPC01 | service | body…] and accepts the reply", async () => {
    const [router, endpoint] = await rawBroker();
    const client = new MajordomoClient({ endpoint, timeout: 3000, attempts: 1 });
    closers.push(() => client.close());
    const pending = client.request("echo", ["one", Buffer.from([0, 1])]);
    const got = await recv(router);
    expect(show(got).slice(1)).toEqual(["", "MDPC01", "echo", "one", "0x0001"]);
    await router.send([got[0]!, E, "MDPC01", "echo", "reply", E]);
    expect((await pending).map(String)).toEqual(["reply", ""]);
  });

  it("asks mmi.service with the name as body", async () => {
    const [router, endpoint] = await rawBroker();
    const client = new MajordomoClient({ endpoint, timeout: 3000, attempts: 1 });
    closers.push(() => client.close());
    const pending = client.serviceAvailable("echo");
    const got = await recv(router);
    expect(show(got).slice(1)).toEqual(["", "MDPC01", "mmi.service", "echo"]);
    await router.send([got[0]!, E, "MDPC01", "mmi.service", "404"]);
    expect(await pending).toBe(false);
  });

  it("retries on a fresh socket (new identity); a late reply to the old one is never delivered", async () => {
    const [router, endpoint] = await rawBroker();
    const client = new MajordomoClient({ endpoint, timeout: 150, attempts: 3 });
    closers.push(() => client.close());
    const pending = client.request("echo", "x");
    const first = await recv(router);
    const second = await recv(router); // the retry, after 150 ms without reply
    expect(second[0]!.equals(first[0]!)).toBe(false);
    expect(show(second).slice(1)).toEqual(["", "MDPC01", "echo", "x"]);
    await router.send([first[0]!, E, "MDPC01", "echo", "late"]); // to the abandoned socket: dropped
    await delay(20);
    await router.send([second[0]!, E, "MDPC01", "echo", "on-time"]);
    expect((await pending).map(String)).toEqual(["on-time"]);
    // the next request reuses the surviving socket and cannot see "late"
    const next = client.request("echo", "y");
    const third = await recv(router);
    await router.send([third[0]!, E, "MDPC01", "echo", "third"]);
    expect((await next).map(String)).toEqual(["third"]);
  });

  it("rejects a reply for another service or without MDPC01 with ProtocolError", async () => {
    const [router, endpoint] = await rawBroker();
    const client = new MajordomoClient({ endpoint, timeout: 3000, attempts: 1 });
    closers.push(() => client.close());
    const wrongService = client.request("echo", "x");
    let got = await recv(router);
    await router.send([got[0]!, E, "MDPC01", "other", "r"]);
    await expect(wrongService).rejects.toMatchObject({ code: "ERR_PROTOCOL" });
    const wrongHeader = client.request("echo", "x");
    got = await recv(router);
    await router.send([got[0]!, E, "MDPC02", "echo", "r"]);
    await expect(wrongHeader).rejects.toMatchObject({ code: "ERR_PROTOCOL" });
  });
});

describe("our worker → raw broker", () => {
  async function setup(handler: MajordomoHandler, options: { heartbeatInterval?: number } = {}) {
    const router = raw(new zmq.Router());
    await router.bind("tcp://127.0.0.1:*");
    const endpoint = router.lastEndpoint!;
    const worker = new MajordomoWorker({ endpoint, service: "echo", handler, heartbeatInterval: HB, reconnect: { initial: 30 }, ...options });
    closers.push(() => worker.close({ timeout: 500 }));
    await worker.start();
    return { router, worker };
  }

  it("sends READY, answers REQUEST with REPLY, heartbeats, and says DISCONNECT on close", async () => {
    const { router, worker } = await setup((body) => ["re", ...body]);
    const ready = await recv(router);
    const id = ready[0]!;
    expect(show(ready).slice(1)).toEqual(["", "MDPW01", "0x01", "echo"]);

    await router.send([id, E, "MDPW01", byte(2), "CLIENT-1", E, "a", "b"]);
    const reply = await recvUntil(router, (m) => m[3] === "0x03");
    expect(reply[0]!.equals(id)).toBe(true);
    expect(show(reply).slice(1)).toEqual(["", "MDPW01", "0x03", "CLIENT-1", "", "re", "a", "b"]);

    const hb = await recvUntil(router, (m) => m[3] === "0x04");
    expect(show(hb).slice(1)).toEqual(["", "MDPW01", "0x04"]);
    await router.send([id, E, "MDPW01", byte(4)]);

    const closing = worker.close();
    const bye = await recvUntil(router, (m) => m[3] === "0x05");
    expect(show(bye).slice(1)).toEqual(["", "MDPW01", "0x05"]);
    await closing;
  });

  it("on DISCONNECT, opens a fresh socket (new identity) and sends READY again", async () => {
    const { router, worker } = await setup((body) => body);
    const first = await recv(router);
    const reconnected = nextEvent(worker, "ready", { timeout: 3000 });
    await router.send([first[0]!, E, "MDPW01", byte(5)]);
    await reconnected;
    const again = await recvUntil(router, (m) => m[3] === "0x01");
    expect(again[0]!.equals(first[0]!)).toBe(false);
    expect(show(again).slice(1)).toEqual(["", "MDPW01", "0x01", "echo"]);
  });

  it("reconnects when the broker is silent, and stays while the broker heartbeats", async () => {
    const { router, worker } = await setup((body) => body);
    const first = await recv(router);
    // heartbeat for a while: no reconnect
    for (let i = 0; i < 6; i++) {
      await delay(HB);
      await router.send([first[0]!, E, "MDPW01", byte(4)]);
    }
    expect(worker.stats().connects).toBe(1);
    // then go silent: after 3 × 50 ms the worker starts over
    const again = await recvUntil(router, (m) => m[3] === "0x01", 3000);
    expect(again[0]!.equals(first[0]!)).toBe(false);
    expect(worker.stats().connects).toBe(2);
  });

  it("keeps heartbeating while busy, and does not give up on a broker that (like mdbroker.c) ignores busy workers", async () => {
    const { router, worker } = await setup(async (body) => (await delay(HB * 8), body));
    const ready = await recv(router);
    await router.send([ready[0]!, E, "MDPW01", byte(2), "C", E, "slow"]);
    let heartbeats = 0;
    const reply = await recvUntil(router, (m) => {
      if (m[3] === "0x04") heartbeats++;
      return m[3] === "0x03";
    });
    expect(show(reply).slice(4)).toEqual(["C", "", "slow"]);
    expect(heartbeats).toBeGreaterThanOrEqual(4);
    expect(worker.stats().connects).toBe(1);
  });

  it("drops malformed or unexpected broker messages without crashing", async () => {
    const { router, worker } = await setup((body) => body);
    const ready = await recv(router);
    const id = ready[0]!;
    await router.send([id, E, "MDPW01", byte(9)]);
    await router.send([id, E, "MDPW01", byte(3), "C", E, "x"]); // REPLY: only workers send it
    await router.send([id, E, "MDPC01", "echo", "x"]);
    await router.send([id, "garbage"]);
    await waitFor(() => worker.stats().dropped === 4);
    await router.send([id, E, "MDPW01", byte(2), "C", E, "still-works"]);
    const reply = await recvUntil(router, (m) => m[3] === "0x03");
    expect(show(reply).slice(-1)).toEqual(["still-works"]);
  });
});
