/** RequestServer stats().latency: request received → reply handed to zeromq, on the server's clock (issue 13). */
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { RequestServer } from "../src/index.js";
import { FakeClock } from "../src/testing/index.js";

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe("RequestServer latency", () => {
  it("measures each reply on the clock and reports percentiles", async () => {
    const clock = new FakeClock();
    let cost = 0;
    const server = new RequestServer({
      name: "latency",
      bind: "tcp://127.0.0.1:*",
      clock,
      handler: (body) => {
        clock.advance(cost); // the handler "takes" cost ms of the server's clock
        return body;
      },
    });
    open.push(server);
    await server.start();
    const req = new zmq.Request({ linger: 0, receiveTimeout: 5000 });
    open.push(req);
    req.connect(server.endpoint);
    for (const ms of [10, 20, 30, 40]) {
      cost = ms;
      await req.send(String(ms));
      expect((await req.receive()).map(String)).toEqual([String(ms)]);
    }
    expect(server.stats().latency).toEqual({ window: 4, p50: 20, p90: 40, p99: 40, max: 40, count: 4, sum: 100 });
  });
});
