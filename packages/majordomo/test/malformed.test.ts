/**
 * Every malformed frame sequence of docs/protocols/majordomo.md#frames sent to a real
 * broker: it survives, answers as RFC 7 says (drop client garbage, DISCONNECT
 * a worker that spoke MDPW01 wrongly), and keeps serving valid clients.
 */
import type { Frame } from "@zmq-reliable/core";
import { nextEvent } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { MajordomoBroker, MajordomoClient, MajordomoWorker } from "../src/index.js";
import { show } from "./helpers.js";

const E = Buffer.alloc(0);
const byte = (n: number) => Buffer.from([n]);

let broker: MajordomoBroker;
let worker: MajordomoWorker;
let client: MajordomoClient;
const sockets: zmq.Socket[] = [];

beforeAll(async () => {
  broker = new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: 50, maxMessageSize: 64 * 1024 });
  await broker.start();
  worker = new MajordomoWorker({ endpoint: broker.endpoint, service: "echo", handler: (b) => b, heartbeatInterval: 50 });
  const ready = nextEvent(broker, "ready", { timeout: 5000 });
  await worker.start();
  await ready;
  client = new MajordomoClient({ endpoint: broker.endpoint, timeout: 3000, attempts: 1 });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await client.close();
  await worker.close();
  await broker.close();
});

function peer(): zmq.Dealer {
  const d = new zmq.Dealer({ linger: 0 });
  d.connect(broker.endpoint);
  sockets.push(d);
  return d;
}

async function stillServing(): Promise<void> {
  expect((await client.request("echo", "ok")).map(String)).toEqual(["ok"]);
}

const clientGarbage: [string, Frame[]][] = [
  ["no delimiter", ["MDPC01", "echo", "x"]],
  ["empty message body after ∅", [E]],
  ["too few frames (no body)", [E, "MDPC01", "echo"]],
  ["too few frames (no service)", [E, "MDPC01"]],
  ["wrong header", [E, "MDPC99", "echo", "x"]],
  ["MDP/0.2 client header", [E, "MDPC02", byte(1), "echo", "x"]],
  ["empty service", [E, "MDPC01", E, "x"]],
  ["oversized service name", [E, "MDPC01", Buffer.alloc(300, 0x61), "x"]],
  ["binary junk", [Buffer.from([0xff, 0x00, 0x13])]],
];

describe("malformed client messages", () => {
  it.each(clientGarbage)("%s: dropped and counted, no answer, broker keeps serving", async (_name, frames) => {
    const before = broker.stats().malformed;
    const p = peer();
    await p.send(frames);
    await waitFor(() => broker.stats().malformed === before + 1, { timeout: 5000 });
    await stillServing();
    p.receiveTimeout = 50;
    await expect(p.receive()).rejects.toMatchObject({ code: "EAGAIN" }); // nothing came back
  });
});

const workerGarbage: [string, Frame[]][] = [
  ["no command frame", [E, "MDPW01"]],
  ["unknown command byte 0x00", [E, "MDPW01", byte(0)]],
  ["unknown command byte 0x06", [E, "MDPW01", byte(6)]],
  ["two-byte command", [E, "MDPW01", Buffer.from([1, 1]), "echo"]],
  ["READY without service", [E, "MDPW01", byte(1)]],
  ["READY with empty service", [E, "MDPW01", byte(1), E]],
  ["READY with oversized service", [E, "MDPW01", byte(1), Buffer.alloc(300, 0x61)]],
  ["REPLY without body", [E, "MDPW01", byte(3), "C", E]],
  ["REPLY without address delimiter", [E, "MDPW01", byte(3), "C", "x", "y"]],
  ["HEARTBEAT with extra frames", [E, "MDPW01", byte(4), "x"]],
];

describe("malformed worker messages", () => {
  it.each(workerGarbage)("%s: answered with DISCONNECT, broker keeps serving", async (_name, frames) => {
    const p = peer();
    await p.send(frames);
    p.receiveTimeout = 3000;
    expect(show(await p.receive())).toEqual(["", "MDPW01", "0x05"]);
    await stillServing();
  });

  it("READY for mmi.service: DISCONNECT, not registered", async () => {
    const p = peer();
    await p.send([E, "MDPW01", byte(1), "mmi.service"]);
    p.receiveTimeout = 3000;
    expect(show(await p.receive())).toEqual(["", "MDPW01", "0x05"]);
    expect(await client.serviceAvailable("mmi.service")).toBe(false);
  });

  it("a registered worker that turns malformed is forgotten", async () => {
    const p = peer();
    const ready = nextEvent(broker, "ready", { timeout: 5000, filter: (e) => e.service === "flaky" });
    await p.send([E, "MDPW01", byte(1), "flaky"]);
    await ready;
    expect(await client.serviceAvailable("flaky")).toBe(true);
    await p.send([E, "MDPW01", byte(0x42)]);
    p.receiveTimeout = 3000;
    let m: string[];
    do m = show(await p.receive());
    while (m[2] === "0x04");
    expect(m).toEqual(["", "MDPW01", "0x05"]);
    expect(await client.serviceAvailable("flaky")).toBe(false);
  });
});

describe("oversized frames", () => {
  it("a message over maxMessageSize gets its sender disconnected by libzmq; the broker carries on", async () => {
    const p = peer();
    const before = broker.stats().requests;
    await p.send([E, "MDPC01", "echo", Buffer.alloc(128 * 1024)]);
    await stillServing();
    expect(broker.stats().requests).toBe(before + 1); // only stillServing's request arrived
  });

  it("by default frames over maxRequestBytes are never read (regression: 20 connections × 10 MB took a default broker to 1.1 GB); -1 reads them and drops them too-large", async () => {
    type Seen = { requests: number; tooLarge: number; disconnected: boolean };
    const oversized = async (options: { maxMessageSize?: number }, until: (seen: Seen) => boolean): Promise<Seen> => {
      const b = new MajordomoBroker({ bind: "tcp://127.0.0.1:*", heartbeatInterval: 50, maxRequestBytes: 4096, ...options });
      await b.start();
      const seen: Seen = { requests: 0, tooLarge: 0, disconnected: false };
      b.on("drop", (d) => void (d.reason === "too-large" && seen.tooLarge++));
      const d = new zmq.Dealer({ linger: 0 });
      d.events.on("disconnect", () => void (seen.disconnected = true));
      try {
        d.connect(b.endpoint);
        await d.send([E, "MDPC01", "nobody", Buffer.alloc(4097)]);
        await waitFor(() => until(seen), { timeout: 5000 });
        return { ...seen, requests: b.stats().requests };
      } finally {
        d.close();
        await b.close();
      }
    };
    expect(await oversized({}, (s) => s.disconnected)).toEqual({ requests: 0, tooLarge: 0, disconnected: true }); // libzmq cut the connection
    expect((await oversized({ maxMessageSize: -1 }, (s) => s.tooLarge === 1)).disconnected).toBe(false);
  });

  it("a large body under the limit passes through untouched", async () => {
    const body = Buffer.alloc(60 * 1024, 7);
    const reply = await client.request("echo", body);
    expect(reply[0]!.equals(body)).toBe(true);
  });
});
