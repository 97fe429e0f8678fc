import fc from 'fast-check';
import { ALL_KIND_NAMES } from '../../../src/inventory/model';
import { ParseError } from '../../../src/query/errors';
import { parse } from '../../../src/query/parser';
import { format } from '../../../src/query/print';

/** Query text built from the grammar: mostly valid, sometimes not (a duration path with a word). */
const kind = fc.constantFrom(...ALL_KIND_NAMES);
const path = fc.constantFrom(
  'name', 'age', 'last_access', 'last_update', 'tags.owner', 'access_key_last_used.service_name', 'ctime', 'kind', 'account',
  '/reported.name', '/metadata.protected', '/desired.clean', '/ancestors.user.reported.name', '/ancestors.account.reported.id', '/reported.id', '/metadata',
);
const word = fc.constantFrom('jenkins', 'in-use', '90days', '-90d', 'P90D', '1h30m', '2026-01-01', '2026-01-01T10:00:00Z', 'arn:aws:iam::1:user/x', 'not', 'true', 'null', 'false', 'and', 'x@y.z');
const scalar = fc.oneof(
  word,
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.string().map((s) => JSON.stringify(s)),
);
const value = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }).map((items) => `[${items.join(', ')}]`) });
const op = fc.constantFrom('=', '==', '!=', '>', '>=', '<', '<=', '~', '=~', '!~', 'in', 'not in');
const modifier = fc.constantFrom('', 'any ', 'all ', 'none ');

const { term } = fc.letrec<{ term: string; leaf: string }>((tie) => ({
  leaf: fc.oneof(
    fc.array(kind, { minLength: 1, maxLength: 3 }).map((kinds) => `is(${kinds.join(', ')})`),
    fc.array(fc.oneof(word, fc.string().map((s) => JSON.stringify(s))), { minLength: 1, maxLength: 2 }).map((ids) => `id(${ids.join(', ')})`),
    fc.constant('all'),
    fc.tuple(path, modifier, op, value).map(([p, m, o, v]) => `${p} ${m}${o} ${v}`),
    fc.tuple(path, fc.string()).map(([p, k]) => `has_key(${p}, ${JSON.stringify(k)})`),
    fc.string().map((s) => JSON.stringify(s)),
  ),
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    tie('term').map((t) => `not ${t}`),
    fc.tuple(tie('term'), fc.constantFrom('and', 'or'), tie('term')).map(([a, o, b]) => `${a} ${o} ${b}`),
    tie('term').map((t) => `(${t})`),
  ),
}));
const arrow = fc.constantFrom(
  '-->', '<--', '<-->', '-[0:2]->', '-[1:]->', '<-[2]-', '<-[0:1]->',
  '-default->', '<-default-', '<-default->', '-default[0:2]->', '-[1:]default->', '<-default[2]-', '<-default[0:1]default->', '-[0..2]->', '<-[1,2]-',
);
const sortLimit = fc.constantFrom('', ' sort name', ' sort age desc, name asc', ' limit 5', ' sort account limit 2, 3');
const withCount = fc.constantFrom('empty', 'any', 'count == 2', 'count>=1', 'count != 0', 'count < 3');
const { withClause } = fc.letrec<{ withClause: string }>((tie) => ({
  withClause: fc
    .tuple(withCount, arrow, fc.option(term, { nil: '' }), fc.option(tie('withClause'), { nil: '', depthSize: 'small' }))
    .map(([count, a, t, inner]) => `with(${count}, ${[a, t, inner].filter(Boolean).join(' ')})`),
}));
const part = fc.tuple(term, fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: withClause }), sortLimit).map(([t, w, s]) => `${t}${w ? ` ${w}` : ''}${s}`);
const command = fc.constantFrom(
  'count', 'count name', 'count /ancestors.account.reported.name', 'list', 'list name, age as "a b" --csv', 'list --json', 'head 5', 'tail', 'tail -3', 'dump', 'clean', 'clean "x y"', 'clean unused keys', 'unclean', 'unclean "still in use"', 'protect', 'unprotect',
  'sort name desc, age', 'limit 5', 'limit 2, 3', 'predecessors', 'successors --with-origin', 'ancestors default account', 'descendants --with-origin access_key',
  'aggregate sum(1)', 'aggregate /ancestors.account.reported.name as account, access_key_status: sum(1) as keys, max(last_access)', 'aggregate kind:count(name) as "a b"', 'aggregate account as "x:": avg(age), min(-1.5)',
);
const query = fc
  .tuple(fc.boolean(), fc.array(part, { minLength: 1, maxLength: 3 }), fc.array(arrow, { minLength: 2, maxLength: 2 }), fc.array(command, { maxLength: 3 }), fc.boolean(), fc.boolean())
  .map(([search, parts, arrows, commands, trailingArrow, withPreamble]) => {
    const aggregate = withPreamble && commands.length === 0;
    // An empty part between two arrows: `id(4) --> <--`.
    let text = parts.map((p, i) => (i === 0 ? p : `${arrows[i % 2]} ${p === 'all' ? '' : p}`)).join(' ');
    if (trailingArrow) text += ` ${arrows[0]}`;
    const preamble = aggregate ? 'aggregate(kind as k, /ancestors.user.reported.name: sum(1) as n, max(age)): ' : '';
    return `${search ? 'search ' : ''}${preamble}${[text, ...commands].join(' | ')}`;
  });

