/**
 * `majordomo-broker` with CURVE, end to end (issue 11, finding 9): a library
 * client and worker talk to the bin through TCP relays that record every
 * byte; with CURVE no request or reply body crosses the wire in plain text,
 * without it (the control) it does; an unknown key is refused while allowed
 * clients are served.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CurveClientOptions, type CurveKeyPair, curveKeyPair, writeCurveKeyPair } from "@zmq-reliable/core";
import { type ChildHandle, RecordingRelay, killAllChildren, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MajordomoClient, MajordomoWorker } from "../src/index.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const NAME = "majordomo-broker";
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await killAllChildren();
});

/** A recording relay to `target`, closed after the test. */
async function relayTo(target: string): Promise<RecordingRelay> {
  const relay = await RecordingRelay.to(target);
  closers.push(() => relay.close());
  return relay;
}

/** Key pairs written as certificates: the broker's, the worker's and the allowed client's (both listed in `allow`). */
function keys() {
  const dir = mkdtempSync(join(tmpdir(), "zmqr-mdp-curve-"));
  const pairs = { broker: curveKeyPair(), worker: curveKeyPair(), client: curveKeyPair() };
  for (const [name, pair] of Object.entries(pairs)) writeCurveKeyPair(join(dir, name), pair);
  writeFileSync(join(dir, "allow"), "# the worker and the one allowed client\nworker\nclient\n");
  const clientOf = (pair: CurveKeyPair): CurveClientOptions => ({ serverKey: pairs.broker.publicKey, ...pair });
  return { dir, pairs, clientOf, secretFile: join(dir, "broker_secret"), allowFile: join(dir, "allow") };
}

async function startBroker(...args: string[]): Promise<{ child: ChildHandle; endpoint: string; line: string }> {
  const child = spawnNode(CLI, ["--bind", "tcp://127.0.0.1:*", "--heartbeat", "100", ...args]);
  const line = await child.waitForLine(/^started /);
  return { child, line, endpoint: /^started bind=(\S+) /.exec(line)![1]! };
}

/** A worker for `reverse` (replies with the body reversed, so the reply is as distinctive as the request). */
async function startWorker(endpoint: string, curve?: CurveClientOptions): Promise<MajordomoWorker> {
  const worker = new MajordomoWorker({ endpoint, service: "reverse", heartbeatInterval: 100, handler: ([body]) => Buffer.from([...body!].reverse()), curve });
  closers.push(() => worker.close());
  await worker.start();
  return worker;
}

function client(endpoint: string, curve?: CurveClientOptions, attempts = 20): MajordomoClient {
  const c = new MajordomoClient({ endpoint, timeout: 250, attempts, curve });
  closers.push(() => c.close());
  return c;
}

const secretBody = () => randomBytes(32).toString("hex"); // 64 hex characters no other traffic contains
const reversed = (text: string) => [...text].reverse().join("");

