/**
 * `ha-majordomo-broker` pairs with CURVE (issue 11, finding 9): both brokers
 * and the Binary Star state link encrypted, one active, an allowed worker and
 * client served, an unknown client refused.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CurveClientOptions, curveKeyPair, writeCurveKeyPair } from "@zmq-reliable/core";
import { type ChildHandle, killAllChildren, reservePort, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { MajordomoClient, MajordomoWorker } from "@zmq-reliable/majordomo";
import { afterEach, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const NAME = "ha-majordomo-broker";
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await killAllChildren();
});

const tcp = async () => `tcp://127.0.0.1:${await reservePort()}`;

describe("ha-majordomo-broker with CURVE", () => {
  it("a pair sharing one key pair: encrypted state link, exactly one active, allowed worker and client served, a stranger refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zmqr-ha-curve-"));
    // One key pair for both brokers, so clients and workers need one server key; each names the other by it.
    const pairs = { broker: curveKeyPair(), worker: curveKeyPair(), client: curveKeyPair() };
    for (const [name, pair] of Object.entries(pairs)) writeCurveKeyPair(join(dir, name), pair);
    writeFileSync(join(dir, "allow"), "worker\nclient\n");
    const [pFront, bFront, pState, bState] = [await tcp(), await tcp(), await tcp(), await tcp()];
    const curveFlags = ["--curve-secret-file", join(dir, "broker_secret"), "--curve-peer-key", join(dir, "broker"), "--allow-keys-file", join(dir, "allow")];
    const start = (role: string, front: string, local: string, remote: string): ChildHandle =>
      spawnNode(CLI, [`--${role}`, "--frontend", front, "--local", local, "--remote", remote, "--heartbeat", "50", "--mdp-heartbeat", "100", ...curveFlags]);
    const primary = start("primary", pFront, pState, bState);
    const backup = start("backup", bFront, bState, pState);
    for (const child of [primary, backup]) expect(await child.waitForLine(/^started /)).toMatch(/ curve=on pid=/);

    const curve = (self: typeof pairs.client): CurveClientOptions => ({ serverKey: pairs.broker.publicKey, ...self });
    const worker = new MajordomoWorker({ endpoint: [pFront, bFront], brokers: "all", service: "echo", heartbeatInterval: 100, handler: (b) => b, curve: curve(pairs.worker) });
    closers.push(() => worker.close());
    await worker.start();
    const client = new MajordomoClient({ endpoint: [pFront, bFront], timeout: 300, attempts: 20, curve: curve(pairs.client) });
    closers.push(() => client.close());
    expect((await client.request("echo", "secret")).map(String)).toEqual(["secret"]);
    await waitFor(() => [primary, backup].some((c) => c.lines.some((l) => /^state from=\w+ to=ACTIVE/.test(l))));
    const last = (c: ChildHandle) => c.lines.filter((l) => l.startsWith("state ")).at(-1) ?? "";
    // The state link runs through CURVE: the other one goes (or stays) passive once it hears the active one.
    await waitFor(() => [last(primary), last(backup)].filter((l) => / to=PASSIVE /.test(l)).length === 1, { timeout: 5000 });
    expect([last(primary), last(backup)].filter((l) => / to=ACTIVE /.test(l))).toHaveLength(1);

    const stranger = curveKeyPair();
    const refused = new MajordomoClient({ endpoint: [pFront, bFront], timeout: 200, attempts: 2, curve: curve(stranger) });
    closers.push(() => refused.close());
    await expect(refused.request("echo", "nope")).rejects.toThrow();
    await waitFor(() => primary.stderr.includes(`denied CURVE client ${stranger.publicKey}`) || backup.stderr.includes(`denied CURVE client ${stranger.publicKey}`));
    expect((await client.request("echo", "still")).map(String)).toEqual(["still"]);
    for (const child of [primary, backup]) expect(child.stderr).not.toContain(pairs.broker.secretKey);
  });

  it("CURVE flag mistakes: exit 2, one line naming the flag", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zmqr-ha-curve-"));
    writeCurveKeyPair(join(dir, "broker"), curveKeyPair());
    const cases: [string[], string][] = [
      [["--primary", "--curve-secret-file", join(dir, "missing_secret"), "--curve-peer-key", join(dir, "broker")], `--curve-secret-file: ${join(dir, "missing_secret")}: no such file`],
      [["--primary", "--curve-secret-file", join(dir, "broker_secret")], "--curve-secret-file needs --curve-peer-key on a pair (the peer's public key, for the state link)"],
      [["--primary", "--allow-keys-file", join(dir, "broker")], "--allow-keys-file needs --curve-secret-file (the allow-list admits CURVE clients)"],
    ];
    for (const [args, message] of cases) {
      const child = spawnNode(CLI, args);
      expect(await child.exited).toEqual({ code: 2, signal: null });
      expect(child.stderr).toBe(`${NAME}: ${message} (see ${NAME} --help)\n`);
    }
  });
});
