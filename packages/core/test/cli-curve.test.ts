/** core's CLI runner with CURVE_FLAGS, as a process (test/fixtures/cli-curve.mjs: an echo ROUTER). */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { type CurveKeyPair, curveKeyPair, formatCurveCert, writeCurveKeyPair } from "../src/index.js";
import { killAllChildren, spawnNode, waitFor } from "../src/testing/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/cli-curve.mjs", import.meta.url));
const NAME = "curve-bin";
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await killAllChildren();
});

function keyDir(): { dir: string; server: CurveKeyPair; secretFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "zmqr-cli-curve-"));
  const server = curveKeyPair();
  writeCurveKeyPair(join(dir, "server"), server);
  return { dir, server, secretFile: join(dir, "server_secret") };
}

/** A DEALER with `keys` sending "ping"; resolves the reply or `undefined` after `timeout`. */
async function ping(endpoint: string, serverKey: string, keys: CurveKeyPair, timeout = 1000): Promise<string | undefined> {
  const dealer = new zmq.Dealer({ linger: 0, curveServerKey: serverKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey, receiveTimeout: timeout });
  closers.push(() => dealer.close());
  dealer.connect(endpoint);
  await dealer.send("ping");
  try {
    return String((await dealer.receive())[0]);
  } catch {
    return undefined;
  }
}

describe("runCli with CURVE_FLAGS", () => {
  it("without CURVE: curve=off, and one warning line for an endpoint on all interfaces (none for 127.0.0.1)", async () => {
    const open = spawnNode(FIXTURE, ["--bind", "tcp://*:*"]);
    expect(await open.waitForLine(/^started /)).toMatch(/^started bind=tcp:\/\/0\.0\.0\.0:\d+ endpoint=\S+ curve=off pid=\d+ at=[\d.]+$/);
    const warnings = open.stderr.split("\n").filter((l) => l.includes("WARN"));
    expect(warnings).toEqual([
      expect.stringMatching(/Z WARN warning: bound tcp:\/\/0\.0\.0\.0:\d+ on all interfaces without CURVE: any host that can reach it can connect; use --curve-secret-file or bind 127\.0\.0\.1$/),
    ]);
    const local = spawnNode(FIXTURE, []);
    expect(await local.waitForLine(/^started /)).toMatch(/ curve=off /);
    expect(local.stderr).toBe("");
  });

  it("--curve-secret-file: curve=on, no warning, CURVE clients served; --allow-keys-file admits only the listed keys", async () => {
    const { dir, server, secretFile } = keyDir();
    const alice = curveKeyPair();
    writeCurveKeyPair(join(dir, "alice"), alice);
    writeFileSync(join(dir, "allow"), "# clients\nalice\n");
    const child = spawnNode(FIXTURE, ["--bind", "tcp://*:*", "--curve-secret-file", secretFile, "--allow-keys-file", join(dir, "allow")]);
    const line = await child.waitForLine(/^started /);
    expect(line).toMatch(/ curve=on pid=/);
    expect(child.stderr).not.toContain("warning");
    const endpoint = /endpoint=(\S+)/.exec(line)![1]!;
    expect(await ping(endpoint, server.publicKey, alice)).toBe("ping");
    const stranger = curveKeyPair();
    expect(await ping(endpoint, server.publicKey, stranger, 300)).toBeUndefined();
    await waitFor(() => child.stderr.includes(`denied CURVE client ${stranger.publicKey}`), { timeout: 5000 });
    expect(child.stderr).not.toContain(server.secretKey);
    await child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("without an allow-list any CURVE client is served (encrypted, not authenticated)", async () => {
    const { server, secretFile } = keyDir();
    const child = spawnNode(FIXTURE, ["--curve-secret-file", secretFile]);
    const endpoint = /endpoint=(\S+)/.exec(await child.waitForLine(/^started /))![1]!;
    expect(await ping(endpoint, server.publicKey, curveKeyPair())).toBe("ping");
  });

  it("bad key files and flag combinations: exit 2, one stderr line naming the flag and the file, no secret echoed", async () => {
    const { dir, server, secretFile } = keyDir();
    const other = curveKeyPair();
    writeFileSync(join(dir, "mixed_secret"), formatCurveCert({ publicKey: server.publicKey, secretKey: other.secretKey }, new Date()));
    writeFileSync(join(dir, "garbage"), "curve\n    secret-key = \"oops\n");
    writeFileSync(join(dir, "allow-bad"), "nobody\n");
    const cases: [string[], string, Record<string, string>?][] = [
      [["--curve-secret-file", join(dir, "missing")], `--curve-secret-file: ${join(dir, "missing")}: no such file`],
      [["--curve-secret-file", join(dir, "garbage")], `--curve-secret-file: ${join(dir, "garbage")}: malformed at line 2 (expected "name" or "name = value")`],
      [["--curve-secret-file", join(dir, "server")], `--curve-secret-file: ${join(dir, "server")}: no secret-key (a public certificate; give the <name>_secret file)`],
      [["--curve-secret-file", join(dir, "mixed_secret")], `--curve-secret-file: ${join(dir, "mixed_secret")}: public-key does not match secret-key (public/secret mismatch)`],
      [["--allow-keys-file", join(dir, "allow-bad")], "--allow-keys-file needs --curve-secret-file (the allow-list admits CURVE clients)"],
      [["--curve-secret-file", secretFile, "--allow-keys-file", join(dir, "allow-bad")], `--allow-keys-file: ${join(dir, "allow-bad")}: line 1: neither a key (40 characters of Z85) nor an existing certificate file`],
      [["--curve-secret-file", secretFile], "--curve-secret-file needs --curve-peer-key on a pair (the peer's public key, for the state link)", { FIXTURE_PAIR: "1" }],
      [[`--curve-peer-key=${server.publicKey}`], "--curve-peer-key needs --curve-secret-file (this node's own key pair)", { FIXTURE_PAIR: "1" }],
      [["--curve-secret-file", secretFile, "--curve-peer-key", join(dir, "nope")], `--curve-peer-key: ${join(dir, "nope")}: neither a key (40 characters of Z85) nor an existing certificate file`, { FIXTURE_PAIR: "1" }],
    ];
    for (const [args, message, env] of cases) {
      const child = spawnNode(FIXTURE, args, { env });
      expect(await child.exited).toEqual({ code: 2, signal: null });
      expect(child.stderr).toBe(`${NAME}: ${message} (see ${NAME} --help)\n`);
      expect(child.stderr).not.toContain(other.secretKey);
      expect(child.lines).toEqual([]);
    }
  });

  it.skipIf(process.getuid?.() === 0)("an unreadable key file: exit 2 naming the flag and the file (not as root)", async () => {
    const { secretFile } = keyDir();
    chmodSync(secretFile, 0o000);
    const child = spawnNode(FIXTURE, ["--curve-secret-file", secretFile]);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toBe(`${NAME}: --curve-secret-file: ${secretFile}: cannot be read (permission denied) (see ${NAME} --help)\n`);
  });

  it("--help lists the CURVE flags", async () => {
    const child = spawnNode(FIXTURE, ["--help"], { env: { FIXTURE_PAIR: "1" } });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    for (const flag of ["--curve-secret-file <path>", "--allow-keys-file <path>", "--curve-peer-key <z85|path>"]) expect(child.lines.join("\n")).toContain(flag);
  });
});
