import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEED_COMMANDS, SEED_JOB_COMMAND } from '../../../src/demo/seed-commands';
import { parseError } from '../../support/parse-error';
import { parse } from '../../../src/query/parser';

describe('unknown property paths', () => {
  it("refuses the issue's typo under /ancestors.user, pointing at it, instead of flagging every key", () => {
    const error = parseError('is(access_key) and last_access > 90days and /ancestors.user.reported.nmae not in [jenkins, ci] | clean');
    expect(error.problem).toBe('unknown property "nmae" on user; did you mean name?');
    expect(error.column).toBe(70);
    expect(error.exitCode).toBe(2);
  });

  it.each([
    ['nmae = x', 1, 'unknown property "nmae" on any kind; did you mean name?'],
    ['is(access_key) and name = x and user_nme = y', 33, 'unknown property "user_nme" on access_key; did you mean user_name?'],
    ['access_key_last_used.servce_name = s3', 22, 'unknown property "servce_name" in access_key_last_used; did you mean service_name?'],
    ['name.first = x', 6, 'name is a string: it has no property "first"'],
    ['/metadata.protectd = true', 11, 'unknown property "protectd" in /metadata; did you mean protected?'],
    ['/desired.clen = true', 10, 'unknown property "clen" in /desired; did you mean clean?'],
    ['is(user) | list name, agee', 23, 'unknown property "agee" on user; did you mean age?'],
    ['is(user) | count tag.owner', 18, 'unknown property "tag" on user; did you mean tags?'],
    ['is(user) sort nme', 15, 'unknown property "nme" on user; did you mean name?'],
    ['has_key(tag, owner)', 9, 'unknown property "tag" on any kind; did you mean tags?'],
  ])('refuses %s at column %d', (query, column, problem) => {
    const error = parseError(query);
    expect(error.problem).toBe(problem);
    expect(error.column).toBe(column);
  });

  it('narrows what is known to the kinds is(...) allows', () => {
    expect(parseError('is(access_key) and password_enabled = true').problem).toMatch(/^unknown property "password_enabled" on access_key; known: access_key_last_used, access_key_status, age,/);
    expect(() => parse('is(user) and password_enabled = true')).not.toThrow();
    // Each side of an or has its own scope; a part after a traversal has its own.
    expect(() => parse('is(user) and mfa_active = false or is(access_key) and access_key_status = Active')).not.toThrow();
    expect(parseError('is(access_key) <-- is(user) and access_key_status = Active').column).toBe(33);
    expect(() => parse('is(access_key) <-- password_enabled = true')).not.toThrow();
    // Commands read the last part's nodes.
    expect(parseError('is(user) --> is(access_key) | list arn').problem).toMatch(/^unknown property "arn" on access_key/);
  });

  it('checks /ancestors.KIND. paths against KIND', () => {
    expect(parseError('is(access_key) and /ancestors.account.reported.arn = x').problem).toMatch(/^unknown property "arn" on account/);
    expect(() => parse('is(access_key) and /ancestors.user.reported.arn = x')).not.toThrow();
    expect(() => parse('is(access_key) and /ancestors.user.metadata.protected = true')).not.toThrow();
  });

  it.each([
    ['is(user) with(any, --> is(access_key) and acces_key_status = Active)', 43, 'unknown property "acces_key_status" on access_key; did you mean access_key_status?'],
    ['is(account) with(any, --> is(user) with(empty, --> is(access_key) and atim != null))', 71, 'unknown property "atim" on access_key; did you mean atime?'],
    ['is(user) | aggregate nmae: sum(1)', 22, 'unknown property "nmae" on user; did you mean name?'],
    ['is(user) | aggregate name: sum(agee) as total', 32, 'unknown property "agee" on user; did you mean age?'],
    ['aggregate(/ancestors.account.reported.nmae: count(id)): is(access_key)', 39, 'unknown property "nmae" on account; did you mean name?'],
    ['is(user) | sort nmae desc', 17, 'unknown property "nmae" on user; did you mean name?'],
    ['is(user) | sort name, /metadata.flaged_at', 33, 'unknown property "flaged_at" in /metadata; did you mean flagged_at or cleaned_at or flagged_by?'],
    ['is(user) | ancestors account | list arn', 37, 'unknown property "arn" on account; known: age, id, kind, last_access, last_update, name, owner'],
    ['is(access_key) | predecessors user | sort access_key_status', 43, 'unknown property "access_key_status" on user; known: age, arn, atime, ctime, id, kind, last_access, last_update, mfa_active, name, owner, password_enabled, path, tags'],
  ])('refuses inside with(), aggregate and pipe commands: %s at column %d', (query, column, problem) => {
    const error = parseError(query);
    expect(error.problem).toBe(problem);
    expect(error.column).toBe(column);
    expect(error.exitCode).toBe(2);
  });

  it('reads with(), aggregate and pipe commands on the kinds they get', () => {
    for (const query of [
      'is(user) with(any, --> is(access_key) and access_key_status = Active)',
      'is(user) with(count >= 1, --> last_access > 90days)',
      'is(access_key) | aggregate /ancestors.user.reported.name as owner: count(id), max(last_access)',
      'is(access_key) | predecessors user | sort password_enabled | list name',
      'is(access_key) | ancestors --with-origin user | sort access_key_status, mfa_active',
      'is(access_key) | ancestors | list arn',
      'is(user) | sort tags.owner, /desired.clean',
    ]) {
      expect(() => parse(query)).not.toThrow();
    }
  });

  it('accepts anything after tags., whole sections, synthetic properties and the account shorthand', () => {
    for (const query of ['tags.anything.at.all = 1', 'has_key(tags, owner)', '/metadata != null', '/reported.tags != null', 'kind = aws_iam_user', 'last_update > 1d', 'account = prod', '/metadata.flagged_by = cli', 'access_key_last_used.region = us-east-1']) {
      expect(() => parse(query)).not.toThrow();
    }
  });
});

/** The queries the README, docs/ and the demo show a user: each must parse as written. */
function documentedQueries(): string[] {
  const root = join(__dirname, '../../..');
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)];
  const queries: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    // `cloudsweep search [--flags] '...'` and the quoted job of `jobs add`.
    for (const match of text.matchAll(/cloudsweep search (?:--\S+ \S+ )*'([^']+)'|jobs add [^']*'([^']+)'/g)) queries.push((match[1] ?? match[2]) as string);
    // Inline examples that are whole searches.
    for (const match of text.matchAll(/`((?:search )?(?:is|id)\([^`]*)`/g)) queries.push(match[1] as string);
    // Fenced lines that start with a term, with their trailing comment removed.
    for (const match of text.matchAll(/^((?:is|id)\(.*?)(?:\s+#.*)?$/gm)) queries.push(match[1] as string);
  }
  // Fragments and deliberate mistakes the docs show as such.
  return queries.filter((query) => !/\.\.\.|acces_key|nmae|access_key\) and password_enabled|is\(\[a, b\]\)|\\\|/.test(query));
}

describe('the documented queries', () => {
  const queries = documentedQueries();

  it('finds the documented queries', () => {
    expect(queries.length).toBeGreaterThan(20);
  });

  it.each([...new Set([...documentedQueries(), ...Object.values(SEED_COMMANDS).filter((command) => command.startsWith('search ')), SEED_JOB_COMMAND])])('parses %s', (query) => {
    expect(() => parse(query)).not.toThrow();
  });
});
