import { ValidationError } from '../errors';
import { CommandName, MUTATING_COMMANDS, needsLease, Query } from '../query/ast';
import { parse } from '../query/parser';

/**
 * The changing commands a stored job may run. Anyone who can write the jobs table writes a job, so
 * a job may flag keys (`clean`) and protect them, never lift a protection: `unprotect` is for a
 * person at the CLI. Commands that only read (`count`, `list`, ...) are always allowed.
 */
export const JOB_MUTATING_COMMANDS: readonly CommandName[] = ['clean', 'protect'];

/**
 * A job's command: a search pipeline, `search QUERY [| COMMAND ...]`, that must parse and use only
 * commands a stored job may use. Checked when the job is added or updated, so a typo is refused at
 * once, and again each time it runs, so a job written straight into the table is refused too.
 */
export function checkJobCommand(command: string): string {
  const text = command.trim();
  if (!/^search(\s|$)/.test(text)) {
    throw new ValidationError(
      `job command must be a search pipeline: search QUERY [| COMMAND ...], e.g. 'search is(access_key) and last_access > 90days | clean'; got ${JSON.stringify(text)}`,
    );
  }
  let query: Query;
  try {
    query = parse(text);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`job command does not parse: ${error.message}`);
    throw error;
  }
  const refused = query.commands.map((c) => c.name).filter((name) => MUTATING_COMMANDS.includes(name) && !JOB_MUTATING_COMMANDS.includes(name));
  if (refused.length > 0) {
    throw new ValidationError(
      `a job may not use ${[...new Set(refused)].join(', ')}: stored jobs may change the inventory only with ${JOB_MUTATING_COMMANDS.join(' and ')}; run it yourself with cloudsweep search`,
    );
  }
  return text;
}

/** Whether a (checked) job command changes what cleanup may delete, so it must not run during a workflow run. */
export function jobNeedsLease(command: string): boolean {
  return needsLease(parse(command));
}
