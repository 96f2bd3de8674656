import { AbortError, Channel, ClosedError, InvalidOptionError, NotStartedError, TimeoutError, createSocket, curveKeyPair } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  BinaryStarClient,
  type BinaryStarClientOptions,
  BinaryStarServer,
  type BinaryStarServerOptions,
  type FailoverEvent,
  type RequestDropEvent,
} from "../src/index.js";
import { cleanup, closeAll, endpoints } from "./helpers.js";

const HB = 50;

afterEach(closeAll);

function server(options: BinaryStarServerOptions): BinaryStarServer {
  const s = new BinaryStarServer({ heartbeatInterval: HB, ...options });
  cleanup.push(() => s.close());
  return s;
}

function client(options: BinaryStarClientOptions): BinaryStarClient {
  const c = new BinaryStarClient({ heartbeatInterval: HB, ...options });
  cleanup.push(() => c.close());
  return c;
}

async function layout() {
  const [pFront, bFront, pLocal, bLocal] = await endpoints(4);
  return {
    primary: { role: "primary" as const, bind: { frontend: pFront!, state: pLocal! }, peer: bLocal! },
    backup: { role: "backup" as const, bind: { frontend: bFront!, state: bLocal! }, peer: pLocal! },
    clientEndpoints: [pFront!, bFront!] as [string, string],
  };
}

async function runningPair(extra: Partial<BinaryStarServerOptions> = {}) {
  const l = await layout();
  const primary = server({ ...l.primary, ...extra });
  const backup = server({ ...l.backup, ...extra });
  await Promise.all([primary.start(), backup.start()]);
  await waitFor(() => primary.state === "ACTIVE" && backup.state === "PASSIVE", { timeout: 5000 });
  return { ...l, primary, backup };
}

