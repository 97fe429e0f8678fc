import { ValidationError } from '../../../src/errors';
import type { Term } from '../../../src/query/ast';
import { ParseError } from '../../../src/query/errors';
import { parseError } from '../../support/parse-error';
import { MAX_NESTING, MAX_TERMS, parse } from '../../../src/query/parser';

const term = (text: string): Term => (parse(text).parts[0] as { term: Term }).term;
const name = { type: 'property', section: 'reported', keys: ['name'] } as const;

describe('parse: terms', () => {
  it('reads the seed\'s first query into two parts joined by an inbound traversal', () => {
    expect(parse('search is(access_key) and last_access > 90days <-- is(user) | count name')).toEqual({
      parts: [
        {
          term: {
            type: 'and',
            left: { type: 'is', kinds: ['access_key'] },
            right: { type: 'predicate', path: { type: 'property', section: 'reported', keys: ['last_access'] }, op: '>', value: '90days' },
          },
          navigation: { direction: 'in', start: 1, until: 1 },
        },
        { term: { type: 'is', kinds: ['user'] } },
      ],
      commands: [{ name: 'count', path: name }],
    });
  });

  it('accepts the query with or without the leading search word', () => {
    expect(parse('search is(user)')).toEqual(parse('is(user)'));
  });

  it('reads is() with several kinds, as arguments or a list', () => {
    expect(term('is(user, access_key)')).toEqual({ type: 'is', kinds: ['user', 'access_key'] });
    expect(term('is([user, "access_key"])')).toEqual({ type: 'is', kinds: ['user', 'access_key'] });
  });

  it('reads id(), all, has_key() and full text', () => {
    expect(term('id(AKIA123)')).toEqual({ type: 'id', ids: ['AKIA123'] });
    expect(term('id(123456789012)')).toEqual({ type: 'id', ids: ['123456789012'] });
    expect(term('all')).toEqual({ type: 'all' });
    expect(term('has_key(tags, "owner")')).toEqual({ type: 'has_key', path: { type: 'property', section: 'reported', keys: ['tags'] }, keys: ['owner'] });
    expect(term('"db runner"')).toEqual({ type: 'fulltext', text: 'db runner' });
    expect(term("'it\\'s'")).toEqual({ type: 'fulltext', text: "it's" });
  });

  it.each([
    ['=', '='], ['==', '='], ['!=', '!='], ['>', '>'], ['>=', '>='], ['<', '<'], ['<=', '<='], ['~', '~'], ['=~', '~'], ['!~', '!~'],
  ])('reads the operator %s', (written, op) => {
    expect(term(`name ${written} x`)).toMatchObject({ type: 'predicate', op, value: 'x' });
  });

  it('reads in and not in with lists', () => {
    expect(term('name in [jenkins, "c i", 3]')).toEqual({ type: 'predicate', path: name, op: 'in', value: ['jenkins', 'c i', 3] });
    expect(term('name not in []')).toEqual({ type: 'predicate', path: name, op: 'not in', value: [] });
  });

  it('reads JSON literals and unquoted strings', () => {
    expect(term('tags.x = true')).toMatchObject({ value: true });
    expect(term('tags.x = false')).toMatchObject({ value: false });
    expect(term('tags.x = null')).toMatchObject({ value: null });
    expect(term('tags.x = -1.5e3')).toMatchObject({ value: -1500 });
    expect(term('tags.x = 42')).toMatchObject({ value: 42 });
    expect(term('tags.x = in-use')).toMatchObject({ value: 'in-use' });
    expect(term('tags.x = 2026-01-01')).toMatchObject({ value: '2026-01-01' });
    expect(term('tags.x = arn:aws:iam::1:user/a.b')).toMatchObject({ value: 'arn:aws:iam::1:user/a.b' });
    expect(term('tags.x = "a \\"b\\"\\n"')).toMatchObject({ value: 'a "b"\n' });
  });

  it('reads array modifiers before the operator', () => {
    expect(term('tags.groups any = admins')).toMatchObject({ modifier: 'any', op: '=' });
    expect(term('tags.groups all ~ "^a"')).toMatchObject({ modifier: 'all', op: '~' });
    expect(term('tags.groups none in [a]')).toMatchObject({ modifier: 'none', op: 'in' });
  });

  it('reads relative, absolute, ancestor paths and the account shorthand', () => {
    expect(term('tags.owner = x')).toMatchObject({ path: { type: 'property', section: 'reported', keys: ['tags', 'owner'] } });
    expect(term('/reported.name = x')).toMatchObject({ path: name });
    expect(term('/metadata.protected = true')).toMatchObject({ path: { type: 'property', section: 'metadata', keys: ['protected'] } });
    expect(term('/desired.clean = true')).toMatchObject({ path: { type: 'property', section: 'desired', keys: ['clean'] } });
    expect(term('/ancestors.user.reported.name = x')).toMatchObject({ path: { type: 'property', ancestor: 'user', section: 'reported', keys: ['name'] } });
    expect(term('/ancestors.account.reported.name = x')).toMatchObject({ path: { type: 'property', ancestor: 'account', section: 'reported', keys: ['name'] } });
    expect(term('account=prod')).toEqual({ type: 'predicate', path: { type: 'account' }, op: '=', value: 'prod' });
  });

  it('gives not precedence over and, and and over or', () => {
    const a = { type: 'predicate', path: { type: 'property', section: 'reported', keys: ['id'] }, op: '=', value: 1 };
    const b = { ...a, path: { ...a.path, keys: ['name'] } };
    const c = { ...a, path: { ...a.path, keys: ['arn'] } };
    expect(term('id = 1 or name = 1 and arn = 1')).toEqual({ type: 'or', left: a, right: { type: 'and', left: b, right: c } });
    expect(term('not id = 1 and name = 1')).toEqual({ type: 'and', left: { type: 'not', term: a }, right: b });
    expect(term('(id = 1 or name = 1) and arn = 1')).toEqual({ type: 'and', left: { type: 'or', left: a, right: b }, right: c });
    expect(term('id = 1 and name = 1 and arn = 1')).toEqual({ type: 'and', left: { type: 'and', left: a, right: b }, right: c });
  });
});

