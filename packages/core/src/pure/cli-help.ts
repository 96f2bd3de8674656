/**
 * The `--help` text of a bin on core's CLI runner, from its flag
 * declarations ({@link FlagSpecs}). Pure.
 *
 * @module
 */
import type { FlagSpecs } from "./cli-flags.js";

/** Text of the `--help` output; see {@link formatHelp}. */
export interface HelpText {
  /** The bin's name. */
  readonly name: string;
  /** What follows the name on the usage line. Default `[options]`. */
  readonly usage?: string;
  /** What the bin does: a paragraph. */
  readonly summary: string;
  /** Text after the options (output lines, exit status). */
  readonly epilog?: string;
}

/**
 * The `--help` text: usage line, summary, one line per flag (with its
 * default and, for numbers, its bounds), then the epilog.
 *
 * @param text - the bin's name, usage, summary and epilog.
 * @param flags - its flags, as returned by {@link withStandardFlags}.
 */
export function formatHelp(text: HelpText, flags: FlagSpecs): string {
  const rows = Object.entries(flags).map(([name, spec]) => {
    const placeholder = spec.type === "boolean" ? "" : ` <${spec.placeholder ?? (spec.type === "integer" ? "n" : "value")}>`;
    const left = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${placeholder}`;
    const notes: string[] = [];
    if (spec.type === "integer") notes.push(`${spec.min}..${spec.max}`);
    if (spec.type === "strings") notes.push("repeatable");
    const fallback = spec.type === "strings" ? spec.default?.join(" ") : spec.type === "boolean" ? undefined : spec.default;
    if (fallback !== undefined) notes.push(`default ${fallback}`);
    return [left, notes.length > 0 ? `${spec.help} (${notes.join("; ")})` : spec.help] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const options = rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`).join("\n");
  const epilog = text.epilog ? `\n${text.epilog.trimEnd()}\n` : "";
  return `Usage: ${text.name} ${text.usage ?? "[options]"}\n\n${text.summary.trim()}\n\nOptions:\n${options}\n${epilog}`;
}
