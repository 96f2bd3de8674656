// Conformance with the plain REQ/REP frames of docs/protocols/lazy-pirate.md#frames, against raw zeromq
// sockets that know nothing of this package: the client against a raw `Reply`
// echo server, the server against a raw `Request` client running the reference
// lpclient loop, with decimal sequence numbers as the reference programs use.
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { decodeSequence, encodeSequence } from "../src/index.js";
import { client, closeAll, raw, rawRouter, server, text } from "./helpers.js";

afterEach(closeAll);

/** A raw REP echo server in the style of lpserver: `stall(seq, times)` says how long to sleep before answering. */
async function rawReplyEcho(stall: (sequence: number, seen: number) => number = () => 0) {
  const socket = raw(new zmq.Reply({ linger: 0 }));
  await socket.bind("tcp://127.0.0.1:*");
  const received: string[][] = [];
  const seen = new Map<number, number>();
  void (async () => {
    try {
      for await (const request of socket) {
        received.push(text(request));
        const seq = decodeSequence(request[0]!);
        seen.set(seq, (seen.get(seq) ?? 0) + 1);
        const ms = stall(seq, seen.get(seq)!);
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
        await socket.send(request); // echo, unchanged (lpserver.c: s_send(server, request))
      }
    } catch {
      // closed
    }
  })();
  return { endpoint: socket.lastEndpoint!, received };
}

describe("LazyPirateClient against a raw zeromq Reply server", () => {
  it("sends [∅ | \"<seq>\"] on the wire: one frame after the REQ delimiter, byte for byte", async () => {
    const router = await rawRouter(([id, empty, ...body], send) => send([id!, empty!, ...body]));
    const c = client({ endpoint: router.endpoint });
    expect(text(await c.request(encodeSequence(1)))).toEqual(["1"]);
    expect(router.received).toHaveLength(1);
    const [, delimiter, ...body] = router.received[0]!;
    expect(delimiter).toEqual(Buffer.alloc(0));
    expect(body).toEqual([Buffer.from("1", "ascii")]);
  });

  it("runs the lpclient loop (sequence from 1, reply must equal the sequence) against a raw REP echo", async () => {
    const rep = await rawReplyEcho();
    const c = client({ endpoint: rep.endpoint, timeout: 2500, validate: (reply, request) => decodeSequence(reply[0]!) === decodeSequence(request[0]!) });
    for (let sequence = 1; sequence <= 20; sequence++) {
      const reply = await c.request(encodeSequence(sequence));
      expect(decodeSequence(reply[0]!)).toBe(sequence);
    }
    expect(rep.received).toEqual(Array.from({ length: 20 }, (_, i) => [String(i + 1)]));
    expect(c.stats()).toMatchObject({ replies: 20, retries: 0, malformed: 0 });
  });

  it("recovers from a raw REP that stalls past the timeout (lpserver's 'CPU overload'), discarding the stale echo", async () => {
    // Sequence 3 stalls 300 ms the first time; the client (timeout 100 ms) closes, reopens and resends.
    const rep = await rawReplyEcho((seq, seen) => (seq === 3 && seen === 1 ? 300 : 0));
    const c = client({ endpoint: rep.endpoint, timeout: 100, attempts: 5, validate: (reply, request) => reply[0]!.equals(request[0]!) });
    for (let sequence = 1; sequence <= 5; sequence++) {
      expect(text(await c.request(encodeSequence(sequence)))).toEqual([String(sequence)]);
    }
    // The REP served sequence 3 more than once (the original and the retries that queued up behind
    // the stall); every echo but the last went to a closed socket and was lost there.
    const served = rep.received.map((r) => r[0]);
    expect(served.filter((s) => s !== "3")).toEqual(["1", "2", "4", "5"]);
    expect(served.filter((s) => s === "3").length).toBeGreaterThanOrEqual(2);
    expect(c.stats()).toMatchObject({ replies: 5, malformed: 0 });
    expect(c.stats().retries).toBeGreaterThanOrEqual(1);
  });
});

describe("LazyPirateServer against raw zeromq Request clients", () => {
  /**
   * The reference client loop (lpclient.py: sequence from 0, 3 sends, close
   * with linger 0 and reopen after each timeout), written on a raw REQ.
   */
  async function lpclient(endpoint: string, count: number, timeout: number) {
    const log: string[] = [];
    const open = () => {
      const req = new zmq.Request({ linger: 0, receiveTimeout: timeout });
      req.connect(endpoint);
      return req;
    };
    let req = open();
    try {
      for (let sequence = 0; sequence < count; sequence++) {
        let retriesLeft = 3;
        const request = encodeSequence(sequence);
        await req.send(request);
        for (;;) {
          try {
            const reply = await req.receive();
            if (reply.length === 1 && decodeSequence(reply[0]!) === sequence) {
              log.push(`ok ${sequence}`);
              break;
            }
            log.push(`malformed ${text(reply).join("|")}`);
          } catch (err) {
            if ((err as { code?: string }).code !== "EAGAIN") throw err;
            retriesLeft--;
            req.close();
            if (retriesLeft === 0) {
              log.push(`abandoning ${sequence}`);
              return log;
            }
            log.push(`retry ${sequence}`);
            req = open();
            await req.send(request);
          }
        }
      }
      return log;
    } finally {
      req.close();
    }
  }

  it("answers the lpclient loop, echoing the decimal sequence frames", async () => {
    const s = await server();
    const log = await lpclient(s.endpoint, 10, 2500);
    expect(log).toEqual(Array.from({ length: 10 }, (_, i) => `ok ${i}`));
    expect(s.stats()).toMatchObject({ requests: 10, replies: 10 });
  });

  it("a raw lpclient recovers from injected drops by its own close-and-reopen", async () => {
    const s = await server({ faults: { dropReply: (n) => n === 3 || n === 6 } });
    const log = await lpclient(s.endpoint, 6, 400);
    expect(log).toEqual(["ok 0", "ok 1", "retry 2", "ok 2", "ok 3", "retry 4", "ok 4", "ok 5"]);
  });

  it("replies byte-identically to a raw REP socket, whatever the envelope", async () => {
    const rep = raw(new zmq.Reply({ linger: 0 }));
    await rep.bind("tcp://127.0.0.1:*");
    void (async () => {
      try {
        for await (const m of rep) await rep.send(m);
      } catch {
        // closed
      }
    })();
    const ours = await server();
    const exchange = async (endpoint: string, message: (string | Buffer)[]) => {
      const dealer = raw(new zmq.Dealer({ linger: 0, receiveTimeout: 5000 }));
      dealer.connect(endpoint);
      await dealer.send(message);
      return dealer.receive();
    };
    const cases: (string | Buffer)[][] = [
      ["", "1"], // what a REQ sends
      ["", "a", "", Buffer.from([0, 255])], // multi-frame body with an empty frame inside
      ["hop-1", Buffer.from([0, 1, 2, 3]), "", "deep"], // routing frames of proxies in front
    ];
    for (const message of cases) {
      const expected = await exchange(rep.lastEndpoint!, message);
      expect(await exchange(ours.endpoint, message)).toEqual(expected);
      expect(expected).toEqual(message.map((f) => Buffer.from(f)));
    }
  });

  it("serves a REQ with correlate + relaxed (request-id envelope) like a REP would", async () => {
    const s = await server({ handler: (frames) => [...frames, "done"] });
    const req = raw(new zmq.Request({ linger: 0, receiveTimeout: 5000, correlate: true, relaxed: true }));
    req.connect(s.endpoint);
    await req.send(["a", "b"]);
    expect(text(await req.receive())).toEqual(["a", "b", "done"]);
  });
});
