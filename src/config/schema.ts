import type * as z from 'zod/mini';
import { ValidationError } from '../errors';
import {
  ACCOUNT_OVERRIDE_FIELDS,
  ACCOUNT_OVERRIDE_KEYS,
  ACCOUNTS_SECTION,
  Field,
  FIX_WORKER,
  FIX_WORKER_FIELDS,
  FixWorkerConfig,
} from './fix-worker';

/**
 * The rules every `fix.worker` write passes (SPEC section 4), as the schema in ./fix-worker.ts
 * states them: known keys only, the right type, the value in range. This module says what the
 * schema refused in the words users know: the key, its line, what is wrong and what is allowed,
 * every problem at once.
 */
export type ConfigPath = readonly [section: string, key: string];

export interface ConfigProblem {
  path: string[];
  message: string;
}

/** Locates a key in the source text (a line number), when the config came from a file. */
export type Locate = (path: readonly string[]) => string | undefined;

const SECTIONS = [...Object.keys(FIX_WORKER_FIELDS), ACCOUNTS_SECTION];

/** What a value of each type is called where the schema names no words of its own. */
const TYPE_NAMES: Record<string, string> = { boolean: 'a boolean', number: 'a number', int: 'an integer', string: 'a string', array: 'a list', object: 'a mapping', record: 'a mapping' };

/** The words an issue completes `<value> <words>` with, where its schema set none. */
const defaultWords: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') return `is not ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
  if (issue.code === 'invalid_format') return 'is not valid';
  return undefined;
};

/**
 * Checks a whole config as read from YAML or JSON: every problem is listed, each naming the key
 * and what it allows. Keys left out take the defaults. Throws ValidationError; returns a fresh value.
 */
export function validateFixWorkerConfig(raw: unknown, source = FIX_WORKER, locate: Locate = () => undefined): FixWorkerConfig {
  const parsed = FixWorkerConfig.safeParse(raw, { error: defaultWords });
  if (parsed.success) return parsed.data;
  if (parsed.error.issues.some((issue) => issue.path.length === 0 && issue.code === 'invalid_type')) {
    throw new ValidationError(`${source}: expected a mapping with the sections ${SECTIONS.join(', ')}, got ${describe(raw)}`);
  }
  const problems = parsed.error.issues.flatMap((issue) => problemsOf(issue, raw));
  const lines = firstPerKey(inInputOrder(problems, raw)).map((problem) => {
    const at = locate(problem.path);
    return at ? `  ${at}: ${problem.message}` : `  ${problem.message}`;
  });
  throw new ValidationError(`${source} is invalid:\n${lines.join('\n')}`);
}

/** The problems one issue of the schema stands for, each at the key the user wrote. */
function problemsOf(issue: z.core.$ZodIssue, raw: unknown): ConfigProblem[] {
  const path = issue.path.map(String);
  const [section, key, ...rest] = path;
  if (section === undefined) {
    return unrecognized(issue).map((name) => ({ path: [name], message: unknownKeyMessage(name, undefined, SECTIONS) }));
  }
  if (section === ACCOUNTS_SECTION) return accountProblems(issue, path, raw);
  const fields = ownField(FIX_WORKER_FIELDS, section) as Record<string, Field>;
  if (key === undefined) {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((name) => ({ path: [section, name], message: unknownKeyMessage(name, section, Object.keys(fields)) }));
    }
    return [{ path: [section], message: `${section}: expected a mapping of ${Object.keys(fields).join(', ')}, got ${describe(valueAt(raw, [section]))}` }];
  }
  const declared = ownField(fields, key) as Field;
  return [fieldProblem([section, key], declared, issue, rest, valueAt(raw, [section, key]))];
}

/**
 * `accounts: {ID_OR_NAME: {cleanup: true, ...}}`: each account's overrides, each key checked by the
 * same field as in its own section. Whether the account exists is not known here (a warning at
 * the CLI, see unknownAccounts).
 */
function accountProblems(issue: z.core.$ZodIssue, path: string[], raw: unknown): ConfigProblem[] {
  const [, account, key, ...rest] = path;
  if (account === undefined) {
    if (issue.code === 'unrecognized_keys') return issue.keys.map(notAnAccount);
    return [{ path: [ACCOUNTS_SECTION], message: `${ACCOUNTS_SECTION}: expected a mapping of account id or name to settings, got ${describe(valueAt(raw, [ACCOUNTS_SECTION]))}` }];
  }
  if (issue.code === 'invalid_key') return [notAnAccount(account)];
  if (key === undefined) {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((name) => ({
        path: [ACCOUNTS_SECTION, account, name],
        message: `unknown key ${ACCOUNTS_SECTION}.${account}.${name}; allowed keys per account: ${ACCOUNT_OVERRIDE_KEYS.join(', ')}`,
      }));
    }
    const overrides = valueAt(raw, [ACCOUNTS_SECTION, account]);
    return [{ path: [ACCOUNTS_SECTION, account], message: `${ACCOUNTS_SECTION}.${account}: expected a mapping of ${ACCOUNT_OVERRIDE_KEYS.join(', ')}, got ${describe(overrides)}` }];
  }
  const declared = ownField(ACCOUNT_OVERRIDE_FIELDS, key) as Field;
  return [fieldProblem([ACCOUNTS_SECTION, account, key], declared, issue, rest, valueAt(raw, [ACCOUNTS_SECTION, account, key]))];
}

