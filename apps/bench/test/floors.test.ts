import { fileURLToPath } from "node:url";
import { killAllChildren, spawnNode } from "@zmq-reliable/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";

const FORWARDER = fileURLToPath(new URL("../dist/programs/forwarder.js", import.meta.url));
afterAll(() => killAllChildren());

const MDPW = "MDPW01";
const MDPC = "MDPC01";

// The floors of the C comparison (c-reference/compare.sh with FLOORS=1) must route MDP as the
// reference C programs speak it: a REQ client (mdclient) and a DEALER worker (mdworker).
describe.each(["zeromq", "zmtp"])("the forwarder's MDP floor over %s", (transport) => {
  it("routes requests and replies between zeromq.js peers, short and long frames", async () => {
    const forwarder = spawnNode(FORWARDER, ["--protocol", "mdp", "--transport", transport, "--frontend", "tcp://127.0.0.1:*"]);
    const endpoint = /frontend=(\S+)/.exec(await forwarder.waitForLine(/^started/))![1]!;
    const worker = new zmq.Dealer({ linger: 0, routingId: "worker-1" });
    const client = new zmq.Request({ linger: 0 });
    try {
      worker.connect(endpoint);
      await worker.send(["", MDPW, Buffer.from([1]), "echo"]); // READY
      const [, , heartbeat] = await worker.receive();
      expect(heartbeat).toEqual(Buffer.from([4])); // the floor answers READY with a HEARTBEAT
      client.connect(endpoint);
      for (const body of ["hello", "x".repeat(300)]) {
        await client.send([MDPC, "echo", body]);
        const request = await worker.receive();
        expect(request.slice(1, 3).map(String)).toEqual([MDPW, "\x02"]);
        expect(String(request[5])).toBe(body);
        await worker.send(["", MDPW, Buffer.from([3]), request[3]!, "", `re:${body}`]);
        const reply = await client.receive();
        expect(reply.map(String)).toEqual([MDPC, "echo", `re:${body}`]);
      }
    } finally {
      worker.close();
      client.close();
      await forwarder.kill("SIGTERM");
    }
  });
});