/** Parses, or throws ParseError; anything else fails the property. */
function parseOrParseError(text: string): ReturnType<typeof parse> | undefined {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof ParseError) {
      expect(error.column).toBeGreaterThanOrEqual(1);
      expect(error.column).toBeLessThanOrEqual(text.length + 1);
      return undefined;
    }
    throw error;
  }
}

describe('format', () => {
  it('prints what parses back to the same query', () => {
    fc.assert(
      fc.property(query, (text) => {
        const parsed = parseOrParseError(text);
        if (parsed === undefined) return;
        expect(parse(format(parsed))).toEqual(parsed);
      }),
      { numRuns: 1500 },
    );
  });

  it('generates mostly valid queries, so the round trip is really exercised', () => {
    const samples = fc.sample(query, { numRuns: 300, seed: 42 });
    const valid = samples.filter((text) => parseOrParseError(text) !== undefined);
    expect(valid.length).toBeGreaterThan(150);
  });

  it('prints the seed queries in their normal form', () => {
    expect(format(parse('search is(access_key) and last_access > 90days <-- is(user) and name not in [jenkins, ci] | count name'))).toBe(
      'is(access_key) and last_access > 90days <-- is(user) and name not in [jenkins, ci] | count name',
    );
    expect(format(parse('(tags.a=1 or tags.b=2) and not (tags.c=3 and tags.d=4) or tags.e==true'))).toBe('(tags.a = 1 or tags.b = 2) and not (tags.c = 3 and tags.d = 4) or tags.e = true');
    expect(format(parse('tags.a = 1 and (tags.b = 2 and tags.c = 3)'))).toBe('tags.a = 1 and (tags.b = 2 and tags.c = 3)');
    expect(format(parse('name = "and" and tags.x = "12" and tags.y = "a b" | clean unused'))).toBe('name = "and" and tags.x = "12" and tags.y = "a b" | clean "unused"');
    expect(format(parse('/reported.id = 1'))).toBe('/reported.id = 1');
    expect(format(parse('is(user) with(count==2, -default-> is(access_key) with(empty, <-default[0:2]default->)) | predecessors --with-origin default'))).toBe(
      'is(user) with(count = 2, --> is(access_key) with(empty, <-[0:2]->)) | predecessors --with-origin',
    );
  });
});

describe('parse under fuzzing', () => {
  it('returns a query or throws ParseError for mutated queries', () => {
    const mutation = fc.tuple(query, fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...'()[]|,"\'=<>!~-:./ \\aZ09'.split(''))), { minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(mutation, ([text, edits]) => {
        let mutated = text;
        for (const [at, kindOfEdit, char] of edits) {
          const i = mutated.length === 0 ? 0 : at % mutated.length;
          mutated = kindOfEdit === 'insert' ? mutated.slice(0, i) + char + mutated.slice(i) : kindOfEdit === 'delete' ? mutated.slice(0, i) + mutated.slice(i + 1) : mutated.slice(0, i) + char + mutated.slice(i + 1);
        }
        const parsed = parseOrParseError(mutated);
        if (parsed) expect(parse(format(parsed))).toEqual(parsed);
      }),
      { numRuns: 1500 },
    );
  });

  it('returns a query or throws ParseError for random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: fc.constantFrom(...'is(user)and or not-->[]|"=<>~ 90days,'.split('')), maxLength: 60 })), (text) => {
        parseOrParseError(text);
      }),
      { numRuns: 2000 },
    );
  });
});
