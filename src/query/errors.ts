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

function describe(problem: string, query: string, column: number): string {
  // Keep the echo on one line: a query pasted with newlines would misplace the caret.
  const line = query.replace(/[\r\n\t]/g, ' ');
  return `${problem} (column ${column})\n  ${line}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
}
