#!/usr/bin/env node
/**
 * The baseline server of scenario 1: a raw zeromq.js REP socket that echoes
 * every request. Prints `started endpoint=<ep>`; exits on SIGTERM.
 *
 * @module
 */
import * as zmq from "zeromq";

const socket = new zmq.Reply({ linger: 0 });
await socket.bind("tcp://127.0.0.1:*");
process.stdout.write(`started endpoint=${socket.lastEndpoint}\n`);
process.on("SIGTERM", () => {
  socket.close();
  process.exit(0);
});
for await (const request of socket) await socket.send(request);
