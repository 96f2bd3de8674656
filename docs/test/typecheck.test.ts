/**
 * Every ts block of every README and docs page type-checks against the packages' published
 * types, so a renamed option or method fails here even where the block would still run (an
 * unknown option is ignored at run time).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT, allBlocks } from "./blocks.js";

describe("documentation ts blocks", () => {
  it("type-check", () => {
    const dir = join(ROOT, "docs", ".run", "typecheck");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = allBlocks()
      .filter((b) => b.lang === "ts" && b.index > 0 && !b.tags.includes("no-run"))
      .map((b) => {
        // `export {}` makes every block a module of its own (top-level await, no shared names).
        const file = join(dir, `${b.key.replace(/[^\w.-]+/g, "_")}.mts`);
        writeFileSync(file, `${b.code}\nexport {};\n`);
        return { file, where: `${b.file}:${b.line}` };
      });
    const program = ts.createProgram(
      files.map((f) => f.file),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ["node"],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
      },
    );
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = files.find((f) => f.file === d.file?.fileName)?.where ?? d.file?.fileName ?? "";
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${where} (block line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(problems).toEqual([]);
    expect(files.length).toBeGreaterThan(10);
  });
});
