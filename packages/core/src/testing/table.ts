/**
 * Plain-text tables for the harnesses' terminal reports.
 *
 * @module
 */

/** One table row: a value per column, in column order. */
export type Row = readonly (string | number)[];

/**
 * Renders rows under a header as an aligned text table (numbers right-aligned,
 * text left-aligned), one line per row.
 *
 * @param header - column titles.
 * @param rows - the rows; each has one cell per column.
 */
export function formatTable(header: readonly string[], rows: readonly Row[]): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? "").length)));
  const line = (row: readonly (string | number)[]) =>
    row
      .map((cell, col) => (typeof cell === "number" ? String(cell).padStart(widths[col]!) : String(cell).padEnd(widths[col]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}
