import { DESIRED_FIELDS, FieldType, FieldTypes, Kind, KINDS, METADATA_FIELDS, REPORTED_FIELDS } from '../inventory/model';
import type { Command, Path, Query, Term, WithClause } from './ast';
import { concreteKinds, kindsOf } from './evaluate';
import { SYNTHETIC_PROPERTIES } from './paths';

/**
 * The inventory's model is closed: a path that no kind in the query's scope has is a typo, not a
 * missing value (`/ancestors.user.reported.nmae not in [jenkins]` would otherwise be true for
 * every key, and `| clean` would flag them). The scope is what `is(...)` allows where the path is
 * read; `/ancestors.KIND.` paths are read on KIND.
 */

/** Why a path is unknown: the problem, and which of its keys (0-based) is the first wrong one. */
export interface UnknownPath {
  path: Path;
  problem: string;
  key: number;
}

const ALL_KINDS: ReadonlySet<Kind> = new Set(Object.keys(KINDS) as Kind[]);

/** The first unknown path of a query, in the order written; undefined when every path is known. */
export function findUnknownPath(query: Query): UnknownPath | undefined {
  let problem: UnknownPath | undefined;
  const check = (path: Path, scope: ReadonlySet<Kind>): void => {
    problem ??= unknownPath(path, scope);
  };
  let scope: ReadonlySet<Kind> = ALL_KINDS;
  for (const part of query.parts) {
    scope = narrow(ALL_KINDS, kindsOf(part.term));
    checkTerm(part.term, scope, check);
    if (part.with) checkWith(part.with, check);
    for (const key of part.sort ?? []) check(key.path, scope);
  }
  // Commands read the last part's nodes, or what a traversal command moved them to.
  for (const command of query.commands) {
    for (const path of commandPaths(command)) check(path, scope);
    scope = scopeAfter(command, scope);
  }
  return problem;
}

/** The property paths a command reads from each node it gets. */
function commandPaths(command: Command): Path[] {
  switch (command.name) {
    case 'count':
      return command.path ? [command.path] : [];
    case 'list':
      return command.columns.map((column) => column.path);
    case 'sort':
      return command.keys.map((key) => key.path);
    case 'aggregate':
      return [...command.groups.map((group) => group.path), ...command.functions.flatMap((fn) => (typeof fn.of === 'number' ? [] : [fn.of]))];
    default:
      return [];
  }
}

/** `| ancestors account` leaves accounts (and the nodes it started from, with the origin). */
function scopeAfter(command: Command, scope: ReadonlySet<Kind>): ReadonlySet<Kind> {
  switch (command.name) {
    case 'ancestors':
    case 'descendants':
    case 'predecessors':
    case 'successors': {
      if (command.kind === undefined) return ALL_KINDS;
      const reached = concreteKinds([command.kind]);
      return command.withOrigin ? new Set([...reached, ...scope]) : reached;
    }
    default:
      return scope;
  }
}

/** A with clause's term is read on the nodes its traversal reaches: their kinds are what its is(...) allows. */
function checkWith(clause: WithClause, check: (path: Path, scope: ReadonlySet<Kind>) => void): void {
  if (clause.term) checkTerm(clause.term, narrow(ALL_KINDS, kindsOf(clause.term)), check);
  if (clause.with) checkWith(clause.with, check);
}

function checkTerm(term: Term, scope: ReadonlySet<Kind>, check: (path: Path, scope: ReadonlySet<Kind>) => void): void {
  switch (term.type) {
    case 'and': {
      const inner = narrow(scope, kindsOf(term));
      checkTerm(term.left, inner, check);
      checkTerm(term.right, inner, check);
      return;
    }
    case 'or':
      checkTerm(term.left, narrow(scope, kindsOf(term.left)), check);
      checkTerm(term.right, narrow(scope, kindsOf(term.right)), check);
      return;
    case 'not':
      checkTerm(term.term, scope, check);
      return;
    case 'predicate':
    case 'has_key':
      check(term.path, scope);
      return;
    default:
      return;
  }
}

/** The kinds of the scope a term allows; a contradiction (`is(user) and is(access_key)`) keeps the term's. */
function narrow(scope: ReadonlySet<Kind>, kinds: ReadonlySet<Kind> | undefined): ReadonlySet<Kind> {
  if (!kinds) return scope;
  const both = new Set([...kinds].filter((kind) => scope.has(kind)));
  return both.size > 0 ? both : kinds;
}

/** Why no kind in scope has this path, or undefined when one has it. */
export function unknownPath(path: Path, scope: ReadonlySet<Kind>): UnknownPath | undefined {
  if (path.type === 'account') return undefined;
  const kinds = path.ancestor === undefined ? scope : concreteKinds([path.ancestor]);
  const { section, keys } = path;
  if (keys.length === 0) return undefined;
  if (section === 'reported' && keys.length === 1 && SYNTHETIC_PROPERTIES.includes(keys[0] as string)) return undefined;
  const fields = section === 'metadata' ? [METADATA_FIELDS] : section === 'desired' ? [DESIRED_FIELDS] : [...kinds].map((kind) => REPORTED_FIELDS[kind]);
  const where = section !== 'reported' ? `in /${section}` : kinds.size === ALL_KINDS.size ? 'on any kind' : `on ${[...kinds].map(label).join(' or ')}`;
  let level: FieldTypes[] = fields;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    const found = level.map((known) => (Object.prototype.hasOwnProperty.call(known, key) ? known[key] : undefined)).filter((type): type is FieldType => type !== undefined);
    if (found.length === 0) {
      const names = [...new Set([...level.flatMap((known) => Object.keys(known)), ...(i === 0 && section === 'reported' ? SYNTHETIC_PROPERTIES : [])])].sort();
      const at = i === 0 ? where : `in ${keys.slice(0, i).join('.')}`;
      return { path, key: i, problem: `unknown property ${JSON.stringify(key)} ${at}${suggestion(key, names)}` };
    }
    if (found.includes('tags')) return undefined; // tags.<anything>
    const nested = found.filter((type): type is FieldTypes => typeof type === 'object');
    if (i < keys.length - 1 && nested.length === 0) {
      const kind = typeof found[0] === 'string' ? found[0].replace('?', '') : 'value';
      return { path, key: i + 1, problem: `${keys.slice(0, i + 1).join('.')} is a ${kind}: it has no property ${JSON.stringify(keys[i + 1])}` };
    }
    level = nested;
  }
  return undefined;
}

function label(kind: Kind): string {
  return KINDS[kind][0];
}

/** "; did you mean name?" for the closest known names, else the list of what is known. */
function suggestion(key: string, names: readonly string[]): string {
  const limit = Math.max(1, Math.floor(key.length / 3));
  const close = names
    .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name.toLowerCase()) }))
    .filter(({ name, distance }) => distance <= limit || name.startsWith(key) || key.startsWith(name))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map(({ name }) => name);
  if (close.length > 0) return `; did you mean ${close.join(' or ')}?`;
  return `; known: ${names.join(', ')}`;
}

/** Levenshtein distance, with a transposition counting as one edit (`nmae` is one from `name`). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
