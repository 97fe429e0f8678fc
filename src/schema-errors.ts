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
