// Fault tests with real processes: the server is SIGKILLed (or crashes by fault
// injection) and restarted on the same port while clients keep calling.
// The fixtures import the *built* package: rebuild before running.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { killAllChildren, reservePort, spawnNode, waitFor } from "@zmq-reliable/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { client, closeAll, text } from "./helpers.js";

const echoServer = fileURLToPath(new URL("./fixtures/echo-server.mjs", import.meta.url));
const closingClient = fileURLToPath(new URL("./fixtures/closing-client.mjs", import.meta.url));
const packageDir = fileURLToPath(new URL("..", import.meta.url));

afterEach(async () => {
  await closeAll();
  await killAllChildren();
});

async function startServer(endpoint: string, env: Record<string, string> = {}) {
  const child = spawnNode(echoServer, [endpoint], { env });
  await child.waitForLine(/^listening /, 15_000);
  return child;
}

describe("server killed and restarted", () => {
  it("SIGKILL while a request is pending, restart on the same port: the call succeeds, the caller notices only latency", async () => {
    const endpoint = `tcp://127.0.0.1:${await reservePort()}`;
    const first = await startServer(endpoint, { HANG_ON: "3" });
    // 250 ms × 60 attempts = 15 s of patience: plenty for a node restart on a loaded machine.
    const c = client({ endpoint, timeout: 250, attempts: 60 });
    for (const i of ["1", "2"]) expect(text(await c.request(i))).toEqual([i, `pid-${first.pid}`]);

    const pending = c.request("3");
    await first.waitForLine(/^request 3$/);
    expect(await first.kill()).toEqual({ code: null, signal: "SIGKILL" });
    const second = await startServer(endpoint);

    expect(text(await pending)).toEqual(["3", `pid-${second.pid}`]);
    for (const i of ["4", "5"]) expect(text(await c.request(i))).toEqual([i, `pid-${second.pid}`]);
    expect(c.stats()).toMatchObject({ replies: 5, failures: 0 });
    expect(c.stats().retries).toBeGreaterThanOrEqual(1);
  });

  it("SIGKILL in the middle of a stream from several callers: every call is answered correctly", async () => {
    const endpoint = `tcp://127.0.0.1:${await reservePort()}`;
    const first = await startServer(endpoint);
    const c = client({ endpoint, timeout: 250, attempts: 60, concurrency: 4 });
    const answered = [0, 0, 0, 0];
    let stop = false;
    const caller = async (k: number) => {
      for (let i = 0; !stop; i++) {
        const body = `${k}-${i}`;
        const reply = text(await c.request(body));
        expect(reply[0]).toBe(body);
        answered[k]!++;
      }
    };
    const callers = answered.map((_, k) => caller(k));
    await waitFor(() => answered.every((n) => n >= 5), { timeout: 15_000 });
    await first.kill();
    const before = [...answered];
    await startServer(endpoint);
    await waitFor(() => answered.every((n, k) => n >= before[k]! + 5), { timeout: 20_000 });
    stop = true;
    await Promise.all(callers);
    expect(c.stats().failures).toBe(0);
    expect(c.stats().retries).toBeGreaterThanOrEqual(1);
  });

  it("a server process that crashes by fault injection (lpserver-style) and is restarted: the client carries on", async () => {
    const endpoint = `tcp://127.0.0.1:${await reservePort()}`;
    const first = await startServer(endpoint, { CRASH_AFTER: "2" });
    const c = client({ endpoint, timeout: 250, attempts: 60 });
    for (const i of ["1", "2"]) expect(text(await c.request(i))).toEqual([i, `pid-${first.pid}`]);
    const pending = c.request("3");
    expect(await first.exited).toEqual({ code: 3, signal: null });
    expect(first.lines).toContain("crash on request 3");
    const second = await startServer(endpoint);
    expect(text(await pending)).toEqual(["3", `pid-${second.pid}`]);
  });
});

describe("process exit", () => {
  it("a server process exits by itself after close(), its last reply delivered", async () => {
    const endpoint = `tcp://127.0.0.1:${await reservePort()}`;
    const child = await startServer(endpoint, { CLOSE_AFTER: "2" });
    const c = client({ endpoint, timeout: 5000, attempts: 1 });
    expect(text(await c.request("1"))).toEqual(["1", `pid-${child.pid}`]);
    expect(text(await c.request("2"))).toEqual(["2", `pid-${child.pid}`]);
    const line = await child.waitForLine(/^closed /);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(performance.timeOrigin + performance.now() - Number(line.split(" ")[1])).toBeLessThan(2000);
  });

  it("a client process with calls pending exits by itself after close(), the calls rejected with ClosedError", async () => {
    const endpoint = `tcp://127.0.0.1:${await reservePort()}`; // nobody there
    const child = spawnNode(closingClient, [endpoint]);
    const line = await child.waitForLine(/^rejected /, 15_000);
    const closedAt = Number(line.split(" ")[2]);
    expect(line.split(" ")[1]).toBe("ERR_CLOSED,ERR_CLOSED,ERR_CLOSED");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(performance.timeOrigin + performance.now() - closedAt).toBeLessThan(2000);
  });

  it("the README quick start runs, shows a retry, and exits by itself", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const code = /```js\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(code).toContain("quickstart.mjs");
    const child = spawnNode("--input-type=module", ["-e", code], { cwd: packageDir });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines).toEqual(["no reply, retry 2/3", "hello world"]);
  });
});
