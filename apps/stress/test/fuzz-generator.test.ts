import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseFuzzArgs, UsageError } from "../src/fuzz/args.js";
import { type Dialect, FuzzGenerator, MUTATION_KINDS } from "../src/fuzz/generator.js";
import { stderrFigures } from "../src/fuzz/processes.js";

const DIALECTS: readonly Dialect[] = ["req-client", "ppp-worker", "mdp-client", "mdp-worker", "bstar-state"];

function take(generator: FuzzGenerator, n: number) {
  return Array.from({ length: n }, () => generator.next());
}

/** A digest of a schedule: kinds, frame counts and every byte. */
function digest(generator: FuzzGenerator, n: number): string {
  const hash = createHash("sha256");
  for (const m of take(generator, n)) {
    hash.update(`${m.kind}:${m.frames.length};`);
    for (const f of m.frames) hash.update(f).update(`|${f.length}`);
  }
  return hash.digest("hex");
}

describe("fuzz generator", () => {
  it("gives the same messages for the same seed, other messages for another seed", () => {
    for (const dialect of DIALECTS) {
      const options = { largeBudget: 1024 * 1024, maxLargeFrame: 128 * 1024 };
      const a = digest(new FuzzGenerator(dialect, { seed: 7, ...options }), 3_000);
      expect(digest(new FuzzGenerator(dialect, { seed: 7, ...options }), 3_000)).toBe(a);
      expect(digest(new FuzzGenerator(dialect, { seed: 8, ...options }), 3_000)).not.toBe(a);
    }
  });

  it("produces every mutation kind, every command byte and never a zero-frame message", () => {
    for (const dialect of DIALECTS) {
      const generator = new FuzzGenerator(dialect, { seed: 1, largeBudget: 1024 * 1024, maxLargeFrame: 128 * 1024 });
      const commandBytes = new Set<number>();
      for (const message of take(generator, 20_000)) {
        expect(message.frames.length).toBeGreaterThan(0);
        if (message.kind === "command-byte") {
          const at = dialect === "mdp-worker" || dialect === "mdp-client" ? 2 : 0;
          commandBytes.add(message.frames[at]![0]!);
        }
      }
      for (const kind of MUTATION_KINDS) expect(generator.counts[kind], `${dialect} ${kind}`).toBeGreaterThan(0);
      expect(commandBytes.size, dialect).toBe(256);
      expect(generator.produced).toBe(20_000);
    }
  });

  it("keeps large frames within the byte budget, and many-frame messages at up to 2,000 frames", () => {
    const budget = 1024 * 1024;
    const generator = new FuzzGenerator("mdp-client", { seed: 3, largeBudget: budget, maxLargeFrame: 256 * 1024 });
    let large = 0;
    let most = 0;
    for (const m of take(generator, 30_000)) {
      if (m.kind === "large-frame") large += Math.max(...m.frames.map((f) => f.length));
      most = Math.max(most, m.frames.length);
    }
    expect(large).toBeLessThanOrEqual(budget);
    expect(most).toBeGreaterThanOrEqual(2_000);
    expect(most).toBeLessThanOrEqual(2_010);
  });

  it("never registers a fake worker for a reserved service", () => {
    const generator = new FuzzGenerator("mdp-worker", { seed: 5, reserved: ["svc.3"] });
    for (const m of take(generator, 20_000)) {
      const ready = m.frames.length === 4 && m.frames[1]!.toString() === "MDPW01" && m.frames[2]!.equals(Buffer.from([1]));
      if (ready && m.kind !== "flip" && m.kind !== "truncate" && m.kind !== "extend") expect(m.frames[3]!.toString()).not.toBe("svc.3");
    }
  });

  it("sends hostile service names: newlines and ANSI escapes", () => {
    const names = take(new FuzzGenerator("mdp-client", { seed: 2 }), 5_000)
      .filter((m) => m.kind === "service-name")
      .map((m) => m.frames[2]!.toString("utf8"));
    expect(names.some((n) => n.includes("\n"))).toBe(true);
    expect(names.some((n) => n.includes("\x1b["))).toBe(true);
  });
});

describe("fuzz command line and stderr check", () => {
  it("parses flags and refuses bad ones", () => {
    expect(parseFuzzArgs(["--count", "3000", "--seed", "1", "--targets", "majordomo-broker"])).toMatchObject({ count: 3000, seed: 1, targets: ["majordomo-broker"] });
    expect(parseFuzzArgs(["--help"])).toBeUndefined();
    expect(() => parseFuzzArgs(["--count", "x"])).toThrow(UsageError);
    expect(() => parseFuzzArgs(["--count", "0"])).toThrow(UsageError);
    expect(() => parseFuzzArgs(["--targets", "nope"])).toThrow(UsageError);
    expect(() => parseFuzzArgs(["--bogus"])).toThrow(UsageError);
  });

  it("counts stderr lines and raw control characters", () => {
    expect(stderrFigures("a\nb\n")).toEqual({ lines: 2, bytes: 4, controls: 0 });
    expect(stderrFigures("x \x1b[31mred\r\n")).toMatchObject({ lines: 1, controls: 2 });
  });
});
