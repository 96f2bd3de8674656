#!/usr/bin/env node
/**
 * The link checker. Checks every link of every README and docs page (the Markdown sources) and,
 * when it has been built (`npm run docs`), of every page of the API site in docs/api:
 *
 * - a relative link resolves to a file, and its `#anchor` to an id (or a heading) in that file;
 * - a link to the docs site (`https://zmq-reliable.github.io/zmq-reliable/…`) resolves to a page
 *   of the built site and its anchor, or, without a built site, to the source page it is built from;
 * - a package README (published on npm, where relative links break) has no relative link but
 *   `#anchor`s of its own;
 * - any other link is an http(s) URL to a host of {@link ALLOWED_HOSTS} (checked for syntax only:
 *   CI has no network).
 *
 * Run `node docs/check-links.mjs` (the sources and the built site, which must exist) or
 * `node docs/check-links.mjs --sources` (the sources only); it prints each broken link and exits 1
 * when there is one. The docs test project runs the sources check with every `npm test`.
 *
 * @module
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bareMarkdownNames, htmlAnchors, htmlLinks, markdownAnchors, markdownLinks } from "./link-parse.mjs";

export { bareMarkdownNames, htmlLinks, markdownLinks, slug } from "./link-parse.mjs";

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where `npm run docs` writes the site. */
export const SITE = join(ROOT, "docs", "api");
/** Where the site is published: links to it from package READMEs work on npm. */
export const SITE_URL = "https://zmq-reliable.github.io/zmq-reliable/";
/** Hosts an external link may point to. */
export const ALLOWED_HOSTS = new Set([
  "zmq-reliable.github.io",
  "rfc.zeromq.org",
  "zguide.zeromq.org",
  "zeromq.org",
  "www.npmjs.com",
  "github.com",
  "typedoc.org",
  "nodejs.org",
  "v8.dev",
  "publint.dev",
  "arethetypeswrong.github.io",
]);

/** Pages whose anchors a script of the site writes at load time: only the page is checked. */
const SCRIPTED_ANCHORS = new Set(["hierarchy.html"]);

/** Every README.md (root, packages, apps) and every Markdown page under docs/ (not the site). */
export function markdownFiles() {
  const files = [join(ROOT, "README.md")];
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(ROOT, group)).sort()) {
      const readme = join(ROOT, group, name, "README.md");
      if (existsSync(readme)) files.push(readme);
    }
  }
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (name === "api" || name === "test" || name.startsWith(".")) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".md")) files.push(path);
    }
  };
  walk(join(ROOT, "docs"));
  return files;
}

const anchorCache = new Map();
function anchorsOf(path) {
  if (!anchorCache.has(path)) {
    const text = readFileSync(path, "utf8");
    anchorCache.set(path, path.endsWith(".md") ? markdownAnchors(text) : htmlAnchors(text));
  }
  return anchorCache.get(path);
}

/** The problem with an external link, or undefined. */
function checkExternal(target) {
  let url;
  try {
    url = new URL(target);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `scheme ${url.protocol} is not allowed`;
  if (!ALLOWED_HOSTS.has(url.hostname)) return `host ${url.hostname} is not on the allow-list`;
  return undefined;
}

/** The problem with a relative link from `from` (a file), or undefined. */
function checkRelative(from, target, siteRoot) {
  const [rawPath, fragment = ""] = target.split("#");
  const path = decodeURIComponent(rawPath.split("?")[0]);
  let file = path === "" ? from : resolve(dirname(from), path);
  if (siteRoot && !file.startsWith(siteRoot)) return "points outside the site";
  if (!existsSync(file)) return "no such file";
  if (statSync(file).isDirectory()) file = join(file, siteRoot ? "index.html" : "README.md");
  if (!existsSync(file)) return "no index in that directory";
  const scripted = SCRIPTED_ANCHORS.has(relative(siteRoot ?? ROOT, file));
  if (fragment && !scripted && /\.(html|svg|md)$/.test(file) && !anchorsOf(file).has(decodeURIComponent(fragment))) {
    return `no anchor #${fragment} in ${relative(ROOT, file)}`;
  }
  return undefined;
}

/** Maps a docs-site URL to the Markdown source it is built from, for the sources-only check. */
function sourceOfSiteUrl(target) {
  const [path, fragment = ""] = target.slice(SITE_URL.length).split("#");
  if (path === "" || path === "index.html") return { file: join(ROOT, "docs", "index.md"), fragment };
  const document = /^documents\/(.+)\.html$/.exec(path);
  if (document) {
    const dir = join(ROOT, "docs", "protocols");
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".md"))) {
      const title = /^title:\s*(.+)$/m.exec(readFileSync(join(dir, name), "utf8"))?.[1];
      if (title && title.trim().replace(/\s+/g, "_") === document[1]) return { file: join(dir, name), fragment };
    }
    return undefined;
  }
  const module = /^modules\/_zmq-reliable_([\w-]+)\.html$/.exec(path);
  if (module) {
    const readme = join(ROOT, "packages", module[1], "README.md");
    return existsSync(readme) ? { file: readme, fragment } : undefined;
  }
  return undefined;
}

