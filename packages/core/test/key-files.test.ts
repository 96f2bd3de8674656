/** CURVE certificate files (CZMQ's ZPL format), allow-lists, the ZAP domains, and the keygen bin. */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  Channel,
  InvalidOptionError,
  PEER_ZAP_DOMAIN,
  ZapAuthenticator,
  bindEphemeral,
  checkCurveKey,
  createSocket,
  curveKeyPair,
  curvePublicKey,
  curveSocketOptions,
  decideZap,
  exposedEndpoints,
  formatCurveCert,
  isCurveKey,
  parseAllowList,
  parseCurveCert,
  readAllowKeys,
  readCurveKeyPair,
  readCurvePublicKey,
  writeCurveKeyPair,
  z85Decode,
  type ZapRequest,
} from "../src/index.js";
import { killAllChildren, spawnNode, waitFor } from "../src/testing/index.js";

const KEYGEN = fileURLToPath(new URL("../dist/io/keygen-cli.js", import.meta.url));
const dir = () => mkdtempSync(join(tmpdir(), "zmqr-keys-"));
const DATE = new Date("2026-11-30T12:00:00Z");

/** The error `fn` throws (it must throw an InvalidOptionError). */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return (err as Error).message;
  }
  throw new Error("did not throw");
}

describe("CURVE certificates (pure)", () => {
  const keys = curveKeyPair();

  it("writes CZMQ's layout and reads it back; the public certificate has no secret", () => {
    const secret = formatCurveCert(keys, DATE);
    expect(secret).toBe(
      [
        "#   ****  Generated on 2026-11-30 by zmq-reliable  ****",
        "#   ZeroMQ CURVE **Secret** Certificate",
        "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
        "",
        "metadata",
        "curve",
        `    public-key = "${keys.publicKey}"`,
        `    secret-key = "${keys.secretKey}"`,
        "",
      ].join("\n"),
    );
    expect(parseCurveCert(secret, "s")).toEqual({ publicKey: keys.publicKey, secretKey: keys.secretKey, metadata: {} });
    const pub = formatCurveCert({ publicKey: keys.publicKey }, DATE);
    expect(pub).not.toContain(keys.secretKey);
    expect(pub).toContain("ZeroMQ CURVE Public Certificate");
    expect(parseCurveCert(pub, "p")).toEqual({ publicKey: keys.publicKey, metadata: {} });
  });

  it("is tolerant: comments, blank lines, tabs, other indentation, single quotes, bare values, CRLF, metadata", () => {
    const text = `# a comment\r\n\r\nmetadata\r\n  name = "alice"\r\ncurve\r\n\tpublic-key = '${keys.publicKey}'   # trailing\r\n        secret-key = ${keys.secretKey}\r\n`;
    expect(parseCurveCert(text, "t")).toEqual({ publicKey: keys.publicKey, secretKey: keys.secretKey, metadata: { name: "alice" } });
  });

  it("is strict about keys, names the file and the line, and never echoes a key", () => {
    const secretLine = `    secret-key = "${keys.secretKey}"`;
    const cases: [string, string][] = [
      [`curve\n    public-key = "${keys.publicKey}\n`, 'f: malformed at line 2 (expected "name" or "name = value")'],
      [`curve\n    public-key = "${keys.publicKey}"\n${secretLine} x\n`, 'f: malformed at line 3 (expected "name" or "name = value")'],
      ["metadata\n", "f: no public-key in a curve section (not a CURVE certificate)"],
      [`curve\n    public-key = "${keys.publicKey.slice(1)}"\n`, "f: public-key must be 40 characters of Z85, got 39 characters"],
      [`curve\n    public-key = "${keys.publicKey}"\n    secret-key = "${keys.secretKey}AB"\n`, "f: secret-key must be 40 characters of Z85, got 42 characters"],
      [`curve\n    public-key = "${" ".repeat(1)}${keys.publicKey.slice(1, 39)}~"\n`, "f: public-key must be 40 characters of Z85, got a character outside Z85"],
      ["== nonsense\n", 'f: malformed at line 1 (expected "name" or "name = value")'],
    ];
    for (const [text, message] of cases) {
      const got = thrown(() => parseCurveCert(text, "f"));
      expect(got).toBe(message);
      expect(got).not.toContain(keys.secretKey);
      expect(got).not.toContain(keys.publicKey.slice(1, 39));
    }
  });

  it("checks keys: 40 characters of Z85 decoding to 32 bytes", () => {
    expect(checkCurveKey(keys.publicKey, "k")).toBe(keys.publicKey);
    expect(z85Decode(keys.publicKey)).toHaveLength(32);
    expect(isCurveKey(keys.publicKey)).toBe(true);
    expect(isCurveKey("clients/alice.key")).toBe(false);
    expect(isCurveKey(`${keys.publicKey.slice(0, 39)}~`)).toBe(false);
  });

  it("parses an allow-list: keys, quoted keys, certificate paths, # comments (Z85 keys may contain #)", () => {
    const withHash = curveKeyPair().publicKey.slice(0, 39) + "#";
    const text = `# clients\n${keys.publicKey}\n\n  "${keys.publicKey}"  # again\n${withHash}\ncerts/alice # a file\n`;
    expect(parseAllowList(text)).toEqual([
      { line: 2, key: keys.publicKey },
      { line: 4, key: keys.publicKey },
      ...(isCurveKey(withHash) ? [{ line: 5, key: withHash }] : [{ line: 5, path: withHash }]),
      { line: 6, path: "certs/alice" },
    ]);
  });

  it("derives the public key from the secret key as libsodium does", () => {
    for (let i = 0; i < 20; i++) {
      const pair = curveKeyPair();
      expect(curvePublicKey(pair.secretKey)).toBe(pair.publicKey);
    }
  });
});