describe("majordomo-broker with CURVE, through recording TCP relays", () => {
  it("control, without CURVE: the request and the reply cross the relays in plain text", async () => {
    const { endpoint } = await startBroker();
    const [toClient, toWorker] = [await relayTo(endpoint), await relayTo(endpoint)];
    await startWorker(toWorker.endpoint);
    const body = secretBody();
    expect((await client(toClient.endpoint).request("reverse", body)).map(String)).toEqual([reversed(body)]);
    expect(toClient.bytes().includes(body)).toBe(true);
    expect(toClient.bytes().includes(reversed(body))).toBe(true);
    expect(toWorker.bytes().includes(body)).toBe(true);
  });

  it("with --curve-secret-file and --allow-keys-file: served correctly, no body on the wire; an unknown key is refused (one log line) while the allowed client is served", async () => {
    const k = keys();
    const { child, endpoint, line } = await startBroker("--curve-secret-file", k.secretFile, "--allow-keys-file", k.allowFile);
    expect(line).toMatch(/ curve=on pid=/);
    const [toClient, toWorker, toStranger] = [await relayTo(endpoint), await relayTo(endpoint), await relayTo(endpoint)];
    await startWorker(toWorker.endpoint, k.clientOf(k.pairs.worker));
    const allowed = client(toClient.endpoint, k.clientOf(k.pairs.client));
    const bodies = [secretBody(), secretBody(), secretBody()];
    for (const body of bodies) expect((await allowed.request("reverse", body)).map(String)).toEqual([reversed(body)]);
    for (const relay of [toClient, toWorker]) {
      expect(relay.bytes().length).toBeGreaterThan(0);
      for (const body of bodies) {
        expect(relay.bytes().includes(body)).toBe(false);
        expect(relay.bytes().includes(reversed(body))).toBe(false);
      }
      expect(relay.bytes().includes("MDPC01")).toBe(false); // the protocol header is encrypted too
    }

    const stranger = curveKeyPair(); // a valid key pair, not on the allow-list
    const refused = client(toStranger.endpoint, k.clientOf(stranger), 2).request("reverse", secretBody());
    await expect(refused).rejects.toThrow();
    expect((await allowed.request("reverse", bodies[0]!)).map(String)).toEqual([reversed(bodies[0]!)]); // still served
    await waitFor(() => child.stderr.includes(stranger.publicKey), { timeout: 5000, message: child.stderr });
    const denials = child.stderr.split("\n").filter((l) => l.includes(`denied CURVE client ${stranger.publicKey}`));
    expect(denials).toHaveLength(1); // the stranger retried (2 attempts, reconnects); logged once
    expect(child.stderr).not.toContain(k.pairs.broker.secretKey);
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("a client with the wrong server key gets nothing, and nothing is served in plain text to a client without CURVE", async () => {
    const k = keys();
    const { endpoint } = await startBroker("--curve-secret-file", k.secretFile);
    await startWorker(endpoint, k.clientOf(k.pairs.worker));
    const wrongServer = client(endpoint, { ...k.clientOf(k.pairs.client), serverKey: curveKeyPair().publicKey }, 2);
    await expect(wrongServer.request("reverse", "x")).rejects.toThrow();
    await expect(client(endpoint, undefined, 2).request("reverse", "x")).rejects.toThrow();
    expect((await client(endpoint, k.clientOf(curveKeyPair())).request("reverse", "ab")).map(String)).toEqual(["ba"]); // no allow-list: any key
  });
});

describe("majordomo-broker CURVE flags: bad key files", () => {
  it.skipIf(process.getuid?.() === 0)("unreadable (chmod 000; not as root, which reads anything): exit 2 naming the flag and the file", async () => {
    const k = keys();
    chmodSync(k.secretFile, 0o000);
    const child = spawnNode(CLI, ["--curve-secret-file", k.secretFile]);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toBe(`${NAME}: --curve-secret-file: ${k.secretFile}: cannot be read (permission denied) (see ${NAME} --help)\n`);
  });

  it.each([
    ["missing", (d: string) => ["--curve-secret-file", join(d, "nope")], (d: string) => `--curve-secret-file: ${join(d, "nope")}: no such file`],
    ["malformed", (d: string) => ["--curve-secret-file", join(d, "junk")], (d: string) => `--curve-secret-file: ${join(d, "junk")}: malformed at line 1 (expected "name" or "name = value")`],
    ["mismatched", (d: string) => ["--curve-secret-file", join(d, "mixed_secret")], (d: string) => `--curve-secret-file: ${join(d, "mixed_secret")}: public-key does not match secret-key (public/secret mismatch)`],
    ["allow-list alone", (d: string) => ["--allow-keys-file", join(d, "allow")], () => "--allow-keys-file needs --curve-secret-file (the allow-list admits CURVE clients)"],
  ])("%s: exit 2, one line naming the flag and the file", async (_what, args, message) => {
    const k = keys();
    writeFileSync(join(k.dir, "junk"), "== not zpl\n");
    const a = k.pairs.broker;
    const b = curveKeyPair();
    writeFileSync(join(k.dir, "mixed_secret"), `curve\n    public-key = "${a.publicKey}"\n    secret-key = "${b.secretKey}"\n`);
    const child = spawnNode(CLI, args(k.dir));
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toBe(`${NAME}: ${message(k.dir)} (see ${NAME} --help)\n`);
    expect(child.stderr).not.toContain(b.secretKey);
    expect(child.lines).toEqual([]);
  });
});
