/**
 * Every link of every README and docs page works (the sources; CI checks the built site too,
 * with `node docs/check-links.mjs` after `npm run docs`).
 */
import { describe, expect, it } from "vitest";
import { bareMarkdownNames, checkLinks, markdownLinks, slug } from "../check-links.mjs";

describe("documentation links", () => {
  it("every link of every README and docs page resolves", () => {
    const { problems, checked } = checkLinks({ withSite: false });
    console.log(`links checked in the sources: ${checked}`);
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it("slugs headings as GitHub and typedoc do", () => {
    expect(slug("Security (CURVE)")).toBe("security-curve");
    expect(slug("Majordomo (7/MDP 0.1 and 8/MMI)")).toBe("majordomo-7mdp-01-and-8mmi");
  });

  it("finds links, not code", () => {
    expect(markdownLinks("[a](b.md) ![i](d.svg) `[x](y)`\n```\n[p](q)\n```\n")).toEqual(["b.md", "d.svg"]);
  });

  it("finds bare .md file names, which typedoc would link to http://<name>", () => {
    // The regression: package READMEs and TSDoc cited "protocols.md §…", rendered as http://protocols.md.
    expect(bareMarkdownNames("wire (protocols.md §2), `x.md`, [a](b.md), see CONTRIBUTING.md.")).toEqual(["protocols.md", "CONTRIBUTING.md"]);
  });
});