describe("CURVE key files (file system)", () => {
  it("writes <name>_secret (mode 0600) and <name>, refuses to overwrite without force, reads the pair back", () => {
    const d = dir();
    const keys = curveKeyPair();
    const files = writeCurveKeyPair(join(d, "server"), keys, { date: DATE });
    expect(files).toEqual({ secretFile: join(d, "server_secret"), publicFile: join(d, "server") });
    expect(statSync(files.secretFile).mode & 0o777).toBe(0o600);
    expect(readCurveKeyPair(files.secretFile)).toEqual(keys);
    expect(readCurvePublicKey(files.publicFile)).toBe(keys.publicKey);
    expect(readCurvePublicKey(files.secretFile)).toBe(keys.publicKey);
    expect(readCurvePublicKey(keys.publicKey)).toBe(keys.publicKey);
    expect(thrown(() => writeCurveKeyPair(join(d, "server"), curveKeyPair()))).toBe(`${files.secretFile} exists; give --force to overwrite it`);
    expect(readCurveKeyPair(files.secretFile)).toEqual(keys); // untouched
    chmodSync(files.secretFile, 0o644);
    const other = curveKeyPair();
    writeCurveKeyPair(join(d, "server"), other, { force: true });
    expect(readCurveKeyPair(files.secretFile)).toEqual(other);
    expect(statSync(files.secretFile).mode & 0o777).toBe(0o600);
  });

  it("names the file and what is wrong: missing, a directory, a public certificate, a mismatched pair", () => {
    const d = dir();
    const a = curveKeyPair();
    const b = curveKeyPair();
    expect(thrown(() => readCurveKeyPair(join(d, "nope")))).toBe(`${join(d, "nope")}: no such file`);
    expect(thrown(() => readCurveKeyPair(d))).toBe(`${d}: is a directory`);
    writeFileSync(join(d, "pub"), formatCurveCert({ publicKey: a.publicKey }, DATE));
    expect(thrown(() => readCurveKeyPair(join(d, "pub")))).toBe(`${join(d, "pub")}: no secret-key (a public certificate; give the <name>_secret file)`);
    writeFileSync(join(d, "mixed"), formatCurveCert({ publicKey: a.publicKey, secretKey: b.secretKey }, DATE));
    const mismatch = thrown(() => readCurveKeyPair(join(d, "mixed")));
    expect(mismatch).toBe(`${join(d, "mixed")}: public-key does not match secret-key (public/secret mismatch)`);
    expect(mismatch).not.toContain(b.secretKey);
  });

  it.skipIf(process.getuid?.() === 0)("names an unreadable file (not as root: root reads anything)", () => {
    const d = dir();
    writeCurveKeyPair(join(d, "k"), curveKeyPair());
    chmodSync(join(d, "k_secret"), 0o000);
    expect(thrown(() => readCurveKeyPair(join(d, "k_secret")))).toBe(`${join(d, "k_secret")}: cannot be read (permission denied)`);
  });

  it("reads an allow-list of keys and certificate paths (relative to the list), once each", () => {
    const d = dir();
    const alice = curveKeyPair();
    const bob = curveKeyPair();
    writeCurveKeyPair(join(d, "alice"), alice);
    writeFileSync(join(d, "allow"), `# who may connect\n${bob.publicKey}\nalice\n${join(d, "alice")}\n`);
    expect(readAllowKeys(join(d, "allow"))).toEqual([bob.publicKey, alice.publicKey]);
    writeFileSync(join(d, "bad"), `${bob.publicKey}\nnot-a-key\n`);
    expect(thrown(() => readAllowKeys(join(d, "bad")))).toBe(`${join(d, "bad")}: line 2: neither a key (40 characters of Z85) nor an existing certificate file`);
    writeFileSync(join(d, "junk"), "hello\n");
    writeFileSync(join(d, "bad2"), "junk\n");
    expect(thrown(() => readAllowKeys(join(d, "bad2")))).toBe(`${join(d, "bad2")}: line 1: ${join(d, "junk")}: no public-key in a curve section (not a CURVE certificate)`);
  });
});

