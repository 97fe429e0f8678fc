import type { Navigation } from './ast';
import { ParseError } from './errors';

/**
 * Splits a query into tokens. Words are left uninterpreted: whether `90days` is a value, `name` a
 * path or `and` a keyword depends on where the parser meets it.
 */
export type Token =
  | { type: 'word'; text: string; pos: number }
  | { type: 'string'; text: string; pos: number }
  | { type: 'op'; text: string; pos: number }
  | { type: 'arrow'; navigation: Navigation; text: string; pos: number }
  // `:` only where the parser splits it off a word: `aggregate(kind: sum(1))`.
  | { type: 'punct'; text: '(' | ')' | '[' | ']' | ',' | '|' | ':'; pos: number }
  | { type: 'eof'; text: ''; pos: number };

/** Unquoted words: the SPEC's `[A-Za-z0-9_\-:/.]`, plus `@` and `+` for e-mail tags and time zones. */
const WORD_CHAR = /[A-Za-z0-9_\-:/.@+]/;
const OPERATORS = ['==', '!=', '>=', '<=', '=~', '!~', '=', '>', '<', '~'];

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (/\s/.test(char)) {
      i += 1;
      continue;
    }
    const arrow = readArrow(text, i);
    if (arrow) {
      tokens.push(arrow);
      i += arrow.text.length;
      continue;
    }
    if (char === '"' || char === "'") {
      const [value, end] = readString(text, i);
      tokens.push({ type: 'string', text: value, pos: i });
      i = end;
      continue;
    }
    if ('()[],|'.includes(char)) {
      tokens.push({ type: 'punct', text: char as '(' | ')' | '[' | ']' | ',' | '|', pos: i });
      i += 1;
      continue;
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (op) {
      tokens.push({ type: 'op', text: op, pos: i });
      i += op.length;
      continue;
    }
    if (WORD_CHAR.test(char)) {
      let end = i + 1;
      while (end < text.length && WORD_CHAR.test(text[end] as string) && !startsArrow(text, end)) end += 1;
      tokens.push({ type: 'word', text: text.slice(i, end), pos: i });
      i = end;
      continue;
    }
    throw new ParseError(`unexpected character ${JSON.stringify(char)}`, text, i + 1);
  }
  tokens.push({ type: 'eof', text: '', pos: text.length });
  return tokens;
}

/** Where a word stops: before a traversal, as in `is(user)-->all` and `a-[1:2]->b`. */
function startsArrow(text: string, i: number): boolean {
  return text[i] === '-' && readArrow(text, i) !== undefined;
}

/** The edge types cloudsweep's graph has: Fix Inventory's `default` (the ownership tree) and no other. */
export const EDGE_TYPES: readonly string[] = ['default'];

const EDGE_TYPE_LIST = /[A-Za-z_][A-Za-z0-9_]*(?:,[A-Za-z_][A-Za-z0-9_]*)*/y;
const RANGE = /\[\s*(\d+)\s*(?:(:|,|\.\.)\s*(\d*)\s*)?\]/y;

/**
 * Reads a traversal as Fix Inventory's parser defines them: `-->`, `<--`, `<-->`, a depth range
 * (`-[1:2]->`, `[1,2]`, `[1..2]`, `[1:]`, `[1]`) and edge types before or after it (`-default->`,
 * `<-default[0:2]-`, `-[1:]default->`; both ways, inbound types before and outbound after:
 * `<-default[0:1]default->`). Undefined where there is none: `-90d`, `in-use`, `<-5`.
 */
