import { Channel, ClosedError, InvalidOptionError, NotStartedError, SocketError, createSocket, curveKeyPair, nextEvent } from "@zmq-reliable/core";
import { waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BINARY_STAR_DEFAULTS, BinaryStar, type BinaryStarOptions, type BinaryStarState, type StateChangeEvent } from "../src/index.js";
import { FakePeer, cleanup, closeAll, endpoints } from "./helpers.js";

const HB = 50;

afterEach(closeAll);

function node(options: BinaryStarOptions): BinaryStar {
  const n = new BinaryStar({ heartbeatInterval: HB, ...options });
  cleanup.push(() => n.close());
  return n;
}

async function pair(extra: Partial<BinaryStarOptions> = {}) {
  const [pLocal, bLocal] = await endpoints(2);
  const primary = node({ role: "primary", bind: pLocal!, peer: bLocal!, ...extra });
  const backup = node({ role: "backup", bind: bLocal!, peer: pLocal!, ...extra });
  return { primary, backup, pLocal: pLocal!, bLocal: bLocal! };
}

describe("BinaryStar node (real sockets)", () => {
  it("pairs up: the primary becomes active, the backup passive, with events on both", async () => {
    const { primary, backup } = await pair();
    const changes: string[] = [];
    primary.on("state-change", (e) => changes.push(`primary ${e.from}->${e.to} on ${e.event}`));
    backup.on("state-change", (e) => changes.push(`backup ${e.from}->${e.to} on ${e.event}`));
    const active = nextEvent(primary, "active", { timeout: 5000 });
    const passive = nextEvent(backup, "passive", { timeout: 5000 });
    await Promise.all([backup.start(), primary.start()]);
    const [[a], [p]] = await Promise.all([active, passive]);
    expect(a).toMatchObject({ from: "PRIMARY", to: "ACTIVE", event: "PEER_BACKUP", note: "connected to backup (passive), ready active" });
    expect(p).toMatchObject({ from: "BACKUP", to: "PASSIVE", event: "PEER_ACTIVE" });
    expect(changes).toEqual(["primary PRIMARY->ACTIVE on PEER_BACKUP", "backup BACKUP->PASSIVE on PEER_ACTIVE"]);
    await waitFor(() => primary.peerState === "PASSIVE" && backup.peerState === "ACTIVE", { timeout: 5000 });
    expect(primary.isActive).toBe(true);
    expect(backup.isActive).toBe(false);
    expect(primary.admit({ service: "echo" })).toBe(true);
    expect(backup.admit({})).toBe(false);
    expect(primary.stats()).toMatchObject({ role: "primary", state: "ACTIVE", peerState: "PASSIVE", peerAlive: true, fatal: undefined, admitted: 1, transitions: 1 });
    expect(backup.stats()).toMatchObject({ role: "backup", state: "PASSIVE", peerState: "ACTIVE", rejected: 1, admitted: 0 });
    expect(primary.stats().stateSent).toBeGreaterThan(0);
    expect(backup.stats().stateReceived).toBeGreaterThan(0);
  });

  it("the passive takes over on a client vote once the active has been silent for two heartbeats", async () => {
    const { primary, backup } = await pair();
    await Promise.all([primary.start(), backup.start()]);
    await waitFor(() => primary.state === "ACTIVE" && backup.state === "PASSIVE", { timeout: 5000 });
    await primary.close();
    const closedAt = performance.now();
    // Votes before the expiry are rejected; silence alone changes nothing.
    let firstAdmitted = 0;
    await waitFor(
      () => {
        if (backup.admit({})) firstAdmitted = performance.now();
        return firstAdmitted;
      },
      { timeout: 5000, interval: 5 },
    );
    const silence = firstAdmitted - closedAt;
    expect(silence).toBeGreaterThanOrEqual(2 * HB - HB - 5); // last message at most one heartbeat before close
    expect(backup.state).toBe("ACTIVE");
    expect(backup.stats().rejected).toBeGreaterThan(0);
  });

  it("a restarted primary comes back passive when the backup is active", async () => {
    const { primary, backup, pLocal, bLocal } = await pair();
    await Promise.all([primary.start(), backup.start()]);
    await waitFor(() => backup.state === "PASSIVE", { timeout: 5000 });
    await primary.close();
    await waitFor(() => backup.admit({}), { timeout: 5000 });
    const actives: StateChangeEvent[] = [];
    const passives: StateChangeEvent[] = [];
    // close() resolved once the port was free: the restarted node binds it at once.
    const again = node({ role: "primary", bind: pLocal, peer: bLocal });
    again.on("active", (e) => actives.push(e));
    again.on("passive", (e) => passives.push(e));
    await again.start();
    // Clients asking the restarted primary during its start-up expiry are refused.
    expect(again.admit({})).toBe(false);
    await waitFor(() => passives.length === 1, { timeout: 5000 });
    expect(again.admit({})).toBe(false);
    expect(actives).toEqual([]);
    expect(backup.state).toBe("ACTIVE");
  });

  it("publishes byte-exact state messages and obeys a reference peer's", async () => {
    const [local, remote] = await endpoints(2);
    const primary = node({ role: "primary", bind: local!, peer: remote! });
    await primary.start();
    const peer = await FakePeer.create(remote!, local!);
    await waitFor(() => peer.heard.length > 0, { timeout: 5000 });
    expect(peer.heard[0]!.map((f) => [...f])).toEqual([[0x31]]); // "1": PRIMARY, one frame, one byte
    peer.say("BACKUP"); // what bstar.c's backup publishes: "2"
    await waitFor(() => primary.state === "ACTIVE", { timeout: 5000 });
    await waitFor(() => peer.heardDigits.includes("3"), { timeout: 5000 });
    expect(new Set(peer.heardDigits)).toEqual(new Set(["1", "3"]));
    expect(primary.endpoint).toBe(local);
  });

  it("sends its state to a peer as soon as the peer subscribes, not a heartbeat later", async () => {
    const [local, remote] = await endpoints(2);
    const slow = node({ role: "backup", bind: local!, peer: remote!, heartbeatInterval: 60_000 });
    await slow.start(); // its first state message goes out now, to nobody
    const peer = await FakePeer.create(remote!, local!);
    await waitFor(() => peer.heard.length > 0, { timeout: 10_000 }); // far less than the 60 s heartbeat
    expect(peer.heardDigits[0]).toBe("2");
    peer.say("ACTIVE");
    await waitFor(() => peer.heardDigits.includes("4"), { timeout: 10_000 }); // and on every change
    expect(slow.stats().stateSent).toBeGreaterThanOrEqual(3); // start, subscription, change: no heartbeat yet
    expect(slow.stats().stateSent).toBeLessThanOrEqual(4);
  });

  it("ignores malformed state messages, which do not count as signs of life", async () => {
    const [local, remote] = await endpoints(2);
    const primary = node({ role: "primary", bind: local!, peer: remote! });
    const drops: string[] = [];
    primary.on("drop", (e) => drops.push(`${e.reason}: ${e.error.code}`));
    const startedAt = performance.now();
    await primary.start();
    const peer = await FakePeer.create(remote!, local!);
    peer.say([Buffer.from("3\0")]);
    await waitFor(() => primary.stats().malformed >= 3, { timeout: 5000 });
    expect(primary.state).toBe("PRIMARY");
    expect(primary.peerState).toBeUndefined();
    expect(drops[0]).toBe("malformed: ERR_PROTOCOL");
    // The garbage did not refresh the peer expiry: after two heartbeats from start, a vote wins.
    await waitFor(() => primary.admit({}), { timeout: 5000 });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(2 * HB - 1);
    expect(primary.state).toBe("ACTIVE");
  });

  it("a primary alone waits two heartbeats from its start before a client vote makes it active", async () => {
    const [local, remote] = await endpoints(2);
    const primary = node({ role: "primary", bind: local!, peer: remote! });
    await primary.start();
    const startedAt = performance.now();
    expect(primary.admit({})).toBe(false);
    await waitFor(() => primary.admit({}), { timeout: 5000 });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(2 * HB - 5);
  });

  it("a lone backup never serves, however long clients vote", async () => {
    const [local, remote] = await endpoints(2);
    const backup = node({ role: "backup", bind: local!, peer: remote! });
    await backup.start();
    const until = performance.now() + 8 * HB;
    let admitted = 0;
    let votes = 0;
    while (performance.now() < until) {
      votes++;
      if (backup.admit({})) admitted++;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(admitted).toBe(0);
    expect(backup.stats()).toMatchObject({ state: "BACKUP", admitted: 0, rejected: votes, transitions: 0 });
  });

  /** A started node of `role` facing a fake peer that has said `says`, once the node reached `reaches`. */
  async function facingFakePeer(role: "primary" | "backup", says: BinaryStarState, reaches: BinaryStarState) {
    const [local, remote] = await endpoints(2);
    const n = node({ role, bind: local!, peer: remote! });
    await n.start();
    const peer = await FakePeer.create(remote!, local!);
    peer.say(says);
    await waitFor(() => n.state === reaches, { timeout: 5000 });
    return { n, peer };
  }

  it("a peer saying ACTIVE no longer stops an active primary (regression: one \"3\" was fatal): it keeps publishing and admitting", async () => {
    const { n: primary, peer } = await facingFakePeer("primary", "BACKUP", "ACTIVE");
    const fatal: unknown[] = [];
    primary.on("fatal", (e) => fatal.push(e));
    peer.say("ACTIVE");
    await waitFor(() => primary.peerState === "ACTIVE", { timeout: 5000 });
    const heard = peer.heard.length;
    await waitFor(() => peer.heard.length >= heard + 5, { timeout: 5000 }); // five more heartbeats
    expect(fatal).toEqual([]);
    expect(primary.admit({})).toBe(true);
    expect(primary.isActive).toBe(true);
    expect(primary.stats()).toMatchObject({ state: "ACTIVE", fatal: undefined });
    expect(peer.heardDigits.slice(heard)).toEqual(Array(peer.heard.length - heard).fill("3"));
  });

  it("an active backup that goes on hearing ACTIVE yields: it steps down to PASSIVE and keeps running", async () => {
    const { n: backup, peer } = await facingFakePeer("backup", "ACTIVE", "PASSIVE");
    peer.stop();
    await waitFor(() => backup.admit({}), { timeout: 5000 }); // took over after peer silence
    const passive = nextEvent(backup, "passive", { timeout: 5000 });
    peer.say("ACTIVE");
    expect((await passive)[0]).toMatchObject({ from: "ACTIVE", to: "PASSIVE", event: "PEER_ACTIVE" });
    expect(backup.stats()).toMatchObject({ state: "PASSIVE", fatal: undefined });
    expect(backup.admit({})).toBe(false);
  });

  it("dual passives no longer stop a backup: it stays PASSIVE and running", async () => {
    const { n: backup, peer } = await facingFakePeer("backup", "ACTIVE", "PASSIVE");
    peer.say("PASSIVE");
    await waitFor(() => backup.peerState === "PASSIVE", { timeout: 5000 });
    const heard = peer.heard.length;
    await waitFor(() => peer.heard.length >= heard + 3, { timeout: 5000 });
    expect(backup.stats()).toMatchObject({ state: "PASSIVE", fatal: undefined });
  });

  it("pairs over CURVE", async () => {
    const [pLocal, bLocal] = await endpoints(2);
    const pk = curveKeyPair();
    const bk = curveKeyPair();
    const primary = node({ role: "primary", bind: pLocal!, peer: bLocal!, curve: { ...pk, peerKey: bk.publicKey } });
    const backup = node({ role: "backup", bind: bLocal!, peer: pLocal!, curve: { ...bk, peerKey: pk.publicKey } });
    await Promise.all([primary.start(), backup.start()]);
    await waitFor(() => primary.state === "ACTIVE" && backup.state === "PASSIVE", { timeout: 5000 });
  });

  it("validates options and has an idempotent life cycle", async () => {
    expect(() => new BinaryStar({ role: "master" as "primary", bind: "tcp://127.0.0.1:*", peer: "tcp://127.0.0.1:1" })).toThrow(InvalidOptionError);
    expect(() => new BinaryStar({ role: "primary", bind: "", peer: "tcp://127.0.0.1:1" })).toThrow(InvalidOptionError);
    expect(() => new BinaryStar({ role: "primary", bind: "tcp://127.0.0.1:*", peer: "tcp://127.0.0.1:1", heartbeatInterval: 0 })).toThrow(InvalidOptionError);
    expect(() => new BinaryStar({ role: "primary", bind: "tcp://127.0.0.1:*", peer: "" })).toThrow(InvalidOptionError);
    expect(() => new BinaryStar({ role: "primary", bind: "tcp://127.0.0.1:*", peer: "tcp://127.0.0.1:1", liveness: 0 })).toThrow(InvalidOptionError);
    expect(new BinaryStar({ role: "backup", bind: "tcp://127.0.0.1:*", peer: "tcp://127.0.0.1:1", liveness: 3 }).peerTimeout).toBe(3 * BINARY_STAR_DEFAULTS.heartbeatInterval);
    const n = node({ role: "primary", bind: "tcp://127.0.0.1:*", peer: "tcp://127.0.0.1:1" });
    expect(() => n.endpoint).toThrow(NotStartedError);
    expect(n.admit({})).toBe(false); // not started
    await n.start();
    await n.start();
    expect(n.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(n.peerTimeout).toBe(2 * HB);
    await Promise.all([n.close(), n.close()]);
    expect(n.admit({})).toBe(false);
    await expect(n.start()).rejects.toBeInstanceOf(ClosedError);
  });

  it("regression: a start() that failed (bind EADDRINUSE) can be retried once the port is free", async () => {
    const [bind, peerEndpoint] = await endpoints(2);
    const squatter = new Channel(createSocket("publisher"));
    cleanup.push(() => squatter.close());
    await squatter.socket.bind(bind!);
    const n = node({ role: "primary", bind: bind!, peer: peerEndpoint! });
    const error = await n.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SocketError);
    expect((error as SocketError).zmqCode).toBe("EADDRINUSE");
    expect((error as SocketError).message).toContain(bind);
    expect(() => n.endpoint).toThrow(NotStartedError);
    expect(n.admit({})).toBe(false);
    await squatter.close({ release: 2000 });
    await n.start(); // before the fix: ClosedError, the node stayed closed for good
    expect(n.endpoint).toBe(bind);
    const peer = await FakePeer.create(peerEndpoint!, bind!);
    await waitFor(() => peer.heardDigits.includes("1"), { timeout: 5000 });
    peer.say("BACKUP");
    await waitFor(() => n.state === "ACTIVE", { timeout: 5000 });
    expect(n.admit({})).toBe(true);
  });

  it("rejects a connect failure with a SocketError naming the peer endpoint, and frees its bound port", async () => {
    const [bind] = await endpoints(1);
    const n = node({ role: "backup", bind: bind!, peer: "nonsense://peer" });
    const error = await n.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SocketError);
    expect((error as SocketError).message).toContain("nonsense://peer");
    expect(() => n.endpoint).toThrow(NotStartedError);
    // The state publisher bound before the connect failed; it was closed, so the port can be bound again.
    const other = node({ role: "primary", bind: bind!, peer: "tcp://127.0.0.1:1" });
    await other.start();
    expect(other.endpoint).toBe(bind);
  });
});
