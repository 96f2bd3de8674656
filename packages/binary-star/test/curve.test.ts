/**
 * `binary-star-server` pairs with CURVE (issue 11, finding 9): the state link
 * runs through CURVE (the SUB verifies the peer's key, the state PUB admits
 * only the peer), the pair still elects exactly one active, clients with an
 * allowed key are served, and state from anything but the peer is ignored.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Channel, type CurveClientOptions, type CurveKeyPair, createSocket, curveKeyPair, writeCurveKeyPair } from "@zmq-reliable/core";
import { type ChildHandle, killAllChildren, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BinaryStarClient, encodeState } from "../src/index.js";
import { cleanup, closeAll, endpoints } from "./helpers.js";
import { CLI, pairLayout, stateLines } from "./processes.js";

const NAME = "binary-star-server";
afterEach(async () => {
  await closeAll();
  await killAllChildren();
});

function keys() {
  const dir = mkdtempSync(join(tmpdir(), "zmqr-bstar-curve-"));
  const pairs = { primary: curveKeyPair(), backup: curveKeyPair(), client: curveKeyPair() };
  for (const [name, pair] of Object.entries(pairs)) writeCurveKeyPair(join(dir, name), pair);
  writeFileSync(join(dir, "allow"), "client\n");
  const flags = (self: "primary" | "backup") => {
    const peer = self === "primary" ? "backup" : "primary";
    // The primary names the peer by its public certificate, the backup by the key itself: both forms work
    // (with "=": a Z85 key may start with "-", which would read as a flag).
    return ["--curve-secret-file", join(dir, `${self}_secret`), `--curve-peer-key=${self === "primary" ? join(dir, peer) : pairs[peer].publicKey}`, "--allow-keys-file", join(dir, "allow")];
  };
  return { dir, pairs, flags };
}

function client(frontends: [string, string], pairs: Record<"primary" | "backup" | "client", CurveKeyPair>, self = pairs.client): BinaryStarClient {
  const curve: [CurveClientOptions, CurveClientOptions] = [
    { serverKey: pairs.primary.publicKey, ...self },
    { serverKey: pairs.backup.publicKey, ...self },
  ];
  const c = new BinaryStarClient({ endpoint: frontends, heartbeatInterval: 50, curve });
  cleanup.push(() => c.close());
  return c;
}

/** A raw SUB connected to a node's state PUB, recording what it hears. */
function listen(endpoint: string, curve?: CurveClientOptions): Buffer[][] {
  const heard: Buffer[][] = [];
  const sub = new Channel(createSocket("subscriber", { curve }));
  cleanup.push(() => sub.close());
  sub.socket.subscribe();
  sub.socket.connect(endpoint);
  sub.listen((m) => heard.push(m));
  return heard;
}