describe("ZAP domains and open CURVE", () => {
  const request = (domain: string, key: string): ZapRequest => ({
    requestId: Buffer.from("1"),
    domain,
    address: "127.0.0.1",
    identity: Buffer.alloc(0),
    mechanism: "CURVE",
    credentials: [z85Decode(key)],
  });
  const peer = curveKeyPair().publicKey;
  const client = curveKeyPair().publicKey;

  it("checks a listed domain against its own list only; allowAnyCurve opens the other domains", () => {
    const domains = new Map([[PEER_ZAP_DOMAIN, new Set([peer])]]);
    const policy = { allow: new Set([client]), allowNull: false, domains };
    expect(decideZap(request(PEER_ZAP_DOMAIN, peer), policy).status).toBe("200");
    expect(decideZap(request(PEER_ZAP_DOMAIN, client), policy).status).toBe("400");
    expect(decideZap(request("", client), policy).status).toBe("200");
    expect(decideZap(request("", peer), policy).status).toBe("400");
    const open = { ...policy, allow: new Set<string>(), allowAnyCurve: true };
    expect(decideZap(request("", curveKeyPair().publicKey), open).status).toBe("200");
    expect(decideZap(request(PEER_ZAP_DOMAIN, client), open).status).toBe("400");
  });

  it("curveSocketOptions passes a server's zapDomain", () => {
    const { secretKey } = curveKeyPair();
    expect(curveSocketOptions({ secretKey, zapDomain: PEER_ZAP_DOMAIN })).toEqual({ curveServer: true, curveSecretKey: secretKey, zapDomain: PEER_ZAP_DOMAIN });
  });

  it("finds the endpoints bound beyond loopback", () => {
    expect(exposedEndpoints(["tcp://0.0.0.0:5555", "tcp://127.0.0.1:5556", "tcp://[::1]:5557", "tcp://[::]:5558", "ipc:///tmp/x", "tcp://10.0.0.1:1", "inproc://a", "tcp://localhost:2"])).toEqual([
      "tcp://0.0.0.0:5555",
      "tcp://[::]:5558",
      "tcp://10.0.0.1:1",
    ]);
  });
});

