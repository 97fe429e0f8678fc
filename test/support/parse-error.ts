import { ParseError } from '../../src/query/errors';
import { parse } from '../../src/query/parser';

/** The ParseError a query is refused with; fails the test when the query parses. */
export function parseError(text: string): ParseError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error(`expected ${text} not to parse`);
}