describe("binary-star-server pair with CURVE", () => {
  it("elects exactly one active over a CURVE state link; the state PUB admits only the peer; allowed clients are served", async () => {
    const k = keys();
    const layout = await pairLayout(50);
    const primary = spawnNode(CLI, [...layout.primary, ...k.flags("primary")]);
    const backup = spawnNode(CLI, [...layout.backup, ...k.flags("backup")]);
    for (const child of [primary, backup]) expect(await child.waitForLine(/^started /)).toMatch(/ curve=on pid=/);
    // Each hears the other through CURVE: the state link works.
    await primary.waitForLine(/^peer state=/);
    await backup.waitForLine(/^peer state=/);
    expect((await client(layout.frontends, k.pairs).request(["hello"])).map(String)).toEqual(["hello"]);
    await backup.waitForLine(/^peer state=ACTIVE/);
    const active = (c: ChildHandle) => stateLines(c).at(-1)?.to === "ACTIVE";
    await waitFor(() => active(primary));
    expect(stateLines(primary).map((l) => l.to)).toEqual(["ACTIVE"]);
    expect(stateLines(backup).map((l) => l.to)).toEqual(["PASSIVE"]);

    // Anything but the peer on the state PUB is refused by ZAP's peer domain: a stranger, and even an allowed client.
    const local = layout.primary[layout.primary.indexOf("--local") + 1]!;
    const stranger = curveKeyPair();
    const heardByStranger = listen(local, { serverKey: k.pairs.primary.publicKey, ...stranger });
    const heardByClient = listen(local, { serverKey: k.pairs.primary.publicKey, ...k.pairs.client });
    const heardInPlain = listen(local);
    await waitFor(() => primary.stderr.includes(`denied CURVE client ${stranger.publicKey}`) && primary.stderr.includes(`denied CURVE client ${k.pairs.client.publicKey}`), {
      timeout: 5000,
      message: primary.stderr,
    });
    expect(primary.stderr).toMatch(/denied CURVE client \S+ from "127\.0\.0\.1" \(domain "peer"\): Client key not allowed/);
    await backup.waitForLine(/^peer state=ACTIVE/); // the peer itself still hears (several heartbeats went by)
    expect([heardByStranger, heardByClient, heardInPlain]).toEqual([[], [], []]);

    // A client key not on the allow-list is not served.
    const refused = client(layout.frontends, k.pairs, curveKeyPair()).request(["nope"], { deadline: 500 });
    await expect(refused).rejects.toThrow();
    expect(stateLines(primary).map((l) => l.to)).toEqual(["ACTIVE"]); // still exactly one active
    expect(stateLines(backup).map((l) => l.to)).toEqual(["PASSIVE"]);
    for (const child of [primary, backup]) {
      expect(child.stderr).not.toContain(k.pairs.primary.secretKey);
      expect(child.stderr).not.toContain(k.pairs.backup.secretKey);
      await child.kill("SIGTERM");
      expect(await child.exited).toEqual({ code: 0, signal: null });
    }
  });

  it.each([
    ["with CURVE, an impostor at --remote (another key) is never heard", true],
    ["control, without CURVE: anything at --remote can send state", false],
  ])("%s", async (_what, curve) => {
    const k = keys();
    const [frontend, local, remote] = await endpoints(3);
    const impostor = new Channel(createSocket("publisher", { curve: curve ? { secretKey: curveKeyPair().secretKey } : undefined }));
    cleanup.push(() => impostor.close());
    await impostor.socket.bind(remote!);
    const timer = setInterval(() => impostor.post(encodeState("ACTIVE")), 20);
    cleanup.push(() => clearInterval(timer));
    const args = ["--primary", "--frontend", frontend!, "--local", local!, "--remote", remote!, "--heartbeat", "50"];
    const primary = spawnNode(CLI, curve ? [...args, ...k.flags("primary")] : args);
    await primary.waitForLine(/^started /);
    if (!curve) {
      await primary.waitForLine(/^peer state=ACTIVE/);
      await waitFor(() => stateLines(primary).some((l) => l.to === "PASSIVE"));
      return;
    }
    // It never hears the impostor: alone, a client's request makes it active.
    expect((await client([frontend!, remote!], k.pairs).request(["hi"])).map(String)).toEqual(["hi"]);
    await waitFor(() => stateLines(primary).length > 0);
    expect(stateLines(primary).map((l) => l.to)).toEqual(["ACTIVE"]);
    expect(primary.lines.filter((l) => l.startsWith("peer state="))).toEqual([]);
  });

  it("CURVE flag mistakes on a pair: exit 2, one line naming the flag", async () => {
    const k = keys();
    const cases: [string[], string][] = [
      [["--primary", "--curve-secret-file", join(k.dir, "primary_secret")], "--curve-secret-file needs --curve-peer-key on a pair (the peer's public key, for the state link)"],
      [["--primary", "--allow-keys-file", join(k.dir, "allow")], "--allow-keys-file needs --curve-secret-file (the allow-list admits CURVE clients)"],
      [["--primary", "--curve-secret-file", join(k.dir, "missing")], `--curve-secret-file: ${join(k.dir, "missing")}: no such file`],
      [["--primary", "--curve-secret-file", join(k.dir, "primary_secret"), "--curve-peer-key", "short"], "--curve-peer-key: short: neither a key (40 characters of Z85) nor an existing certificate file"],
    ];
    for (const [args, message] of cases) {
      const child = spawnNode(CLI, args);
      expect(await child.exited).toEqual({ code: 2, signal: null });
      expect(child.stderr).toBe(`${NAME}: ${message} (see ${NAME} --help)\n`);
    }
  });

  it("warns once at start about endpoints bound on all interfaces without CURVE", async () => {
    const [remote] = await endpoints(1);
    const child = spawnNode(CLI, ["--backup", "--frontend", "tcp://*:*", "--local", "tcp://127.0.0.1:*", "--remote", remote!]);
    await child.waitForLine(/^started .* curve=off /);
    const warnings = child.stderr.split("\n").filter((l) => l.includes(" WARN warning: "));
    expect(warnings).toEqual([expect.stringMatching(/warning: bound tcp:\/\/0\.0\.0\.0:\d+ on all interfaces without CURVE: /)]);
  });
});

