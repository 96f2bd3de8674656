import { afterEach, describe, expect, it } from "vitest";
import {
  Channel,
  InvalidOptionError,
  ProtocolError,
  ZapAuthenticator,
  bindEphemeral,
  createSocket,
  curveKeyPair,
  curveSocketOptions,
  decideZap,
  parseZapRequest,
  z85Decode,
  z85Encode,
} from "../src/index.js";
import { waitFor } from "../src/testing/index.js";

describe("Z85", () => {
  it("matches the RFC 32 test vector", () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe("HelloWorld");
    expect(z85Decode("HelloWorld")).toEqual(bytes);
  });

  it("round-trips curve keys and rejects bad input", () => {
    const { publicKey } = curveKeyPair();
    expect(z85Encode(z85Decode(publicKey))).toBe(publicKey);
    expect(() => z85Encode(Buffer.alloc(3))).toThrow(InvalidOptionError);
    expect(() => z85Decode("abcd")).toThrow(InvalidOptionError);
    expect(() => z85Decode("~~~~~")).toThrow(InvalidOptionError);
  });

  it("validates curve options", () => {
    const server = curveKeyPair();
    expect(curveSocketOptions({ secretKey: server.secretKey })).toEqual({ curveServer: true, curveSecretKey: server.secretKey });
    expect(() => curveSocketOptions({ secretKey: "short" })).toThrow(InvalidOptionError);
  });
});

describe("ZAP decisions (pure)", () => {
  const frames = (mechanism: string, creds: Buffer[]) =>
    [Buffer.alloc(0), ...["1.0", "7", "global", "127.0.0.1", "", mechanism].map((f) => Buffer.from(f)), ...creds] as Buffer[];

  it("allows listed CURVE keys only", () => {
    const { publicKey } = curveKeyPair();
    const req = parseZapRequest(frames("CURVE", [z85Decode(publicKey)]));
    expect(req.requestId.toString()).toBe("7");
    expect(decideZap(req, { allow: new Set([publicKey]), allowNull: false })).toEqual({ status: "200", text: "OK", userId: publicKey });
    expect(decideZap(req, { allow: new Set(), allowNull: false }).status).toBe("400");
    expect(decideZap(parseZapRequest(frames("NULL", [])), { allow: new Set(), allowNull: true }).status).toBe("200");
    expect(decideZap(parseZapRequest(frames("PLAIN", [])), { allow: new Set(), allowNull: true }).status).toBe("400");
  });

  it("rejects malformed requests with ProtocolError", () => {
    expect(() => parseZapRequest([Buffer.from("x")])).toThrow(ProtocolError);
    const bad = frames("CURVE", []);
    bad[1] = Buffer.from("2.0");
    expect(() => parseZapRequest(bad)).toThrow(ProtocolError);
  });
});

describe("CURVE with the ZAP authenticator (real sockets)", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("serves allowed clients and refuses others", async () => {
    const serverKeys = curveKeyPair();
    const good = curveKeyPair();
    const bad = curveKeyPair();
    const zap = new ZapAuthenticator({ allow: [good.publicKey] });
    await zap.start();
    cleanup.push(() => zap.close());

    const server = new Channel(createSocket("router", { curve: { secretKey: serverKeys.secretKey } }));
    cleanup.push(() => server.close());
    const endpoint = await bindEphemeral(server.socket);
    server.listen(([id, ...body]) => server.post([id!, ...body]));

    const connect = (keys: { publicKey: string; secretKey: string }) => {
      const dealer = createSocket("dealer", { curve: { serverKey: serverKeys.publicKey, ...keys } });
      const events: string[] = [];
      dealer.events.on("handshake:error:auth", () => events.push("auth-error"));
      const ch = new Channel(dealer);
      const replies: string[] = [];
      ch.listen((m) => replies.push(m.map(String).join("|")));
      dealer.connect(endpoint);
      cleanup.push(() => ch.close());
      return { ch, events, replies };
    };

    const ok = connect(good);
    await ok.ch.send("hello");
    await waitFor(() => ok.replies.length === 1);
    expect(ok.replies).toEqual(["hello"]);

    const denied = connect(bad);
    void denied.ch.send("nope").catch(() => {});
    await waitFor(() => denied.events.includes("auth-error"));
    expect(denied.replies).toEqual([]);
    expect(zap.stats()).toMatchObject({ accepted: 1 });
    expect(zap.stats().denied).toBeGreaterThanOrEqual(1);
  });
});
