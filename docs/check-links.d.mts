/** Types of the link checker (check-links.mjs, a plain script CI runs with node). */
/** The repository root. */
export declare const ROOT: string;
/** Where `npm run docs` writes the site. */
export declare const SITE: string;
/** Where the site is published. */
export declare const SITE_URL: string;
/** Hosts an external link may point to. */
export declare const ALLOWED_HOSTS: Set<string>;
/** Every README.md (root, packages, apps) and every Markdown page under docs/, as absolute paths. */
export declare function markdownFiles(): string[];
/** The GitHub / typedoc slug of a heading. */
export declare function slug(heading: string): string;
/** The link targets of a Markdown text. */
export declare function markdownLinks(text: string): string[];
/** The link targets of an HTML page. */
export declare function htmlLinks(text: string): string[];
/** Bare file names ending in `.md` in prose (typedoc links them to http://<name>). */
export declare function bareMarkdownNames(text: string): string[];
/** Checks every link; returns the broken ones and how many were checked. */
export declare function checkLinks(options: { withSite: boolean }): { problems: string[]; checked: number };
