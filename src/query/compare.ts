import type { InventoryNode } from '../inventory/model';
import type { Operator, PredicateTerm, PropertyPath, Value } from './ast';
import { parseDatetime, parseDuration, timestampOf } from './durations';
import { accountOf, ancestorFinder, EvaluationContext, propertyReader, TimedProperty, timestampReader } from './properties';
import { isDurationPath } from './paths';
import { ValidationError } from '../errors';
import { compilePattern } from './regex';

type ValueTest = (value: unknown) => boolean;

/**
 * Compiles `path OP value` into a node test (SPEC section 3):
 * - a comparison on a missing (or null) property is false, except `= null`, `!= value`,
 *   `not in [...]` and `!~`, which hold for what is not there;
 * - `age`, `last_access`, `last_update` compare as durations (`last_access > 90days`);
 * - a duration against a datetime property means now + duration (`ctime < -90d`);
 * - `account` matches the account's name or id.
 */
export function predicateTest(term: PredicateTerm, context: EvaluationContext): NodeTest {
  if (term.path.type === 'account') return accountTest(term, context);
  if (term.path.ancestor !== undefined) return ancestorTest(term, term.path.ancestor, context);
  const elapsed = elapsedTest(term, context);
  if (elapsed) return elapsed;
  const read = propertyReader(term.path, context);
  const test = withModifier(valueTest(term.op, term.value, isDurationPath(term.path), context.now), term.modifier);
  return (node, ordinal) => test(read(node, ordinal));
}

/** A compiled term: the node, and its ordinal in the graph when the caller knows it. */
export type NodeTest = (node: InventoryNode, ordinal?: number) => boolean;

function accountTest(term: PredicateTerm, context: EvaluationContext): NodeTest {
  const negated = NEGATIONS[term.op];
  const positive = withModifier(valueTest(negated ?? term.op, term.value, false, context.now), term.modifier);
  const whenMissing = withModifier(valueTest(term.op, term.value, false, context.now), term.modifier)(undefined);
  return (node, ordinal) => {
    const account = accountOf(node, context.graph, ordinal);
    if (!account) return whenMissing;
    const matches = positive(account.reported.name) || positive(account.id);
    return negated ? !matches : matches;
  };
}

/**
 * `/ancestors.user.reported.name not in [...]`: the test of the ancestor's own property, made once
 * per ancestor in an evaluation however many nodes share it (a user's keys), when ordinals are known.
 */
function ancestorTest(term: PredicateTerm, ancestor: string, context: EvaluationContext): NodeTest {
  const { graph } = context;
  const find = ancestorFinder(ancestor, graph);
  const { ancestor: _ancestor, ...ownPath } = term.path as PropertyPath;
  const own = predicateTest({ ...term, path: ownPath }, context);
  const whenMissing = withModifier(valueTest(term.op, term.value, isDurationPath(term.path), context.now), term.modifier)(undefined);
  let known: Uint8Array | undefined; // by ancestor ordinal: 0 not yet tested, 1 passes, 2 fails
  return (node, ordinal = graph.ordinalOf(node.id)) => {
    const found = ordinal < 0 ? -1 : find.fromOrdinal(ordinal);
    if (found < 0) return whenMissing;
    known ??= new Uint8Array(graph.ordinalCount);
    let verdict = known[found] as number;
    if (verdict === 0) {
      verdict = own(graph.nodeAt(found) as InventoryNode, found) ? 1 : 2;
      known[found] = verdict;
    }
    return verdict === 1;
  };
}

/**
 * `last_access > 90days` and its kin, compiled to arithmetic on the node's timestamp: the hot
 * test of the seed's queries, without a duration value made per node. Same answers as the
 * general path: a missing timestamp is NaN, and every ordering with NaN is false.
 */
function elapsedTest(term: PredicateTerm, context: EvaluationContext): NodeTest | undefined {
  const { path, op, value, modifier } = term;
  if (path.type !== 'property' || path.ancestor !== undefined || modifier || !isDurationPath(path)) return undefined;
  if ((op !== '>' && op !== '>=' && op !== '<' && op !== '<=') || value === null || Array.isArray(value)) return undefined;
  const ms = durationOf(value);
  const at = timestampReader(path.keys[0] as TimedProperty, context);
  const { now } = context;
  switch (op) {
    case '>':
      return (node, ordinal) => now - at(node, ordinal) - ms > 0;
    case '>=':
      return (node, ordinal) => now - at(node, ordinal) - ms >= 0;
    case '<':
      return (node, ordinal) => now - at(node, ordinal) - ms < 0;
    case '<=':
      return (node, ordinal) => now - at(node, ordinal) - ms <= 0;
  }
}

const NEGATIONS: Partial<Record<Operator, Operator>> = { '!=': '=', 'not in': 'in', '!~': '~' };

function withModifier(test: ValueTest, modifier: PredicateTerm['modifier']): ValueTest {
  if (!modifier) return test;
  return (value) => {
    // What is not there follows the missing-value rule of the operator, with or without a modifier.
    if (value === undefined || value === null) return test(value);
    const items = Array.isArray(value) ? value : [value];
    if (modifier === 'any') return items.some(test);
    if (modifier === 'all') return items.length > 0 && items.every(test);
    return !items.some(test);
  };
}