function readArrow(text: string, i: number): Token | undefined {
  const inbound = text.startsWith('<-', i);
  if (!inbound && text[i] !== '-') return undefined;
  let at = i + (inbound ? 2 : 1);
  const before = edgeTypesAt(text, at);
  at += before.length;
  const range = text[at] === '[' ? depthRange(text, at, i) : undefined;
  at = range?.end ?? at;
  if (text[at] === '{') throw new ParseError('expected the end of the traversal: edge filters {...} are not supported, cloudsweep\'s edges have no properties', text, at + 1);
  const after = edgeTypesAt(text, at);
  at += after.length;
  const outbound = text.startsWith('->', at);
  if (!outbound && !(inbound && text[at] === '-')) {
    if (range) throw new ParseError(`expected ${inbound ? '- or ->' : '->'} to close the traversal`, text, at + 1);
    return undefined;
  }
  if (before !== '' && after !== '' && !(inbound && outbound)) {
    throw new ParseError('edge types go before or after the depth range, not both', text, at - after.length + 1);
  }
  checkEdgeTypes(text, i + (inbound ? 2 : 1), before);
  checkEdgeTypes(text, at - after.length, after);
  const end = at + (outbound ? 2 : 1);
  const direction = inbound && outbound ? 'inout' : inbound ? 'in' : 'out';
  const { start, until } = range ?? { start: 1, until: 1 };
  return { type: 'arrow', navigation: { direction, start, ...(until === undefined ? {} : { until }) }, text: text.slice(i, end), pos: i };
}

function edgeTypesAt(text: string, at: number): string {
  EDGE_TYPE_LIST.lastIndex = at;
  return EDGE_TYPE_LIST.exec(text)?.[0] ?? '';
}

function checkEdgeTypes(text: string, at: number, list: string): void {
  let pos = at;
  for (const type of list === '' ? [] : list.split(',')) {
    if (!EDGE_TYPES.includes(type)) {
      throw new ParseError(`unknown edge type ${JSON.stringify(type)}; cloudsweep's graph has one edge type: ${EDGE_TYPES.join(', ')}`, text, pos + 1);
    }
    pos += type.length + 1;
  }
}

function depthRange(text: string, at: number, arrowAt: number): { start: number; until?: number; end: number } {
  RANGE.lastIndex = at;
  const match = RANGE.exec(text);
  if (!match) throw new ParseError('expected a depth range such as [1:2], [0:] or [1] in the traversal', text, at + 1);
  const [whole, first, separator, last] = match;
  const start = Number(first);
  const until = separator === undefined ? start : last === '' || last === undefined ? undefined : Number(last);
  if (until !== undefined && until < start) throw new ParseError(`traversal depth ${start}:${until} ends before it starts`, text, arrowAt + 1);
  return { start, ...(until === undefined ? {} : { until }), end: at + whole.length };
}

function readString(text: string, start: number): [string, number] {
  const quote = text[start] as string;
  let i = start + 1;
  let raw = '';
  while (i < text.length) {
    const char = text[i] as string;
    if (char === quote) {
      return [decode(raw, quote, text, start), i + 1];
    }
    if (char === '\\') {
      raw += char + (text[i + 1] ?? '');
      i += 2;
      continue;
    }
    raw += char;
    i += 1;
  }
  throw new ParseError(`unterminated string: expected a closing ${quote}`, text, start + 1);
}

function decode(raw: string, quote: string, text: string, start: number): string {
  // JSON string rules for both quote styles; in single quotes \' stands for a quote.
  let json = '';
  for (let i = 0; i < raw.length; i += 1) {
    const char = raw[i] as string;
    if (char === '\\') {
      const next = raw[i + 1] ?? '';
      json += next === "'" && quote === "'" ? "'" : `\\${next}`;
      i += 1;
    } else if (char === '"') {
      json += '\\"';
    } else if (char < ' ') {
      json += `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
    } else {
      json += char;
    }
  }
  try {
    return JSON.parse(`"${json}"`) as string;
  } catch {
    throw new ParseError('invalid escape in string (use JSON escapes such as \\" or \\n)', text, start + 1);
  }
}

/**
 * Where in the query the character at `offset` of a string token's value was written: past the
 * opening quote, an escape such as `\\` or `\u0041` counting as the one character it stands for.
 */
export function sourceColumn(text: string, token: Token, offset: number): number {
  if (token.type !== 'string') return token.pos + offset + 1;
  let at = token.pos + 1;
  for (let decoded = 0; decoded < offset && at < text.length; decoded += 1) {
    at += text[at] !== '\\' ? 1 : text[at + 1] === 'u' ? 6 : 2;
  }
  return at + 1;
}
