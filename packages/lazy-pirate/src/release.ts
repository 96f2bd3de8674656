/**
 * Closing a bound socket so that its port is free when the close resolves
 * (internal). Candidate for core.
 *
 * @module
 */
import type * as zmq from "zeromq";

/**
 * Runs `close` (which closes `socket`) and then waits until libzmq has really
 * closed the listener bound to `endpoint` (its `close` monitor event), or
 * `timeout` ms. `socket.close()` returns before the I/O thread closes the
 * listening file descriptor, so binding the same port right afterwards fails
 * with `EADDRINUSE` now and then (measured here: about one rebind in eight);
 * after this it does not. (`unbind()` before closing also releases the port,
 * but racing the peers' pipe termination it can trip a libzmq assertion
 * (`pipe.cpp:355`) that aborts the process, so it is not used.) Never throws.
 *
 * @param socket - the bound socket, still open.
 * @param endpoint - the endpoint as the socket reports it (`lastEndpoint`), if bound.
 * @param close - closes the socket (e.g. `() => channel.close()`).
 * @param timeout - the longest wait for the listener in ms.
 */
export async function closeReleasing(socket: zmq.Socket, endpoint: string | undefined, close: () => Promise<void>, timeout = 1000): Promise<void> {
  let released: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (endpoint && !endpoint.startsWith("inproc://") && !socket.closed) {
    try {
      const events = socket.events; // must be taken before the socket closes
      released = new Promise<void>((resolve) => {
        events.on("close", (event) => {
          if (event.address === endpoint) resolve();
        });
        timer = setTimeout(resolve, timeout);
      });
    } catch {
      // no observer: close without waiting
    }
  }
  try {
    await close();
    await released;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