describe("BinaryStarServer + BinaryStarClient (real sockets)", () => {
  it("echoes through the active server, multi-frame bodies included", async () => {
    const { primary, backup, clientEndpoints } = await runningPair();
    const c = client({ endpoint: clientEndpoints });
    expect((await c.request("hello")).map(String)).toEqual(["hello"]);
    expect((await c.request(["a", Buffer.from("b"), new Uint8Array([0x63])])).map(String)).toEqual(["a", "b", "c"]);
    expect(c.stats()).toMatchObject({ requests: 2, replies: 2, failovers: 0, endpoint: clientEndpoints[0] });
    expect(primary.stats()).toMatchObject({ requests: 2, replies: 2, rejected: 0, inFlight: 0 });
    expect(backup.stats().requests).toBe(0);
  });

  it("runs an async handler, requests handled concurrently", async () => {
    const { clientEndpoints } = await runningPair({
      handler: async ([body]) => {
        await new Promise((r) => setTimeout(r, 5));
        return [`got:${body}`, "2nd"];
      },
    });
    const c = client({ endpoint: clientEndpoints, timeout: 2000 });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => c.request(String(i))));
    expect(replies.map((r) => r.map(String))).toEqual(Array.from({ length: 20 }, (_, i) => [`got:${i}`, "2nd"]));
  });

  it("the passive server drops client requests silently, as the reference does", async () => {
    const { backup, backup: b, clientEndpoints } = await runningPair();
    const drops: RequestDropEvent[] = [];
    b.on("drop", (e) => drops.push(e));
    const req = createSocket("request", { receiveTimeout: 4 * HB });
    cleanup.push(() => req.close());
    req.connect(clientEndpoints[1]);
    await req.send("anyone?");
    await expect(req.receive()).rejects.toMatchObject({ code: "EAGAIN" });
    expect(backup.stats()).toMatchObject({ requests: 1, replies: 0, rejected: 1 });
    expect(drops).toEqual([{ reason: "rejected", request: 1, state: "PASSIVE" }]);
  });

  it("drops requests without an envelope delimiter and requests whose handler fails", async () => {
    let calls = 0;
    const { primary, clientEndpoints } = await runningPair({
      handler: () => {
        if (++calls === 1) throw new Error("boom");
        return "ok";
      },
    });
    const drops: string[] = [];
    primary.on("drop", (e) => drops.push(e.reason));
    const dealer = createSocket("dealer");
    cleanup.push(() => dealer.close());
    dealer.connect(clientEndpoints[0]);
    await dealer.send("no delimiter");
    await waitFor(() => primary.stats().malformed === 1, { timeout: 5000 });
    const c = client({ endpoint: clientEndpoints, timeout: 200 });
    expect((await c.request("x")).map(String)).toEqual(["ok"]); // the first send failed in the handler; a retry got through
    expect(drops).toEqual(["malformed", "handler-error"]);
    expect(primary.stats().handlerErrors).toBe(1);
  });

  it("fails over to the backup when the active server goes away, and every reply matches its request", async () => {
    const { primary, backup, clientEndpoints } = await runningPair();
    const c = client({ endpoint: clientEndpoints });
    const failovers: FailoverEvent[] = [];
    c.on("failover", (e) => failovers.push(e));
    for (let i = 0; i < 5; i++) expect((await c.request(`a${i}`)).map(String)).toEqual([`a${i}`]);
    await primary.close();
    for (let i = 0; i < 5; i++) expect((await c.request(`b${i}`)).map(String)).toEqual([`b${i}`]);
    expect(backup.state).toBe("ACTIVE");
    expect(c.endpoint).toBe(clientEndpoints[1]);
    expect(failovers[0]).toMatchObject({ from: clientEndpoints[0], to: clientEndpoints[1] });
    expect(c.stats().replies).toBe(10);
  });

  it("never returns a stale reply: a late answer from a slow server is not taken for the next request", async () => {
    let calls = 0;
    const { clientEndpoints } = await runningPair({
      handler: async ([body]) => {
        const n = ++calls;
        if (n === 1) await new Promise((r) => setTimeout(r, 6 * HB)); // far beyond the client's timeout
        return `${body}#${n}`;
      },
    });
    const c = client({ endpoint: clientEndpoints });
    const first = String((await c.request("slow"))[0]);
    expect(first).toMatch(/^slow#\d+$/);
    for (let i = 0; i < 10; i++) expect(String((await c.request(`next${i}`))[0])).toMatch(new RegExp(`^next${i}#\\d+$`));
    await new Promise((r) => setTimeout(r, 6 * HB)); // let any late reply arrive somewhere
    expect(String((await c.request("last"))[0])).toMatch(/^last#\d+$/);
    expect(c.stats().failovers).toBeGreaterThan(0);
  });

  it("a backup alone serves nobody; once the primary appears, the client is answered by it", async () => {
    const l = await layout();
    const backup = server(l.backup);
    await backup.start();
    const c = client({ endpoint: l.clientEndpoints });
    let answered = false;
    const pending = c.request("hello").then((r) => {
      answered = true;
      return r;
    });
    await waitFor(() => backup.stats().rejected >= 3, { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 4 * HB));
    expect(answered).toBe(false);
    expect(backup.state).toBe("BACKUP");
    const primary = server(l.primary);
    await primary.start();
    expect((await pending).map(String)).toEqual(["hello"]);
    expect(c.endpoint).toBe(l.clientEndpoints[0]);
    expect(backup.stats().replies).toBe(0);
    await waitFor(() => backup.state === "PASSIVE", { timeout: 5000 });
  });

  it("aborts, times out and closes pending and queued requests", async () => {
    const [nobody1, nobody2] = await endpoints(2);
    const c = client({ endpoint: [nobody1!, nobody2!] });
    await c.start();
    await expect(c.request("x", { signal: AbortSignal.timeout(3 * HB) })).rejects.toBeInstanceOf(AbortError);
    await expect(c.request("x", { deadline: 3 * HB })).rejects.toBeInstanceOf(TimeoutError);
    const aborted = new AbortController();
    aborted.abort();
    await expect(c.request("x", { signal: aborted.signal })).rejects.toBeInstanceOf(AbortError);
    const pending = c.request("pending");
    const queued = c.request("queued");
    // A queued request's signal and deadline run from the call, not from its turn.
    const queuedAbort = new AbortController();
    const queuedAborted = c.request("queued, aborted", { signal: queuedAbort.signal });
    const queuedTimedOut = c.request("queued, deadline", { deadline: HB / 2 });
    queuedAbort.abort();
    await expect(queuedAborted).rejects.toBeInstanceOf(AbortError);
    await expect(queuedTimedOut).rejects.toBeInstanceOf(TimeoutError);
    await new Promise((r) => setTimeout(r, HB));
    await c.close();
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    await expect(queued).rejects.toBeInstanceOf(ClosedError);
    await expect(c.request("late")).rejects.toBeInstanceOf(ClosedError);
    expect(c.stats()).toMatchObject({ replies: 0, failures: 7 });
    expect(c.stats().failovers).toBeGreaterThan(0);
  });

  it("works over CURVE", async () => {
    const l = await layout();
    const pk = curveKeyPair();
    const bk = curveKeyPair();
    const ck = curveKeyPair();
    const primary = server({ ...l.primary, curve: { ...pk, peerKey: bk.publicKey } });
    const backup = server({ ...l.backup, curve: { ...bk, peerKey: pk.publicKey } });
    await Promise.all([primary.start(), backup.start()]);
    await waitFor(() => primary.state === "ACTIVE", { timeout: 5000 });
    const c = client({
      endpoint: l.clientEndpoints,
      curve: [
        { serverKey: pk.publicKey, ...ck },
        { serverKey: bk.publicKey, ...ck },
      ],
    });
    expect((await c.request("secret")).map(String)).toEqual(["secret"]);
  });

  it("validates options", async () => {
    expect(() => new BinaryStarClient({ endpoint: ["tcp://a:1"] as unknown as [string, string] })).toThrow(InvalidOptionError);
    expect(() => new BinaryStarClient({ endpoint: ["tcp://a:1", "tcp://b:1"], voteInterval: 0 })).toThrow(InvalidOptionError);
    expect(() => new BinaryStarClient({ endpoint: ["tcp://a:1", "tcp://b:1"], curve: { serverKey: "short", publicKey: "x", secretKey: "y" } })).toThrow(InvalidOptionError);
    expect(() => new BinaryStarClient({ endpoints: ["tcp://a:1", "tcp://b:1"] } as never)).toThrow(/endpoints was renamed endpoint/);
    const c = new BinaryStarClient({ endpoint: ["tcp://a:1", "tcp://b:1"] });
    await expect(c.request("x", { timeout: 100 } as never)).rejects.toThrow(/timeout was renamed deadline/);
    expect(c.timings).toEqual({ timeout: 1000, settleDelay: 2000, voteInterval: 250 });
    expect(new BinaryStarClient({ endpoint: ["tcp://a:1", "tcp://b:1"], heartbeatInterval: 100 }).timings).toEqual({ timeout: 100, settleDelay: 200, voteInterval: 25 });
  });
});