describe('parse: traversals, sort and limit', () => {
  it.each([
    ['-->', { direction: 'out', start: 1, until: 1 }],
    ['<--', { direction: 'in', start: 1, until: 1 }],
    ['<-->', { direction: 'inout', start: 1, until: 1 }],
    ['-[0:2]->', { direction: 'out', start: 0, until: 2 }],
    ['-[1:]->', { direction: 'out', start: 1 }],
    ['-[2]->', { direction: 'out', start: 2, until: 2 }],
    ['<-[1:3]-', { direction: 'in', start: 1, until: 3 }],
    ['<-[0:]->', { direction: 'inout', start: 0 }],
  ])('reads %s', (arrow, navigation) => {
    expect(parse(`is(account) ${arrow} is(user)`).parts[0]?.navigation).toEqual(navigation);
  });

  it.each([
    ['-default->', { direction: 'out', start: 1, until: 1 }],
    ['<-default-', { direction: 'in', start: 1, until: 1 }],
    ['<-default->', { direction: 'inout', start: 1, until: 1 }],
    ['-default[0:2]->', { direction: 'out', start: 0, until: 2 }],
    ['-[0:2]default->', { direction: 'out', start: 0, until: 2 }],
    ['<-default[1:]-', { direction: 'in', start: 1 }],
    ['<-default[2]-', { direction: 'in', start: 2, until: 2 }],
    ['<-default[0:1]default->', { direction: 'inout', start: 0, until: 1 }],
    ['-default,default->', { direction: 'out', start: 1, until: 1 }],
    ['-[0,2]->', { direction: 'out', start: 0, until: 2 }],
    ['-[0..2]->', { direction: 'out', start: 0, until: 2 }],
    ['<-[1..]-', { direction: 'in', start: 1 }],
  ])('reads Fix Inventory\'s edge type form %s', (arrow, navigation) => {
    expect(parse(`is(account) ${arrow} is(user)`).parts[0]?.navigation).toEqual(navigation);
    expect(parse(`is(account)${arrow}is(user)`).parts[0]?.navigation).toEqual(navigation);
  });

  it('reads the query Fix Inventory prints back as the one it was given', () => {
    expect(parse('is("aws_iam_access_key") and last_access > "90d" <-default- is("aws_iam_user")')).toEqual(parse('is(aws_iam_access_key) and last_access > 90d <-- is(aws_iam_user)'));
    expect(parse('id(x) -default[0:]-> all')).toEqual(parse('id(x) -[0:]->'));
  });

  it('still reads words with dashes and negative durations as values', () => {
    expect(term('tags.x = in-use-default')).toMatchObject({ value: 'in-use-default' });
    expect(term('ctime < -default')).toMatchObject({ op: '<', value: '-default' });
    expect(term('tags.x = a-b')).toMatchObject({ value: 'a-b' });
    expect(term('ctime <-90d')).toMatchObject({ op: '<', value: '-90d' });
  });

  it('reads with clauses after a term, as Fix Inventory writes and prints them', () => {
    const keys = { type: 'is', kinds: ['access_key'] };
    expect(parse('is(user) with(empty, --> is(access_key)) sort name').parts[0]).toEqual({
      term: { type: 'is', kinds: ['user'] },
      with: { count: { op: '=', value: 0 }, navigation: { direction: 'out', start: 1, until: 1 }, term: keys },
      sort: [{ path: name, order: 'asc' }],
    });
    expect(parse('is(user) with(any, -->)').parts[0]?.with).toEqual({ count: { op: '>', value: 0 }, navigation: { direction: 'out', start: 1, until: 1 } });
    expect(parse('is("aws_iam_user") with(count==2, -default-> is("access_key"))').parts[0]?.with).toMatchObject({ count: { op: '=', value: 2 }, term: keys });
    expect(parse('is(account) with(any, --> is(user) with(empty, -->))').parts[0]?.with).toMatchObject({
      term: { type: 'is', kinds: ['user'] },
      with: { count: { op: '=', value: 0 } },
    });
    expect(parse('with(empty, -->)').parts[0]).toMatchObject({ term: { type: 'all' } });
  });

  it('reads an arrow glued to its terms', () => {
    expect(parse('is(account)-->is(user)').parts).toHaveLength(2);
    expect(parse('is(account)-[1:2]->all').parts[0]?.navigation).toEqual({ direction: 'out', start: 1, until: 2 });
  });

  it('lets a trailing arrow reach every node', () => {
    expect(parse('is(user) -->').parts[1]).toEqual({ term: { type: 'all' } });
  });

  it('reads sort keys with directions and both limit forms', () => {
    const part = parse('is(user) sort name asc, age desc limit 5, 10').parts[0];
    expect(part?.sort).toEqual([{ path: name, order: 'asc' }, { path: { type: 'property', section: 'reported', keys: ['age'] }, order: 'desc' }]);
    expect(part?.limit).toEqual({ offset: 5, count: 10 });
    expect(parse('is(user) limit 10').parts[0]?.limit).toEqual({ offset: 0, count: 10 });
    expect(parse('is(user) sort name').parts[0]?.sort).toEqual([{ path: name, order: 'asc' }]);
  });
});

