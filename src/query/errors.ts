import { ValidationError } from '../errors';

/**
 * A query the parser cannot read. The message echoes the query with a caret under the 1-based
 * `column` and says what was expected there, so the CLI can print it as is (exit code 2).
 */
export class ParseError extends ValidationError {
  constructor(
    readonly problem: string,
    readonly query: string,
    /** 1-based position in `query` of the first character that could not be read. */
    readonly column: number,
  ) {
    super(describe(problem, query, column));
  }
}

const ECHO_WIDTH = 100;

function describe(problem: string, query: string, column: number): string {
  // Keep the echo on one line and the terminal's own: a query pasted with newlines would misplace
  // the caret, and a stored job's control characters must not reach the terminal.
  const line = query.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  const at = Math.max(0, column - 1);
  // A long query (a generated one, a hostile stored job) is shown around the column only.
  const start = line.length <= ECHO_WIDTH ? 0 : Math.max(0, Math.min(at - ECHO_WIDTH / 2, line.length - ECHO_WIDTH));
  const end = Math.min(line.length, start + ECHO_WIDTH);
  const shown = `${start > 0 ? '…' : ''}${line.slice(start, end)}${end < line.length ? '…' : ''}`;
  return `${problem} (column ${column})\n  ${shown}\n  ${' '.repeat(at - start + (start > 0 ? 1 : 0))}^`;
}
