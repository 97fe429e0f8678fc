import type * as z from 'zod/mini';
import { ValidationError } from './errors';

/**
 * The schemas (zod) say what is allowed, in their own messages (`expected a whole number, at least
 * 0, got -1`); this module names where: the first problem found, as `<where>.<path>: <message>`,
 * the way the hand-written checks before them did.
 */

/** A schema's problem, as zod and every Standard Schema library report it. */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

/** A value as a message quotes it: JSON, `undefined` for a missing one. */
export function got(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** `where.a.b: message` for the first issue (the only one a user needs to fix first). */
export function issueMessage(where: string, issues: readonly SchemaIssue[]): string {
  const [issue] = issues;
  if (!issue) return `${where}: invalid`;
  const path = (issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment));
  return `${[where, ...path.map(String)].join('.')}: ${issue.message}`;
}

/** The ValidationError for a value a schema refused. */
export function schemaError(where: string, issues: readonly SchemaIssue[]): ValidationError {
  return new ValidationError(issueMessage(where, issues));
}

const KINDS: Record<string, string> = { string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false', object: 'an object', array: 'a list' };

/**
 * What a schema without messages of its own says (zod/mini carries no locale): what is allowed and
 * what came, e.g. `expected a whole number, got "3"`.
 */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  const came = `got ${got(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${KINDS[issue.expected] ?? issue.expected}, ${came}`;
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? got(issue.values[0]) : `one of ${issue.values.map(got).join(', ')}`}, ${came}`;
    case 'too_small':
      return `expected at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}, ${came}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}, ${came}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`;
    default:
      return `not allowed, ${came}`;
  }
};

/**
 * Data read back from a table or a file, checked against its schema: the value, or a
 * ValidationError that says where (`where`, then the field's path) and what is wrong:
 * `the jobs table's job "weekly" is malformed, last_run.matched: expected a number, got "3"`.
 */
export function parseStored<T>(schema: z.ZodMiniType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value, { error: describeIssue });
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const path = (issue?.path ?? []).map(String).join('.');
  throw new ValidationError(`${where}${path ? `, ${path}` : ''}: ${issue?.message ?? 'invalid'}`);
}
