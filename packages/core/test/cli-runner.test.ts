/** core's CLI runner as a process, around a fake role (test/fixtures/cli-runner.mjs). */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildHandle, killAllChildren, spawnNode } from "../src/testing/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/cli-runner.mjs", import.meta.url));
const LOG = /^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO|WARN|ERROR) /;

afterEach(() => killAllChildren());

/** The runner's own stderr lines; every other stderr line is a timestamped log line. */
function ownLines(child: ChildHandle): string[] {
  const lines = child.stderr.split("\n").filter((l) => l !== "");
  for (const line of lines.filter((l) => !l.startsWith("fake-bin: "))) expect(line).toMatch(LOG);
  return lines.filter((l) => l.startsWith("fake-bin: "));
}

describe("runCli", () => {
  it("prints the start line, then closes on SIGTERM and exits 0", async () => {
    const child = spawnNode(FIXTURE, ["-b", "tcp://*:7"]);
    expect(await child.waitForLine(/^started /)).toMatch(new RegExp(`^started bind=tcp://0\\.0\\.0\\.0:7 heartbeat=10 note="two words" pid=${child.pid} at=[\\d.]+$`));
    child.process.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines.slice(-2)).toEqual(["closing", expect.stringMatching(/^stopped at=[\d.]+$/)]);
    expect(ownLines(child)).toEqual([]);
    expect(child.stderr).not.toMatch(/DEBUG/);
  });

  it("--verbose turns on debug logging to stderr", async () => {
    const child = spawnNode(FIXTURE, ["--verbose"]);
    await child.waitForLine(/^started /);
    expect(child.stderr).toMatch(/Z DEBUG debug line\n/);
    child.process.kill("SIGINT");
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it("--log-format json: every stderr line is one JSON object (level, time, message); runtime failures too", async () => {
    const child = spawnNode(FIXTURE, ["--log-format", "json", "--verbose", "--mode", "fatal"]);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    const lines = child.stderr.split("\n").filter((l) => l !== "");
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toEqual(
      expect.arrayContaining([
        { time: expect.stringMatching(/Z$/), level: "info", message: "starting" },
        { time: expect.stringMatching(/Z$/), level: "debug", message: "debug line" },
        { time: expect.stringMatching(/Z$/), level: "error", tag: "fake-bin", message: "fatal error: the pair broke" },
      ]),
    );
    expect(parsed).toHaveLength(3);
    expect(child.lines.slice(-1)).toEqual([expect.stringMatching(/^stopped at=/)]); // stdout stays as it is
  });

  it.each([
    [["--log-format", "xml"], '--log-format must be text or json, got "xml"'],
    [["--heartbeat", "-5"], "--heartbeat must be an integer between 1 and 100, got -5"],
    [["--heartbeat", "101"], "--heartbeat must be an integer between 1 and 100, got 101"],
    [["--mode", "bad-usage"], "--mode bad-usage is refused by check"],
    [["--mode", "invalid"], "mode invalid: the role refused it"],
  ])("bad usage %j: exit 2, one stderr line, nothing on stdout", async (args, message) => {
    const child = spawnNode(FIXTURE, args);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.stderr).toBe(`fake-bin: ${message} (see fake-bin --help)\n`);
    expect(child.lines).toEqual([]);
  });

  it("a failed start: exit 1 with one stderr line naming the endpoint", async () => {
    const child = spawnNode(FIXTURE, ["--mode", "fail-start", "--bind", "tcp://*:9"]);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(ownLines(child)).toEqual(["fake-bin: cannot start: fake: cannot bind tcp://*:9: Address already in use"]);
    expect(child.lines).toEqual([]);
  });

  it("a fatal error after start (context.fail): one stderr line, close, exit 1", async () => {
    const child = spawnNode(FIXTURE, ["--mode", "fatal"]);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(ownLines(child)).toEqual(["fake-bin: fatal error: the pair broke"]);
    expect(child.lines.slice(-2)).toEqual(["closing", expect.stringMatching(/^stopped at=/)]);
  });

  it("a signal during start closes the role and exits 0", async () => {
    const child = spawnNode(FIXTURE, ["--mode", "hang-start"]);
    await child.waitForLine(/^starting$/);
    child.process.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines).toEqual(["starting", "closing", expect.stringMatching(/^stopped at=/)]);
  });

  it("a failed close exits 1 with one stderr line", async () => {
    const child = spawnNode(FIXTURE, ["--mode", "close-fails"]);
    await child.waitForLine(/^started /);
    child.process.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(ownLines(child)).toEqual(["fake-bin: close failed: close went wrong"]);
  });

  it("a second signal while closing exits 1 at once", async () => {
    const child = spawnNode(FIXTURE, ["--mode", "hang-close"]);
    await child.waitForLine(/^started /);
    child.process.kill("SIGTERM");
    await child.waitForLine(/^closing$/);
    child.process.kill("SIGINT");
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(ownLines(child)).toEqual(["fake-bin: SIGINT again: exiting without draining"]);
  });
});