describe("BinaryStarServer: empty replies, bind errors, close", () => {
  function rawReq(endpoint: string) {
    const req = createSocket("request", { receiveTimeout: 5000 });
    cleanup.push(() => req.close());
    req.connect(endpoint);
    return req;
  }

  it("a handler that returns [] or nothing replies with one empty frame (it used to send [identity, ∅], which a REQ never delivers)", async () => {
    let n = 0;
    const { primary, clientEndpoints } = await runningPair({ handler: () => (++n % 2 === 1 ? [] : undefined) });
    const req = rawReq(clientEndpoints[0]);
    await req.send("x");
    expect(await req.receive()).toEqual([Buffer.alloc(0)]);
    const c = client({ endpoint: clientEndpoints, timeout: 2000 });
    expect(await c.request("y")).toEqual([Buffer.alloc(0)]);
    expect(await c.request("z")).toEqual([Buffer.alloc(0)]);
    expect(primary.stats()).toMatchObject({ replies: 3, dropped: 0, handlerErrors: 0 });
  });

  it("a bind failure rejects with a SocketError naming the endpoint, for the frontend and for the state socket; start() can then be retried", async () => {
    const l = await layout();
    const taken = new Channel(createSocket("router"));
    await taken.socket.bind(l.primary.bind.frontend);
    const primary = server(l.primary);
    expect(() => primary.endpoint).toThrow(NotStartedError);
    await expect(primary.start()).rejects.toMatchObject({ code: "ERR_SOCKET", zmqCode: "EADDRINUSE", message: expect.stringContaining(l.primary.bind.frontend) });
    await taken.close({ release: 1000 });
    await primary.start();
    expect(primary.endpoints).toEqual({ frontend: l.primary.bind.frontend, state: l.primary.bind.state });

    const takenState = createSocket("publisher");
    cleanup.push(() => takenState.close());
    await takenState.bind(l.backup.bind.state);
    const backup = server(l.backup);
    await expect(backup.start()).rejects.toMatchObject({ code: "ERR_SOCKET", zmqCode: "EADDRINUSE", message: expect.stringContaining(l.backup.bind.state) });
  });

  it("close({ timeout }) answers requests in progress, drops those arriving meanwhile, then aborts what is left", async () => {
    const signals = new Map<string, AbortSignal>();
    const { primary, clientEndpoints } = await runningPair({
      handler: async (body, { signal }) => {
        signals.set(String(body[0]), signal);
        if (String(body[0]) === "hang") return new Promise<never>(() => {});
        await new Promise((r) => setTimeout(r, 3 * HB));
        return body;
      },
    });
    const [quick, hang, late] = [rawReq(clientEndpoints[0]), rawReq(clientEndpoints[0]), rawReq(clientEndpoints[0])];
    await quick.send("quick");
    await hang.send("hang");
    await waitFor(() => signals.size === 2, { timeout: 5000 });
    const drops: RequestDropEvent[] = [];
    primary.on("drop", (e) => drops.push(e));
    const closing = primary.close({ timeout: 10 * HB });
    await late.send("late");
    expect((await quick.receive()).map(String)).toEqual(["quick"]);
    await closing;
    expect(signals.get("quick")!.aborted).toBe(false);
    expect(signals.get("hang")!.reason).toMatchObject({ code: "ERR_CLOSED" });
    expect(signals.has("late")).toBe(false);
    expect(drops.map((d) => d.reason)).toEqual(["closed", "closed"]);
    expect(primary.stats()).toMatchObject({ requests: 3, replies: 1, dropped: 2, inFlight: 0 });
  });
});