describe('parse: commands', () => {
  it('reads every command with its arguments', () => {
    expect(parse('all | count').commands).toEqual([{ name: 'count' }]);
    expect(parse('all | head').commands).toEqual([{ name: 'head', count: 100 }]);
    expect(parse('all | head 5 | tail -2 | list').commands).toEqual([
      { name: 'head', count: 5 }, { name: 'tail', count: 2 }, { name: 'list', columns: [], format: 'table' },
    ]);
    expect(parse('all | list name, /ancestors.account.reported.name as account --csv').commands).toEqual([
      { name: 'list', format: 'csv', columns: [{ path: name }, { path: { type: 'property', ancestor: 'account', section: 'reported', keys: ['name'] }, name: 'account' }] },
    ]);
    expect(parse('all | list --json').commands).toEqual([{ name: 'list', columns: [], format: 'json' }]);
    expect(parse('all | dump').commands).toEqual([{ name: 'dump' }]);
    expect(parse('all | clean').commands).toEqual([{ name: 'clean' }]);
    expect(parse('all | clean "unused > 90 days"').commands).toEqual([{ name: 'clean', reason: 'unused > 90 days' }]);
    expect(parse('all | clean unused for a quarter').commands).toEqual([{ name: 'clean', reason: 'unused for a quarter' }]);
    expect(parse('all | protect | unprotect').commands).toEqual([{ name: 'protect' }, { name: 'unprotect' }]);
  });

  it('reads sort and limit as commands, as Fix Inventory\'s docs teach', () => {
    expect(parse('is(user) | sort name desc, age | limit 10').commands).toEqual([
      { name: 'sort', keys: [{ path: name, order: 'desc' }, { path: { type: 'property', section: 'reported', keys: ['age'] }, order: 'asc' }] },
      { name: 'limit', limit: { offset: 0, count: 10 } },
    ]);
    expect(parse('is(user) | limit 2, 3').commands).toEqual([{ name: 'limit', limit: { offset: 2, count: 3 } }]);
  });

  it('reads ancestors, descendants, predecessors and successors with --with-origin, the edge type and a kind', () => {
    expect(parse('is(access_key) | predecessors').commands).toEqual([{ name: 'predecessors', withOrigin: false }]);
    expect(parse('is(access_key) | ancestors --with-origin default account').commands).toEqual([{ name: 'ancestors', withOrigin: true, kind: 'account' }]);
    expect(parse('is(account) | descendants access_key | successors --with-origin').commands).toEqual([
      { name: 'descendants', withOrigin: false, kind: 'access_key' },
      { name: 'successors', withOrigin: true },
    ]);
  });

  it('reads aggregate with groups, functions and names, as a command and before the query', () => {
    const account = { type: 'property', ancestor: 'account', section: 'reported', keys: ['name'] };
    const expected = {
      name: 'aggregate',
      groups: [{ path: account, name: 'account' }, { path: { type: 'property', section: 'reported', keys: ['access_key_status'] } }],
      functions: [{ fn: 'sum', of: 1, name: 'keys' }, { fn: 'max', of: { type: 'property', section: 'reported', keys: ['last_access'] } }],
    };
    expect(parse('is(access_key) | aggregate /ancestors.account.reported.name as account, access_key_status: sum(1) as keys, max(last_access)').commands).toEqual([expected]);
    expect(parse('aggregate(/ancestors.account.reported.name as account, access_key_status: sum(1) as keys, max(last_access)): is(access_key)').commands).toEqual([expected]);
    expect(parse('aggregate(/ancestors.account.reported.name as account,access_key_status:sum(1) as keys,max(last_access)):is(access_key)').commands).toEqual([expected]);
    expect(parse('all | aggregate count(name) as n').commands).toEqual([{ name: 'aggregate', groups: [], functions: [{ fn: 'count', of: name, name: 'n' }] }]);
    expect(parse('all | aggregate kind : avg(age)').commands).toMatchObject([{ groups: [{ path: { keys: ['kind'] } }], functions: [{ fn: 'avg' }] }]);
  });

  it('keeps a | inside a quoted string', () => {
    expect(parse('name = "a|b" | count').commands).toEqual([{ name: 'count' }]);
  });
});