function notAnAccount(name: string): ConfigProblem {
  return { path: [ACCOUNTS_SECTION, name], message: `${ACCOUNTS_SECTION}: ${JSON.stringify(name)} is not an account id or name` };
}

/**
 * `section.key: <what is wrong>; allowed: <what the key takes>`. What is wrong is the value the
 * user wrote followed by the issue's words: `string "yes" is not a boolean`, `"-1d" is negative`,
 * `-3 is out of range`; inside a list or mapping, the item or entry that is wrong.
 */
function fieldProblem(path: string[], declared: Field, issue: z.core.$ZodIssue, inner: readonly string[], value: unknown): ConfigProblem {
  const where = path.join('.');
  return { path, message: `${where}: ${whatIsWrong(issue, inner, value)}; allowed: ${declared.allowed}` };
}

function whatIsWrong(issue: z.core.$ZodIssue, inner: readonly string[], value: unknown): string {
  const [at] = inner;
  if (at !== undefined) {
    const item = valueAt(value, [at]);
    return Array.isArray(value) ? `item ${Number(at) + 1} (${describe(item)}) ${issue.message}` : `${at}: ${describe(item)} ${issue.message}`;
  }
  switch (issue.code) {
    case 'too_small':
    case 'too_big':
      return `${String(value)} is out of range`;
    case 'invalid_union': {
      // The value has one option's shape (a list, not "organization"): that option's problem.
      const shaped = issue.errors.find((issues) => issues.length > 0 && issues.every((nested) => nested.path.length > 0));
      const nested = shaped?.[0];
      return nested ? whatIsWrong(nested, nested.path.map(String), value) : `${describe(value)} ${issue.message}`;
    }
    case 'invalid_type':
      return `${describe(value)} ${issue.message}`;
    default:
      return `${JSON.stringify(value)} ${issue.message}`;
  }
}

function unrecognized(issue: z.core.$ZodIssue): string[] {
  return issue.code === 'unrecognized_keys' ? issue.keys : [];
}

/** As the user wrote them: sections and keys in the order of the text, one problem per key (the first). */
function inInputOrder(problems: ConfigProblem[], raw: unknown): ConfigProblem[] {
  const position = (path: readonly string[]): number[] => {
    const at: number[] = [];
    let node = raw;
    for (const segment of path) {
      at.push(isPlainObject(node) ? Object.keys(node).indexOf(segment) : -1);
      node = valueAt(node, [segment]);
    }
    return at;
  };
  const compare = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i += 1) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
    return a.length - b.length;
  };
  return problems.map((problem) => ({ problem, at: position(problem.path) })).sort((a, b) => compare(a.at, b.at)).map(({ problem }) => problem);
}

function firstPerKey(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = JSON.stringify(problem.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Override keys naming no account of the inventory (by id or name): a warning, since an account may be collected later. */
export function unknownAccounts(config: Pick<FixWorkerConfig, 'accounts'>, known: readonly { id: string; name: string }[]): string[] {
  const names = new Set(known.flatMap((account) => [account.id, account.name]));
  return Object.keys(config.accounts).filter((account) => !names.has(account));
}

/** The field of a dotted key such as `fixworker.cleanup`, or a ValidationError listing the keys. */
export function ruleFor(dotted: string): { path: ConfigPath; field: Field } {
  const parts = dotted.split('.');
  const [section, key] = parts;
  const fields = section !== undefined ? (ownField(FIX_WORKER_FIELDS, section) as Record<string, Field> | undefined) : undefined;
  if (!fields || parts.length !== 2 || key === undefined) {
    throw new ValidationError(`${FIX_WORKER}: unknown key ${dotted}; keys: ${allDottedKeys().join(', ')}`);
  }
  const declared = ownField(fields, key);
  if (!declared) throw new ValidationError(`${FIX_WORKER}: ${unknownKeyMessage(key, section, Object.keys(fields))}`);
  return { path: [section as string, key], field: declared };
}

export function allDottedKeys(): string[] {
  return [...Object.entries(FIX_WORKER_FIELDS).flatMap(([section, fields]) => Object.keys(fields).map((key) => `${section}.${key}`)), `${ACCOUNTS_SECTION}.ID_OR_NAME[.KEY]`];
}

function unknownKeyMessage(key: string, section: string | undefined, known: string[]): string {
  const where = section ? `${section}.${key}` : key;
  const hint = section === undefined && Object.values(FIX_WORKER_FIELDS).some((fields) => ownField(fields, key) !== undefined)
    ? ` (indent it under its section)`
    : '';
  return `unknown key ${where}${hint}; allowed ${section ? `keys in ${section}` : 'sections'}: ${known.join(', ')}`;
}

/**
 * The declaration's own entry for a key a user wrote: `constructor`, `toString` or `__proto__`
 * must be unknown keys, not Object.prototype's members reached through a plain lookup.
 */
function ownField<T extends object>(record: T, key: string): T[keyof T] | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key as keyof T] : undefined;
}

/** The value the user wrote at `path`, before the schema read it (a YAML number stays a number). */
function valueAt(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
