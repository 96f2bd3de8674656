/**
 * A measurement floor, not a transport: the least a ZMTP 3.1 ROUTER can be,
 * written over `node:net` (NULL mechanism only, no high-water marks, limits,
 * heartbeats or security), so the C comparison (`c-reference/compare.sh`
 * with `FLOORS=1`) can show what a broker pays for zeromq.js and libzmq's I/O
 * thread. It speaks the real wire (RFC 23/37): greeting, READY with
 * `Socket-Type` ROUTER, short and long frames, and routes by 5-byte routing
 * ids as libzmq does (a peer's own `Identity` when it sends a free one).
 * Frames arrive as `subarray`s of the read buffer.
 *
 * @module
 */
import net from "node:net";

/** Our greeting: signature, version 3.1, mechanism NULL, as-server 0. */
const GREETING = Buffer.alloc(64);
GREETING[0] = 0xff;
GREETING[9] = 0x7f;
GREETING[10] = 3;
GREETING[11] = 1;
GREETING.write("NULL", 12, "latin1");

/** Our READY command: `Socket-Type` = `ROUTER`. */
const READY = (() => {
  const name = Buffer.from("\x05READY\x0bSocket-Type", "latin1");
  const value = Buffer.from("ROUTER", "latin1");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  const body = Buffer.concat([name, length, value]);
  return Buffer.concat([Buffer.from([0x04, body.length]), body]);
})();

/** The `Identity` property of a READY command body (after its name), if any. */
function identityOf(body: Buffer, offset: number): Buffer | undefined {
  while (offset + 5 <= body.length) {
    const nameLength = body[offset]!;
    const name = body.toString("latin1", offset + 1, offset + 1 + nameLength);
    offset += 1 + nameLength;
    const valueLength = body.readUInt32BE(offset);
    offset += 4;
    if (name.toLowerCase() === "identity") return body.subarray(offset, offset + valueLength);
    offset += valueLength;
  }
  return undefined;
}

/** A ZMTP ROUTER listening on TCP; see the module comment. */
export class ZmtpRouter {
  private readonly peers = new Map<string, net.Socket>();
  private readonly server: net.Server;
  private nextId = (Math.random() * 0xffffffff) >>> 0;

  /** @param onMessage - called synchronously with `[routingId, ...frames]` for every message. */
  constructor(private readonly onMessage: (message: Buffer[]) => void) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /**
   * Listens on `tcp://host:port` (`*` for every interface, `*` or 0 for a free port); returns the endpoint.
   *
   * @param endpoint - a `tcp://` endpoint.
   */
  async bind(endpoint: string): Promise<string> {
    const match = /^tcp:\/\/(.+):(\*|\d+)$/.exec(endpoint);
    if (!match) throw new Error(`zmtp-router: only tcp://host:port endpoints, not ${endpoint}`);
    const host = match[1] === "*" ? "0.0.0.0" : match[1]!;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(match[2] === "*" ? 0 : Number(match[2]), host, resolve);
    });
    return `tcp://${host}:${(this.server.address() as net.AddressInfo).port}`;
  }

  /**
   * Sends `[routingId, ...frames]` in one write; drops it when the peer is unknown (as a ROUTER does).
   *
   * @param message - the routing id, then the frames.
   */
  send(message: Buffer[]): void {
    const socket = this.peers.get(message[0]!.toString("latin1"));
    if (!socket) return;
    let total = 0;
    for (let i = 1; i < message.length; i++) total += (message[i]!.length > 255 ? 9 : 2) + message[i]!.length;
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 1; i < message.length; i++) {
      const frame = message[i]!;
      const more = i < message.length - 1 ? 1 : 0;
      if (frame.length > 255) {
        out[at] = 2 | more;
        out.writeBigUInt64BE(BigInt(frame.length), at + 1);
        at += 9;
      } else {
        out[at] = more;
        out[at + 1] = frame.length;
        at += 2;
      }
      at += frame.copy(out, at);
    }
    socket.write(out);
  }

  /** Closes the listener and every connection. */
  close(): void {
    for (const socket of this.peers.values()) socket.destroy();
    this.server.close();
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.write(GREETING);
    let pending: Buffer | undefined;
    let greeted = false;
    let id: Buffer | undefined;
    let frames: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      if (!greeted) {
        if (buf.length < 64) return void (pending = buf); // the greeting comes in parts
        if (buf[0] !== 0xff || buf[9] !== 0x7f || buf[10]! < 3 || buf.toString("latin1", 12, 16) !== "NULL") return void socket.destroy();
        greeted = true;
        at = 64;
        socket.write(READY);
      }
      while (at < buf.length) {
        const flags = buf[at]!;
        const long = (flags & 2) !== 0;
        const header = long ? 9 : 2;
        if (buf.length - at < header) break;
        const size = long ? Number(buf.readBigUInt64BE(at + 1)) : buf[at + 1]!;
        if (buf.length - at - header < size) break;
        const body = buf.subarray(at + header, at + header + size);
        at += header + size;
        if (flags & 4) {
          if (body.toString("latin1", 1, 1 + body[0]!) === "READY" && id === undefined) id = this.register(socket, identityOf(body, 1 + body[0]!));
          else if (body.toString("latin1", 1, 1 + body[0]!) === "ERROR") return void socket.destroy();
          continue; // PING and other commands: nobody here asks for ZMTP heartbeats
        }
        if (id === undefined) return void socket.destroy(); // a message before READY
        frames.push(body);
        if ((flags & 1) === 0) {
          const message = frames;
          frames = [];
          message.unshift(id);
          this.onMessage(message);
        }
      }
      pending = at < buf.length ? buf.subarray(at) : undefined;
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (id !== undefined && this.peers.get(id.toString("latin1")) === socket) this.peers.delete(id.toString("latin1"));
    });
  }

  /** The peer's routing id: its own `Identity` when free, else 0x00 and a 4-byte counter, as libzmq makes them. */
  private register(socket: net.Socket, identity: Buffer | undefined): Buffer {
    let id: Buffer;
    if (identity && identity.length > 0 && !this.peers.has(identity.toString("latin1"))) id = Buffer.from(identity);
    else {
      id = Buffer.alloc(5);
      this.nextId = (this.nextId + 1) >>> 0;
      id.writeUInt32BE(this.nextId, 1);
    }
    this.peers.set(id.toString("latin1"), socket);
    return id;
  }
}
