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
  | { type: 'punct'; text: '(' | ')' | '[' | ']' | ',' | '|'; pos: number }
  | { type: 'eof'; text: ''; pos: number };

/** Unquoted words: the SPEC's `[A-Za-z0-9_\-:/.]`, plus `@` and `+` for e-mail tags and time zones. */
const WORD_CHAR = /[A-Za-z0-9_\-:/.@+]/;
const OPERATORS = ['==', '!=', '>=', '<=', '=~', '!~', '=', '>', '<', '~'];
const RANGE_ARROW = /(<?)-\[\s*(\d+)\s*(?:(:)\s*(\d*)\s*)?\](-(>?))?/y;

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
      // A word ends where an arrow begins: `is(user)-->all` and `a-[1:2]->b` read as expected.
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

function startsArrow(text: string, i: number): boolean {
  return text.startsWith('-->', i) || text.startsWith('-[', i);
}

function readArrow(text: string, i: number): Token | undefined {
  const fixed: [string, Navigation][] = [
    ['<-->', { direction: 'inout', start: 1, until: 1 }],
    ['<--', { direction: 'in', start: 1, until: 1 }],
    ['-->', { direction: 'out', start: 1, until: 1 }],
  ];
  for (const [arrow, navigation] of fixed) {
    if (text.startsWith(arrow, i)) return { type: 'arrow', navigation, text: arrow, pos: i };
  }
  if (!text.startsWith('-[', i) && !text.startsWith('<-[', i)) return undefined;
  RANGE_ARROW.lastIndex = i;
  const match = RANGE_ARROW.exec(text);
  if (!match) {
    throw new ParseError('expected a traversal such as -[1:2]->, <-[0:]- or <-[1]->', text, i + 1);
  }
  const [whole, inbound, start, colon, until, tail, outbound] = match;
  if (tail === undefined || (!inbound && !outbound)) {
    throw new ParseError(`expected ${inbound ? ']- or ]->' : ']->'} to close the traversal`, text, i + whole.length + 1);
  }
  const from = Number(start);
  const to = colon ? (until === '' || until === undefined ? undefined : Number(until)) : from;
  if (to !== undefined && to < from) {
    throw new ParseError(`traversal depth ${from}:${to} ends before it starts`, text, i + 1);
  }
  const direction = inbound && outbound ? 'inout' : inbound ? 'in' : 'out';
  return {
    type: 'arrow',
    navigation: { direction, start: from, ...(to === undefined ? {} : { until: to }) },
    text: whole,
    pos: i,
  };
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
