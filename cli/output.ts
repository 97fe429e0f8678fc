import { terminalSafe } from '../src/untrusted-text';
import { clip, fitWidths } from '../src/query/output';
import type { CliContext } from './context';

/**
 * Output helpers every verb may use, so text looks the same everywhere:
 *
 * - `formatTable(rows, columns)`: columns aligned on the widest cell, numbers right-aligned,
 *   control characters in cells shown as escapes (cells hold inventory values).
 * - `paint(context, style, text)`: ANSI colour only when `context.color` (a TTY without NO_COLOR);
 *   otherwise the text unchanged, so piped output and tests see plain text.
 * - `progress(context)`: a status line for long steps; rewritten in place on a TTY, one line per
 *   update (only when it changes) otherwise.
 * - `printJson(context, value)`: the stable `--output json` form (two-space indented).
 */

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

export function paint(context: Pick<CliContext, 'color'>, style: Style, text: string): string {
  if (!context.color) return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/** Removes ANSI colour codes: for measuring widths and for tests. */
export function stripColor(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

export interface TableColumn<Row> {
  header: string;
  value: (row: Row) => unknown;
  align?: 'left' | 'right';
}

/**
 * An aligned text table with a header line; null and undefined print as empty cells. Given the
 * terminal's `width`, long cells are cut with an ellipsis to fit it (JSON output has them whole).
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly TableColumn<Row>[], width?: number): string {
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
  const aligns = columns.map(
    (column, i) => column.align ?? (rows.length > 0 && rows.every((row) => typeof column.value(row) === 'number') && i > 0 ? 'right' : 'left'),
  );
  const widths = fitWidths(
    columns.map((column, i) => Math.max(visibleLength(column.header), ...cells.map((line) => visibleLength(line[i] ?? '')))),
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
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join('\n');
}

/** Cells often hold inventory values (user names, reasons): control characters print as escapes. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return terminalSafe(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return terminalSafe(JSON.stringify(value));
}

function visibleLength(text: string): number {
  return stripColor(text).length;
}

export function printJson(context: Pick<CliContext, 'out'>, value: unknown): void {
  context.out(JSON.stringify(value, null, 2));
}

export interface Progress {
  /** Shows the current state of a long step. */
  update(text: string): void;
  /** Ends the status line with a final text (kept on screen). */
  done(text?: string): void;
}

/**
 * A progress display. On a TTY the line is redrawn in place (through `write`, default stderr, so
 * stdout stays clean for scripts); elsewhere each distinct update is printed once as its own line.
 */
export function progress(context: Pick<CliContext, 'isTTY' | 'err'>, write: (text: string) => void = defaultWrite): Progress {
  let last = '';
  if (context.isTTY) {
    return {
      update(text) {
        if (text === last) return;
        last = text;
        write(`\r\u001b[2K${text}`);
      },
      done(text) {
        write(`\r\u001b[2K${text ?? last}\n`);
      },
    };
  }
  return {
    update(text) {
      if (text === last) return;
      last = text;
      context.err(text);
    },
    done(text) {
      if (text !== undefined && text !== last) context.err(text);
    },
  };
}

function defaultWrite(text: string): void {
  process.stderr.write(text);
}

/** A duration in seconds with two decimals: `0.46s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** `1 account`, `3 accounts`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
