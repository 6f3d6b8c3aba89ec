/**
 * Kafka's ToolsUtils.prettyPrintTable (kafka-transactions.sh, ...): a header row, then the rows,
 * each cell left-justified to its column's widest value and followed by a tab.
 */
export function prettyPrintTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => rows.reduce((w, row) => Math.max(w, (row[i] ?? "").length), h.length));
  const line = (cells: readonly string[]) =>
    `${cells.map((cell, i) => `${cell.padEnd(widths[i] ?? 0)}\t`).join("")}\n`;
  return line(headers) + rows.map(line).join("");
}
