import { csvCell, terminalSafe } from './untrusted-text';

/**
 * Rows as people and spreadsheets read them: the one table renderer and the one CSV writer of
 * the CLI, the search commands and the audit. Cells often hold inventory values, anyone's text:
 * tables print control characters as escapes, CSV neutralises formulas (src/untrusted-text.ts).
 */

export interface TableColumn<Row> {
  header: string;
  value: (row: Row) => unknown;
  /** Default: right when every value of the column (but the first column) is a number. */
  align?: 'left' | 'right';
}

/**
 * An aligned text table with a header line, two spaces between columns; null and undefined print
 * as empty cells, objects as JSON. Given a `width` (the terminal's), long cells are cut with an
 * ellipsis to fit it: the widest columns give way first. Colour codes in cells do not count as width.
 */
export function renderTable<Row>(rows: readonly Row[], columns: readonly TableColumn<Row>[], width?: number): string {
  const values = rows.map((row) => columns.map((column) => column.value(row)));
  const cells = values.map((line) => line.map(cellText));
  const aligns = columns.map((column, i) => column.align ?? (values.length > 0 && i > 0 && values.every((line) => typeof line[i] === 'number') ? 'right' : 'left'));
  const headers = columns.map((column) => terminalSafe(column.header));
  const widths = fitWidths(
    headers.map((header, i) => Math.max(visibleLength(header), ...cells.map((line) => visibleLength(line[i] ?? '')))),
    width,
  );
  const render = (line: string[]) =>
    line
      .map((whole, i) => {
        const cell = visibleLength(whole) > (widths[i] ?? 0) ? clip(stripColor(whole), widths[i] ?? 0) : whole;
        const pad = ' '.repeat((widths[i] ?? 0) - visibleLength(cell));
        return aligns[i] === 'right' ? pad + cell : i === line.length - 1 ? cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)].join('\n');
}

/**
 * RFC 4180 text: a header line, then one line per row. Text a spreadsheet would run as a formula is
 * neutralised, numbers and booleans print as they are, objects as JSON, null and undefined empty.
 */
export function renderCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const line = (cells: readonly unknown[]) => cells.map((cell) => csvCell(typeof cell === 'object' && cell !== null ? JSON.stringify(cell) : (cell as string | number | boolean | null | undefined))).join(',');
  return [header, ...rows].map(line).join('\n');
}

/** The narrowest a column is cut to when a table must fit the terminal. */
const MIN_COLUMN = 6;

/**
 * Column widths that fit `width` with two spaces between columns: the widest columns give way
 * first, none below a few characters. Unchanged without a width (not a terminal) or when they fit.
 */
export function fitWidths(widths: readonly number[], width: number | undefined): number[] {
  const fitted = [...widths];
  if (width === undefined) return fitted;
  const total = () => fitted.reduce((sum, w) => sum + w, 0) + 2 * (fitted.length - 1);
  while (total() > width) {
    const widest = Math.max(...fitted);
    if (widest <= MIN_COLUMN) break;
    const at = fitted.indexOf(widest);
    const second = Math.max(MIN_COLUMN, ...fitted.filter((_, i) => i !== at));
    fitted[at] = Math.max(MIN_COLUMN, second, widest - (total() - width));
    if (fitted[at] === widest) fitted[at] = widest - 1;
  }
  return fitted;
}

/** The text cut to `width` with an ellipsis at the end when it is longer. */
export function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Removes ANSI colour codes: for measuring widths and for tests. */
export function stripColor(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** A cell as text: control characters shown as escapes, never sent to the terminal. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return terminalSafe(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return terminalSafe(JSON.stringify(value));
}

function visibleLength(text: string): number {
  return stripColor(text).length;
}
