/**
 * Finds the documentation whose code blocks are executed, and extracts its fenced blocks.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, markdownFiles } from "../check-links.mjs";

export { ROOT };

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The file, relative to the repository root (`packages/core/README.md`). */
  file: string;
  /** 1-based number of the block among the file's blocks of a runnable language. */
  index: number;
  /** The 1-based line of the opening fence. */
  line: number;
  /** The language (`ts`, `js`, `sh`; `""` for a plain block). */
  lang: string;
  /** The words after the language in the info string (`no-run`). */
  tags: string[];
  /** The block's text, without the fences. */
  code: string;
  /** `file#index`, the key of the setup table. */
  key: string;
}

/** The languages whose blocks are executed (or skipped by `no-run`, and counted). */
export const RUNNABLE = new Set(["ts", "js", "sh"]);

/** Every README.md of the repository (root, packages, apps) and every Markdown page of docs/, the link checker's list. */
export function documentationFiles(): string[] {
  return markdownFiles().map((file) => relative(ROOT, file));
}

/** One workspace (`packages/*`, `apps/*`): its directory and the fields of its package.json used here. */
export interface Workspace {
  /** Absolute directory. */
  dir: string;
  /** The package name. */
  name: string;
  /** Its bins, name → path relative to `dir`. */
  bin: Record<string, string>;
}

/** Every workspace with a package.json. */
export function workspaces(): Workspace[] {
  return ["packages", "apps"].flatMap((group) =>
    readdirSync(join(ROOT, group)).flatMap((name) => {
      const dir = join(ROOT, group, name);
      try {
        const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; bin?: Record<string, string> };
        return [{ dir, name: manifest.name, bin: manifest.bin ?? {} }];
      } catch {
        return [];
      }
    }),
  );
}

/** The fenced blocks of one Markdown text (only ``` fences, as every page here uses). */
export function extractBlocks(file: string, text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split("\n");
  let open: { line: number; lang: string; tags: string[]; indent: string; body: string[] } | undefined;
  let index = 0;
  lines.forEach((raw, i) => {
    const fence = /^(\s*)```(.*)$/.exec(raw);
    if (!open) {
      if (!fence) return;
      const [lang = "", ...tags] = fence[2]!.trim().split(/\s+/).filter(Boolean);
      open = { line: i + 1, lang, tags, indent: fence[1]!, body: [] };
      return;
    }
    if (fence && fence[2]!.trim() === "") {
      if (RUNNABLE.has(open.lang)) index++;
      const indent = open.indent.length;
      const code = open.body.map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join("\n");
      const n = RUNNABLE.has(open.lang) ? index : 0;
      blocks.push({ file, index: n, line: open.line, lang: open.lang, tags: open.tags, code, key: `${file}#${n}` });
      open = undefined;
      return;
    }
    open.body.push(raw);
  });
  if (open) throw new Error(`${file}:${open.line}: unclosed code fence`);
  return blocks;
}

/** Every block of every documentation file, in file order. */
export function allBlocks(): CodeBlock[] {
  return documentationFiles().flatMap((file) => extractBlocks(file, readFileSync(join(ROOT, file), "utf8")));
}
