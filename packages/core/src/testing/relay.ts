import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";

/**
 * A TCP relay on 127.0.0.1 that forwards every connection to a target
 * endpoint and records every byte both ways: put it between a client and a
 * server to check what crosses the wire (say, that CURVE leaves no request
 * body in plain text).
 *
 * ```ts
 * const relay = await RecordingRelay.to("tcp://127.0.0.1:5555");
 * // connect the client to relay.endpoint …
 * expect(relay.bytes().includes(body)).toBe(false);
 * await relay.close();
 * ```
 */
export class RecordingRelay {
  /** Every chunk relayed, in either direction, in arrival order. */
  readonly seen: Buffer[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  /**
   * Starts a relay to `target`.
   *
   * @param target - a `tcp://host:port` endpoint.
   */
  static async to(target: string): Promise<RecordingRelay> {
    const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(target);
    if (!m) throw new Error(`RecordingRelay needs tcp://host:port, got ${target}`);
    const server = createServer();
    const relay = new RecordingRelay(server);
    server.on("connection", (inbound) => relay.pipe(inbound, connect(Number(m[2]), m[1]!)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return relay;
  }

  private pipe(inbound: Socket, outbound: Socket): void {
    for (const socket of [inbound, outbound]) {
      this.sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        this.sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on("data", (chunk: Buffer) => {
      this.seen.push(chunk);
      outbound.write(chunk);
    });
    outbound.on("data", (chunk: Buffer) => {
      this.seen.push(chunk);
      inbound.write(chunk);
    });
  }

  /** The endpoint to connect to instead of the target. */
  get endpoint(): string {
    return `tcp://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Everything relayed so far, as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.seen);
  }

  /** Drops every connection and stops listening. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