function valueTest(op: Operator, literal: Value, durations: boolean, now: number): ValueTest {
  if (op === '~' || op === '!~') {
    const pattern = compilePattern(String(literal));
    if ('problem' in pattern) throw new ValidationError(pattern.problem);
    const matches = (value: unknown) => isScalar(value) && pattern(String(value));
    return op === '~' ? (value) => !isMissing(value) && matches(value) : (value) => isMissing(value) || !matches(value);
  }
  if (op === 'in' || op === 'not in') {
    const items = Array.isArray(literal) ? literal.map((item) => prepare(item, durations, now)) : [prepare(literal, durations, now)];
    const acceptsMissing = items.some((item) => item.value === null);
    const contains = (value: unknown) => items.some((item) => item.equals(value));
    return op === 'in' ? (value) => (isMissing(value) ? acceptsMissing : contains(value)) : (value) => (isMissing(value) ? !acceptsMissing : !contains(value));
  }
  const expected = prepare(literal, durations, now);
  switch (op) {
    case '=':
      return expected.value === null ? isMissing : (value) => !isMissing(value) && expected.equals(value);
    case '!=':
      return expected.value === null ? (value) => !isMissing(value) : (value) => isMissing(value) || !expected.equals(value);
    case '>':
      return (value) => { const c = expected.compare(value); return c !== undefined && c > 0; };
    case '>=':
      return (value) => { const c = expected.compare(value); return c !== undefined && c >= 0; };
    case '<':
      return (value) => { const c = expected.compare(value); return c !== undefined && c < 0; };
    case '<=':
      return (value) => { const c = expected.compare(value); return c !== undefined && c <= 0; };
  }
}

interface Prepared {
  value: Value;
  equals(value: unknown): boolean;
  /** value - literal as a sign; undefined when they cannot be ordered (or the value is missing). */
  compare(value: unknown): number | undefined;
}

function prepare(literal: Value, durations: boolean, now: number): Prepared {
  if (durations && literal !== null && !Array.isArray(literal)) {
    const ms = durationOf(literal);
    return {
      value: literal,
      equals: (value) => value === ms,
      compare: (value) => (typeof value === 'number' ? value - ms : undefined),
    };
  }
  const at = typeof literal === 'string' ? instantOf(literal, now) : undefined;
  if (at !== undefined) {
    return {
      value: literal,
      equals: (value) => value === literal || (typeof value === 'string' && timeOf(value) === at),
      compare: (value) => {
        const time = typeof value === 'string' ? timeOf(value) : undefined;
        return time !== undefined ? time - at : compareValues(value, literal);
      },
    };
  }
  return { value: literal, equals: (value) => looseEquals(value, literal), compare: (value) => compareValues(value, literal) };
}

/** A duration literal in milliseconds: a number is seconds, a string is parsed (`90days`). */
function durationOf(literal: string | number | boolean): number {
  const ms = typeof literal === 'number' ? literal * 1000 : parseDuration(String(literal));
  if (ms === undefined) throw new ValidationError(`expected a duration, got ${JSON.stringify(literal)}`);
  return ms;
}

/** A datetime literal, or a duration meaning now + duration. */
function instantOf(text: string, now: number): number | undefined {
  const at = parseDatetime(text);
  if (at !== undefined) return at;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : now + ms;
}

const DATE_LIKE = /^\d{4}-\d{2}-\d{2}/;

function timeOf(text: string): number | undefined {
  if (!DATE_LIKE.test(text)) return undefined;
  const at = timestampOf(text);
  return Number.isNaN(at) ? undefined : at;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Equality that lets `id = 123456789012` (a number) find the string id. */
export function looseEquals(value: unknown, literal: unknown): boolean {
  if (value === literal) return true;
  if (typeof value === 'string' && typeof literal === 'number') return value !== '' && Number(value) === literal;
  if (typeof value === 'number' && typeof literal === 'string') return literal !== '' && Number(literal) === value;
  if (Array.isArray(value) && Array.isArray(literal)) {
    return value.length === literal.length && value.every((item, i) => looseEquals(item, literal[i]));
  }
  if (typeof value === 'object' && value !== null && typeof literal === 'object' && literal !== null && !Array.isArray(value) && !Array.isArray(literal)) {
    const keys = Object.keys(value);
    return keys.length === Object.keys(literal).length && keys.every((key) => looseEquals((value as Record<string, unknown>)[key], (literal as Record<string, unknown>)[key]));
  }
  return false;
}

/** Orders two scalars: numbers by value (numeric strings too), strings by code point. */
export function compareValues(a: unknown, b: unknown): number | undefined {
  if (a === undefined || a === null || b === undefined || b === null) return undefined;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'string' && b !== '' && !Number.isNaN(Number(b))) return a - Number(b);
  if (typeof a === 'string' && typeof b === 'number' && a !== '' && !Number.isNaN(Number(a))) return Number(a) - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}
