/**
 * `paranoid-pirate-queue` with CURVE (issue 11, finding 9): a CURVE client and
 * worker through recording TCP relays; no body in plain text on either side
 * (the control without CURVE shows it), an unknown client key refused while
 * the allowed client is served, bad key files exit 2.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CurveClientOptions, type CurveKeyPair, curveKeyPair, writeCurveKeyPair } from "@zmq-reliable/core";
import { RecordingRelay, killAllChildren, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ParanoidPirateWorker } from "../src/index.js";
import { closeAll, lazyRequest, track } from "./helpers.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const NAME = "paranoid-pirate-queue";
const relays: RecordingRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await killAllChildren();
  await closeAll();
});

async function relayTo(target: string): Promise<RecordingRelay> {
  const relay = await RecordingRelay.to(target);
  relays.push(relay);
  return relay;
}

function keys() {
  const dir = mkdtempSync(join(tmpdir(), "zmqr-ppp-curve-"));
  const pairs = { queue: curveKeyPair(), worker: curveKeyPair(), client: curveKeyPair() };
  for (const [name, pair] of Object.entries(pairs)) writeCurveKeyPair(join(dir, name), pair);
  writeFileSync(join(dir, "allow"), `worker\n${pairs.client.publicKey} # the client, inline\n`);
  const clientOf = (pair: CurveKeyPair): CurveClientOptions => ({ serverKey: pairs.queue.publicKey, ...pair });
  return { dir, pairs, clientOf, flags: ["--curve-secret-file", join(dir, "queue_secret"), "--allow-keys-file", join(dir, "allow")] };
}

async function startQueue(extra: string[]): Promise<{ child: ReturnType<typeof spawnNode>; frontend: string; backend: string; line: string }> {
  const child = spawnNode(CLI, ["--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--heartbeat", "50", ...extra]);
  const line = await child.waitForLine(/^started /);
  const m = /^started frontend=(\S+) backend=(\S+) /.exec(line)!;
  return { child, line, frontend: m[1]!, backend: m[2]! };
}

const reversed = (text: string) => [...text].reverse().join("");

describe("paranoid-pirate-queue with CURVE, through recording TCP relays", () => {
  it.each([false, true])("curve=%s: the body crosses the relays in plain text only without CURVE", async (curve) => {
    const k = keys();
    const { child, frontend, backend, line } = await startQueue(curve ? k.flags : []);
    expect(line).toContain(` curve=${curve ? "on" : "off"} `);
    const [toClient, toWorker] = [await relayTo(frontend), await relayTo(backend)];
    const worker = track(new ParanoidPirateWorker({ endpoint: toWorker.endpoint, heartbeatInterval: 50, handler: ([b]) => reversed(String(b)), curve: curve ? k.clientOf(k.pairs.worker) : undefined }));
    await worker.start();
    const body = randomBytes(32).toString("hex");
    const { reply } = await lazyRequest(toClient.endpoint, [body], { timeout: 1000, curve: curve ? k.clientOf(k.pairs.client) : undefined });
    expect(reply).toEqual([reversed(body)]);
    for (const relay of [toClient, toWorker]) {
      expect(relay.bytes().includes(body)).toBe(!curve);
      expect(relay.bytes().includes(reversed(body))).toBe(!curve);
    }
    if (!curve) return;
    const stranger = curveKeyPair();
    await expect(lazyRequest(toClient.endpoint, ["nope"], { timeout: 200, attempts: 2, curve: k.clientOf(stranger) })).rejects.toThrow(/No reply/);
    expect((await lazyRequest(frontend, ["ab"], { timeout: 1000, curve: k.clientOf(k.pairs.client) })).reply).toEqual(["ba"]);
    await waitFor(() => child.stderr.includes(`denied CURVE client ${stranger.publicKey}`), { timeout: 5000 });
    expect(child.stderr.split("\n").filter((l) => l.includes(`denied CURVE client ${stranger.publicKey}`))).toHaveLength(1);
    expect(child.stderr).not.toContain(k.pairs.queue.secretKey);
  });

  it("bad key files and flags: exit 2, one line naming the flag and the file", async () => {
    const k = keys();
    writeFileSync(join(k.dir, "junk"), "curve\n    public-key = \"short\"\n");
    const cases: [string[], string][] = [
      [["--curve-secret-file", join(k.dir, "missing")], `--curve-secret-file: ${join(k.dir, "missing")}: no such file`],
      [["--curve-secret-file", join(k.dir, "junk")], `--curve-secret-file: ${join(k.dir, "junk")}: public-key must be 40 characters of Z85, got 5 characters`],
      [["--allow-keys-file", join(k.dir, "allow")], "--allow-keys-file needs --curve-secret-file (the allow-list admits CURVE clients)"],
    ];
    for (const [args, message] of cases) {
      const child = spawnNode(CLI, args);
      expect(await child.exited).toEqual({ code: 2, signal: null });
      expect(child.stderr).toBe(`${NAME}: ${message} (see ${NAME} --help)\n`);
    }
  });
});