/** The problem with a docs-site link, checked against the built site or its sources. */
function checkSiteUrl(target, withSite) {
  if (withSite) return checkRelative(join(SITE, "index.html"), target.slice(SITE_URL.length) || "index.html", SITE);
  const source = sourceOfSiteUrl(target);
  if (!source) return "no page of the docs site is built from a source at this address";
  if (source.fragment && !anchorsOf(source.file).has(source.fragment)) return `no heading #${source.fragment} in ${relative(ROOT, source.file)}`;
  return undefined;
}

/** The TSDoc comments of every source file of every package (what typedoc renders). */
function sourceComments() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) out.push({ path, text: [...readFileSync(path, "utf8").matchAll(/\/\*\*[\s\S]*?\*\//g)].map((m) => m[0]).join("\n") });
    }
  };
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(ROOT, group))) {
      if (existsSync(join(ROOT, group, name, "src"))) walk(join(ROOT, group, name, "src"));
    }
  }
  return out;
}

/**
 * Checks the links of every README and docs page, and of the built site when `withSite`.
 * Returns the broken ones (`file: target: problem`) and how many links were checked.
 */
export function checkLinks({ withSite }) {
  const problems = [];
  let checked = 0;
  const check = (file, target, problem) => {
    checked++;
    if (problem) problems.push(`${relative(ROOT, file)}: ${target}: ${problem}`);
  };
  for (const { path, text } of [...markdownFiles().map((path) => ({ path, text: readFileSync(path, "utf8") })), ...sourceComments()]) {
    for (const name of bareMarkdownNames(text)) check(path, name, "a bare file name becomes a link to http://" + name + " in the site: quote it or link it");
  }
  for (const file of markdownFiles()) {
    const published = /^packages\/[^/]+\/README\.md$/.test(relative(ROOT, file));
    for (const target of markdownLinks(readFileSync(file, "utf8"))) {
      if (target.startsWith(SITE_URL)) check(file, target, checkSiteUrl(target, withSite));
      else if (/^[a-z][a-z0-9+.-]*:/i.test(target)) check(file, target, checkExternal(target));
      else if (published && !target.startsWith("#")) check(file, target, "a relative link breaks on npm: link the docs site");
      else check(file, target, checkRelative(file, target));
    }
  }
  if (withSite) {
    if (!existsSync(join(SITE, "index.html"))) return { problems: [`${relative(ROOT, SITE)}: no built site (run npm run docs)`], checked };
    const walk = (dir) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith(".html")) {
          for (const target of htmlLinks(readFileSync(path, "utf8"))) {
            if (target === "#" || target.startsWith("javascript:")) continue;
            if (target.startsWith(SITE_URL)) check(path, target, checkSiteUrl(target, true));
            else if (/^[a-z][a-z0-9+.-]*:/i.test(target)) check(path, target, checkExternal(target));
            else if (/^media\/.*\.md$/.test(relative(SITE, resolve(dirname(path), target.split("#")[0])))) {
              check(path, target, "a Markdown file copied into the site as is: link the page built from it");
            } else check(path, target, checkRelative(path, target, SITE));
          }
        }
      }
    };
    walk(SITE);
  }
  return { problems, checked };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const withSite = !process.argv.includes("--sources");
  const { problems, checked } = checkLinks({ withSite });
  for (const problem of problems) console.error(problem);
  console.log(`links checked: ${checked} (${withSite ? "sources and built site" : "sources"}), broken: ${problems.length}`);
  process.exit(problems.length === 0 ? 0 : 1);
}