describe("ZAP denials (real sockets)", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("logs a refused key once however often it retries, and counts every refusal; the peer domain admits only the peer", async () => {
    const serverKeys = curveKeyPair();
    const peer = curveKeyPair();
    const stranger = curveKeyPair();
    const warnings: string[] = [];
    const zap = new ZapAuthenticator({ allowAnyCurve: true, domains: { [PEER_ZAP_DOMAIN]: [peer.publicKey] }, logger: { warn: (m: string) => warnings.push(m) } });
    await zap.start();
    cleanup.push(() => zap.close());
    const server = new Channel(createSocket("router", { curve: { secretKey: serverKeys.secretKey, zapDomain: PEER_ZAP_DOMAIN } }));
    cleanup.push(() => server.close());
    const endpoint = await bindEphemeral(server.socket);
    server.listen(([id, ...body]) => server.post([id!, ...body]));
    const connect = (keys: { publicKey: string; secretKey: string }) => {
      const dealer = createSocket("dealer", { curve: { serverKey: serverKeys.publicKey, ...keys } });
      const ch = new Channel(dealer);
      const replies: string[] = [];
      ch.listen((m) => replies.push(m.map(String).join("|")));
      dealer.connect(endpoint);
      cleanup.push(() => ch.close());
      return { ch, replies };
    };
    const ok = connect(peer);
    await ok.ch.send("hello");
    await waitFor(() => ok.replies.length === 1);
    const denied = [connect(stranger), connect(stranger), connect(stranger)]; // a client that comes back again and again
    for (const d of denied) void d.ch.send("nope").catch(() => {});
    await waitFor(() => zap.stats().denied >= 3, { timeout: 5000 });
    expect(denied.flatMap((d) => d.replies)).toEqual([]);
    const lines = warnings.filter((w) => w.includes(stranger.publicKey));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/denied CURVE client .* from "127\.0\.0\.1" \(domain "peer"\): Client key not allowed/);
  });
});

describe("zmq-reliable-keygen", () => {
  afterEach(() => killAllChildren());

  it("is core's bin, writes the pair, prints the public key, refuses to overwrite without --force", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin["zmq-reliable-keygen"]).toBe("./bin/zmq-reliable-keygen.js");
    expect(readFileSync(new URL("../bin/zmq-reliable-keygen.js", import.meta.url), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n(.*\n)*import "\.\.\/dist\/io\/keygen-cli\.js";\n$/);
    expect(readFileSync(KEYGEN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const d = dir();
    const name = join(d, "server");
    const first = spawnNode(KEYGEN, ["--name", name]);
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const keys = readCurveKeyPair(`${name}_secret`);
    expect(first.lines).toEqual([`public-key=${keys.publicKey} secret-file=${name}_secret public-file=${name}`]);
    expect(first.stderr).toBe("");
    expect(statSync(`${name}_secret`).mode & 0o777).toBe(0o600);
    expect(readCurvePublicKey(name)).toBe(keys.publicKey);

    const again = spawnNode(KEYGEN, ["--name", name]);
    expect(await again.exited).toEqual({ code: 1, signal: null });
    expect(again.stderr).toBe(`zmq-reliable-keygen: ${name}_secret exists; give --force to overwrite it\n`);
    expect(readCurveKeyPair(`${name}_secret`)).toEqual(keys);

    const forced = spawnNode(KEYGEN, ["--name", name, "--force"]);
    expect(await forced.exited).toEqual({ code: 0, signal: null });
    expect(readCurveKeyPair(`${name}_secret`).publicKey).not.toBe(keys.publicKey);
  });

  it("--help exits 0; no --name is bad usage (exit 2, one line)", async () => {
    const help = spawnNode(KEYGEN, ["--help"]);
    expect(await help.exited).toEqual({ code: 0, signal: null });
    expect(help.lines.join("\n")).toMatch(/^Usage: zmq-reliable-keygen --name <path> \[--force\]/);
    const bare = spawnNode(KEYGEN, []);
    expect(await bare.exited).toEqual({ code: 2, signal: null });
    expect(bare.stderr).toBe("zmq-reliable-keygen: --name is required (where to write the certificates) (see zmq-reliable-keygen --help)\n");
  });
});