describe('parse errors', () => {
  it('are ParseErrors, hence ValidationErrors (exit code 2)', () => {
    const error = parseError('is(user');
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.exitCode).toBe(2);
  });

  it('echo the query with a caret under the 1-based column and say what was expected', () => {
    const error = parseError('is(user) and name =');
    expect(error.column).toBe(20);
    expect(error.message).toBe(
      'expected a value: a word, a "string", a number, true, false, null or a [list], got the end of the query (column 20)\n' +
        '  is(user) and name =\n' +
        '                     ^',
    );
  });

  it.each([
    ['is(usr)', 4, /unknown kind "usr"; kinds: access_key, account, aws_account, aws_iam_access_key, aws_iam_user, resource, user/],
    ['/reportd.name = x', 2, /unknown section "reportd"; sections: reported, metadata, desired, ancestors/],
    ['/ancestors.group.reported.name = x', 12, /unknown ancestor kind "group"; kinds: /],
    ['/ancestors.user.name = x', 17, /unknown section "name" after \/ancestors.user; sections: reported, metadata, desired/],
    ['is(user) | counts', 12, /unknown command "counts"; commands: count, list, head, tail, dump, clean, unclean, protect, unprotect/],
    ['is(user) name = x', 10, /expected and, or, with\(, sort, limit, a traversal/],
    ['name jenkins', 6, /expected an operator: =, !=, >, >=, <, <=, ~, !~, in or not in, got "jenkins"/],
    ['(is(user)', 10, /expected \) to close the group, got the end of the query/],
    ['name in jenkins', 9, /expected a list such as \[a, b\] after in/],
    ['age > 5', 0, null],
    ['last_access > soon', 15, /expected a duration such as 90days, 1h30m, -2w or P90D, got "soon"/],
    // The caret goes to the part of the pattern that is wrong, inside the quotes.
    ['name ~ "("', 9, /invalid regular expression: missing closing \)/],
    ['name = "open', 8, /unterminated string/],
    ['name = x ; y', 10, /unexpected character ";"/],
    ['is(user) -[2:1]-> all', 10, /ends before it starts/],
    ['is(user) -[1:2]- all', 16, /expected -> to close the traversal/],
    ['is(user) -delete-> all', 11, /unknown edge type "delete"; cloudsweep's graph has one edge type: default/],
    ['is(user) <-default,iam- all', 20, /unknown edge type "iam"/],
    ['is(user) -default[1:2]default-> all', 23, /edge types go before or after the depth range, not both/],
    ['is(user) -default{name = x}-> all', 18, /edge filters \{...\} are not supported/],
    ['is(user) | predecessors delete', 25, /expected --with-origin, the edge type \(default\) or a kind/],
    ['is(user) | ancestors user user', 27, /each at most once/],
    ['is(user) | sort', 16, /expected a property to sort by/],
    ['is(user) | aggregate kind', 26, /expected , or : between the groups and the functions/],
    ['is(user) | aggregate kind: total(x)', 28, /expected a function: sum\(path\), count\(path\), min\(path\), max\(path\), avg\(path\)/],
    ['is(user) | aggregate sum(size + 2)', 31, /arithmetic in aggregate functions is not supported/],
    ['is(user) | aggregate sum(1) | count', 29, /aggregate prints the result: it must be the last command/],
    ['aggregate(sum(1)): is(user) | count', 31, /no command may follow it/],
    ['aggregate(sum(1)) is(user)', 19, /expected : and the query after aggregate/],
    ['is(user) with(some, -->)', 15, /expected empty, any or count OP N first in with\(/],
    ['is(user) with(count ~ 2, -->)', 21, /expected a comparison after count/],
    ['is(user) with(count = x, -->)', 23, /expected a number of nodes to compare the count with/],
    ['is(user) with(empty is(access_key))', 21, /expected , and a traversal after the count in with\(/],
    ['is(user) with(empty, is(access_key))', 22, /expected a traversal such as -->/],
    ['is(user) with(empty, --> is(access_key)', 40, /expected \) to close with\(/],
    ['is(user) | limit x', 18, /expected a number of results after limit/],
    ['is(user) | count | list', 18, /count prints the result: it must be the last command/],
    ['is(user) | head five', 17, /expected how many results head keeps/],
    ['', 1, /expected a term/],
    ['search', 7, /expected a term/],
  ])('%j fails at column %i', (text, column, message) => {
    if (message === null) {
      expect(() => parse(text)).not.toThrow();
      return;
    }
    const error = parseError(text);
    expect(error.column).toBe(column);
    expect(error.message).toMatch(message);
  });
});

describe('durations a user meant', () => {
  it('says to join a number and its unit: last_access > 90 days is 90days', () => {
    expect(() => parse('is(access_key) and last_access > 90 days | count')).toThrow(
      '"90 days" reads as the number 90 and then the word days: a duration is written without a space, 90days (column 34)',
    );
    expect(() => parse('age < 2 w')).toThrow(/a duration is written without a space, 2w/);
  });

  it('refuses a bare number against a duration property in a search that cleans, and allows it elsewhere', () => {
    expect(() => parse('is(access_key) and last_access > 90 | clean')).toThrow(
      '90 after last_access is 90 seconds, which a search that cleans almost never means: write the unit, 90days (or 90s if seconds are meant) (column 34)',
    );
    expect(() => parse('is(access_key) and /ancestors.user.reported.name = ci and age >= 400 | head 3 | clean')).toThrow(ParseError);
    expect(() => parse('is(access_key) and last_access > 90 | count')).not.toThrow();
    expect(() => parse('is(access_key) and last_access > 90s | clean')).not.toThrow();
    expect(() => parse('is(access_key) and last_access > 90days | clean')).not.toThrow();
  });
});

describe('numbers', () => {
  it('refuses a number too large to hold, instead of reading it as Infinity', () => {
    expect(() => parse('name != 2.9e+2379')).toThrow(ParseError);
    expect(() => parse('name != 2.9e+2379')).toThrow(/number 2\.9e\+2379 is out of range/);
  });
});

describe('nesting and size caps', () => {
  const nestedGroups = (levels: number) => `${'('.repeat(levels)}name = x${')'.repeat(levels)}`;

  it(`accepts ${MAX_NESTING} levels of groups and refuses one more at the bracket that opens it`, () => {
    expect(() => parse(nestedGroups(MAX_NESTING))).not.toThrow();
    const error = parseError(nestedGroups(MAX_NESTING + 1));
    expect(error.problem).toBe(`the query nests deeper than ${MAX_NESTING} levels (groups, not, lists and with clauses); simplify it`);
    expect(error.column).toBe(MAX_NESTING + 1);
    expect(error.exitCode).toBe(2);
  });

  it.each([
    ['100,000 groups', nestedGroups(100_000)],
    ['100,000 nots', `${'not '.repeat(100_000)}all`],
    ['100,000 nested lists', `name in ${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['10,000 nested with clauses', `is(account) ${'with(any, --> '.repeat(10_000)}${')'.repeat(10_000)}`],
    ['groups and nots mixed', `${'not ('.repeat(40)}all${')'.repeat(40)}`],
  ])('refuses %s with a ParseError, not a stack overflow', (_what, query) => {
    expect(parseError(query).problem).toMatch(/^the query nests deeper than 64 levels/);
  });

  it(`accepts ${MAX_TERMS} terms and refuses the next one where it starts`, () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `name = u${i}`).join(' or ');
    expect(() => parse(terms(MAX_TERMS))).not.toThrow();
    const query = terms(100_000);
    const error = parseError(query);
    expect(error.problem).toBe(`the query has more than ${MAX_TERMS} terms; list values instead (name in [a, b], id(x, y)) or split it`);
    expect(error.column).toBe(query.indexOf(`name = u${MAX_TERMS} `) + 1);
  });

  it('counts the terms inside with clauses', () => {
    const inner = Array.from({ length: MAX_TERMS }, () => 'is(access_key)').join(' and ');
    expect(parseError(`is(user) and name = x with(any, --> ${inner})`).problem).toMatch(/more than 256 terms/);
  });
});

describe('the echo of a query in an error', () => {
  it('shows a long query around the column only, with the caret under it', () => {
    const query = `${'name = x or '.repeat(200)}nmae = y`;
    const error = parseError(query);
    const [, echo, caret] = error.message.split('\n') as [string, string, string];
    expect(echo.length).toBeLessThan(110);
    expect(echo.startsWith('  …')).toBe(true);
    expect(echo[caret.indexOf('^')]).toBe('n');
    expect(echo.slice(caret.indexOf('^'))).toBe('nmae = y');
  });

  it('never echoes control characters to the terminal', () => {
    const error = parseError('name = "\u001b]0;owned\u0007\u009b31m" and');
    expect(error.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
