import type { Command, Limit, Navigation, Part, Query, SortKey, Term, Value, WithClause } from './ast';
import { formatPath } from './paths';

/**
 * Prints a Query back as search text. `parse(format(q))` deep-equals `q`: jobs show their query
 * in a normal form, and the round trip is property-tested.
 */
export function format(query: Query): string {
  const parts = query.parts.map(formatPart).join(' ');
  return [parts, ...query.commands.map(formatCommand)].join(' | ');
}

export function formatPart(part: Part): string {
  const pieces = [formatTerm(part.term)];
  if (part.with) pieces.push(formatWith(part.with));
  if (part.sort) pieces.push(formatSort(part.sort));
  if (part.limit) pieces.push(formatLimit(part.limit));
  if (part.navigation) pieces.push(formatNavigation(part.navigation));
  return pieces.join(' ');
}

function formatWith(clause: WithClause): string {
  const { op, value } = clause.count;
  const count = value === 0 && op === '=' ? 'empty' : value === 0 && op === '>' ? 'any' : `count ${op} ${value}`;
  const rest = [formatNavigation(clause.navigation), clause.term ? formatTerm(clause.term) : '', clause.with ? formatWith(clause.with) : ''];
  return `with(${count}, ${rest.filter(Boolean).join(' ')})`;
}

function formatSort(keys: readonly SortKey[]): string {
  return `sort ${keys.map((key) => `${formatPath(key.path)} ${key.order}`).join(', ')}`;
}

function formatLimit(limit: Limit): string {
  return limit.offset === 0 ? `limit ${limit.count}` : `limit ${limit.offset}, ${limit.count}`;
}

export function formatNavigation(navigation: Navigation): string {
  const { direction, start, until } = navigation;
  if (start === 1 && until === 1) return direction === 'out' ? '-->' : direction === 'in' ? '<--' : '<-->';
  const range = until === start ? `${start}` : `${start}:${until ?? ''}`;
  return direction === 'out' ? `-[${range}]->` : direction === 'in' ? `<-[${range}]-` : `<-[${range}]->`;
}

const PRECEDENCE: Record<Term['type'], number> = { or: 1, and: 2, not: 3, all: 4, is: 4, id: 4, predicate: 4, has_key: 4, fulltext: 4 };

export function formatTerm(term: Term): string {
  switch (term.type) {
    case 'all':
      return 'all';
    case 'is':
      return `is(${term.kinds.map(formatWord).join(', ')})`;
    case 'id':
      return `id(${term.ids.map(formatWord).join(', ')})`;
    case 'has_key':
      return `has_key(${formatPath(term.path)}, ${term.keys.map((key) => JSON.stringify(key)).join(', ')})`;
    case 'fulltext':
      return JSON.stringify(term.text);
    case 'predicate':
      return [formatPath(term.path), term.modifier, term.op, formatValue(term.value)].filter(Boolean).join(' ');
    case 'not':
      return `not ${wrap(term.term, PRECEDENCE.not)}`;
    case 'and':
    case 'or':
      // Left-folded: the left side needs brackets only below this level, the right side at it too.
      return `${wrap(term.left, PRECEDENCE[term.type])} ${term.type} ${wrap(term.right, PRECEDENCE[term.type] + 1)}`;
  }
}

function wrap(term: Term, level: number): string {
  const text = formatTerm(term);
  return PRECEDENCE[term.type] < level ? `(${text})` : text;
}

const UNQUOTED = /^[A-Za-z0-9_\-:/.@+]+$/;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null', 'sort', 'limit', 'all', 'any', 'none', 'asc', 'desc', 'as', 'search', 'with']);

/** A string bare when it reads back as the same string, else JSON-quoted. */
function formatWord(text: string): string {
  const bare =
    UNQUOTED.test(text) &&
    !KEYWORDS.has(text) &&
    /[^0-9]/.test(text) &&
    !/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text) &&
    !text.includes('-->') &&
    !text.includes('-[');
  return bare ? text : JSON.stringify(text);
}

/** A column or aggregate name after `as`: bare when it is a plain identifier, else quoted (`"a b"`, `"x:"`). */
function formatName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) && !KEYWORDS.has(name) ? name : JSON.stringify(name);
}

export function formatValue(value: Value): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'string') return formatWord(value);
  if (Object.is(value, -0)) return '-0';
  return JSON.stringify(value);
}

export function formatCommand(command: Command): string {
  switch (command.name) {
    case 'count':
      return command.path ? `count ${formatPath(command.path)}` : 'count';
    case 'list': {
      const columns = command.columns.map((column) => (column.name === undefined ? formatPath(column.path) : `${formatPath(column.path)} as ${formatName(column.name)}`));
      return ['list', columns.join(', '), command.format === 'table' ? '' : `--${command.format}`].filter(Boolean).join(' ');
    }
    case 'head':
    case 'tail':
      return `${command.name} ${command.count}`;
    case 'clean':
    case 'unclean':
      return command.reason === undefined ? command.name : `${command.name} ${JSON.stringify(command.reason)}`;
    case 'protect':
      return ['protect', command.until === undefined ? '' : `--until ${command.until}`, command.reason === undefined ? '' : `--reason ${JSON.stringify(command.reason)}`].filter(Boolean).join(' ');
    case 'sort':
      return formatSort(command.keys);
    case 'limit':
      return formatLimit(command.limit);
    case 'ancestors':
    case 'descendants':
    case 'predecessors':
    case 'successors':
      return [command.name, command.withOrigin ? '--with-origin' : '', command.kind ?? ''].filter(Boolean).join(' ');
    case 'aggregate': {
      const named = (text: string, name: string | undefined) => (name === undefined ? text : `${text} as ${formatName(name)}`);
      const groups = command.groups.map((group) => named(formatPath(group.path), group.name));
      const functions = command.functions.map((f) => named(`${f.fn}(${typeof f.of === 'number' ? formatValue(f.of) : formatPath(f.of)})`, f.name));
      return `aggregate ${groups.length > 0 ? `${groups.join(', ')}: ` : ''}${functions.join(', ')}`;
    }
    default:
      return command.name;
  }
}
