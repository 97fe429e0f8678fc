import { ValidationError } from '../errors';
import { parse } from '../query/parser';

/**
 * A job's command: a search pipeline, `search QUERY [| COMMAND ...]`, that must parse when the job
 * is added or updated, so a typo is refused at once rather than failing at the next workflow run.
 */
export function checkJobCommand(command: string): string {
  const text = command.trim();
  if (!/^search(\s|$)/.test(text)) {
    throw new ValidationError(
      `job command must be a search pipeline: search QUERY [| COMMAND ...], e.g. 'search is(access_key) and last_access > 90days | clean'; got ${JSON.stringify(text)}`,
    );
  }
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`job command does not parse: ${error.message}`);
    throw error;
  }
  return text;
}
