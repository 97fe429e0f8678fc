import { renderTable, TableColumn } from '../src/tabular';
import type { CliContext } from './context';

/**
 * Output helpers every verb may use, so text looks the same everywhere:
 *
 * - `formatTable(context, rows, columns)`: the one table renderer (src/tabular.ts), cut to the
 *   terminal's width.
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

/**
 * A table as every verb prints it (src/tabular.ts), fitted to the terminal: cut to its width when
 * standard output is one or COLUMNS is set (`context.columns`); whole otherwise, as in `--output json`.
 */
export function formatTable<Row>(context: Pick<CliContext, 'columns'>, rows: readonly Row[], columns: readonly TableColumn<Row>[]): string {
  return renderTable(rows, columns, context.columns);
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
