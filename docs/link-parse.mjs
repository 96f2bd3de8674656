/**
 * What the link checker reads in a page: the links and anchors of Markdown and HTML, heading
 * slugs, and bare `.md` names that typedoc would turn into links. Pure text in, values out.
 *
 * @module
 */

/** The GitHub / typedoc slug of a heading: `Security (CURVE)` → `security-curve`. */
export function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a Markdown text: the slugs of its headings. */
export function markdownAnchors(text) {
  return new Set([...stripCode(text).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)].map((m) => slug(m[1])));
}

/** The anchors of an HTML or SVG text: every `id` and `name`. */
export function htmlAnchors(text) {
  return new Set([...text.matchAll(/\s(?:id|name)="([^"]*)"/g)].map((m) => decodeEntities(m[1])));
}

export function stripCode(text) {
  return text.replace(/^\s*```[^\n]*\n[\s\S]*?^\s*```\s*$/gm, "").replace(/`[^`\n]*`/g, "");
}

export function decodeEntities(text) {
  return text.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
}

/** The link targets of a Markdown text (links and images; code left out). */
export function markdownLinks(text) {
  return [...stripCode(text).matchAll(/!?\[(?:[^\]\n]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

/** The link targets of an HTML page (`href` and `src`). */
export function htmlLinks(text) {
  return [...text.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => decodeEntities(m[1]));
}

/**
 * Bare file names ending in `.md` in prose (not in code, not a link's target): typedoc's linkify
 * turns `protocols.md` into a link to `http://protocols.md` (`.md` is a top-level domain).
 */
export function bareMarkdownNames(text) {
  const prose = stripCode(text).replace(/\]\([^)]*\)/g, "]");
  return [...prose.matchAll(/(?<![\w/.-])[\w.-]+\.md\b(?![\w/])/g)].map((m) => m[0]);
}
