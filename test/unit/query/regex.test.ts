import { InventoryGraph } from '../../../src/inventory/graph';
import { accountNode, userNode } from '../../../src/inventory/model';
import { Deadline, SearchTimeoutError } from '../../../src/query/deadline';
import { parseError } from '../../support/parse-error';
import { evaluate } from '../../../src/query/evaluate';
import { executeSearch } from '../../../src/query/execute';
import { parse } from '../../../src/query/parser';
import { compilePattern, MAX_PATTERN_LENGTH } from '../../../src/query/regex';

const NOW = new Date('2026-11-24T10:00:00Z');

function usersNamed(names: readonly string[]): InventoryGraph {
  const graph = new InventoryGraph();
  graph.addNode(accountNode({ id: '123456789012', name: 'prod' }));
  names.forEach((name, i) => {
    const id = `AIDA${String(i).padStart(8, '0')}`;
    graph.addNode(userNode({ id, name, arn: `arn:aws:iam::123456789012:user/${name}`, path: '/', ctime: '2025-01-01T00:00:00Z', atime: null, tags: {}, password_enabled: false, mfa_active: false }));
    graph.addEdge('123456789012', id);
  });
  return graph;
}

describe('regular expressions (~ and !~)', () => {
  // With a backtracking engine this pattern takes seconds on one such name (issue 15); RE2 is linear.
  const CATASTROPHIC = 'name ~ "^([a-z0-9-]+)*$x"';
  const REALISTIC = 'svc-jenkins-deploy-prod-eu-west-1-build-agent-2024';

  it('answers the catastrophic-backtracking pattern on a realistic user name, and correctly', () => {
    const graph = usersNamed([REALISTIC, 'nancy']);
    expect(evaluate(parse(`is(user) and ${CATASTROPHIC}`), graph, NOW)).toEqual([]);
    expect(evaluate(parse('is(user) and name !~ "^([a-z0-9-]+)*$x"'), graph, NOW).map((node) => node.reported.name)).toEqual(['nancy', REALISTIC]);
    expect(evaluate(parse('is(user) and name ~ "^([a-z0-9-]+)*$"'), graph, NOW).map((node) => node.reported.name)).toEqual(['nancy', REALISTIC]);
  });

  it('matches case-insensitively and anywhere in the value unless anchored', () => {
    const test = compilePattern('JENKINS');
    if ('problem' in test) throw new Error(test.problem);
    expect(test('svc-jenkins')).toBe(true);
    const anchored = compilePattern('^jenkins$');
    if ('problem' in anchored) throw new Error(anchored.problem);
    expect(anchored('svc-jenkins')).toBe(false);
  });

  it.each([
    ['name ~ "(a)\\\\1"', 'backreference "\\\\1"', 12],
    ['name ~ "a(?=b)"', 'lookaround "(?="', 10],
    ['name ~ "a(?!b)"', 'lookaround "(?!"', 10],
    ['name ~ "(?<=a)b"', 'lookaround "(?<="', 9],
    ['name !~ "x(?<!a)b"', 'lookaround "(?<!"', 11],
    ["name ~ '(?<n>a)\\\\k<n>'", 'backreference "\\\\k<"', 16],
  ])('refuses %s naming the construct and its column', (query, construct, column) => {
    const error = parseError(query);
    expect(error.problem).toContain(`unsupported in regular expressions: ${construct}`);
    expect(error.column).toBe(column);
    expect(error.exitCode).toBe(2);
  });

  it('reads an escaped backslash, escaped parenthesis or a class as no construct', () => {
    expect(() => parse('name ~ "a\\\\\\\\1"')).not.toThrow();
    expect(() => parse('name ~ "\\\\(?=x"')).not.toThrow();
    expect(() => parse('name ~ "[(?=]"')).not.toThrow();
  });

  it('refuses a pattern RE2 cannot read, with the column of the bad part', () => {
    const error = parseError('name ~ "ab["');
    expect(error.problem).toContain('invalid regular expression: missing closing ]');
    expect(error.column).toBe(11);
  });

  it('refuses a pattern longer than the cap', () => {
    const long = 'a'.repeat(MAX_PATTERN_LENGTH + 1);
    expect(parseError(`name ~ "${long}"`).problem).toContain(`at most ${MAX_PATTERN_LENGTH}`);
    expect(() => parse(`name ~ "${'a'.repeat(MAX_PATTERN_LENGTH)}"`)).not.toThrow();
  });
});

describe('a search deadline', () => {
  const graph = usersNamed(Array.from({ length: 5000 }, (_, i) => `user-${i}`));

  it('stops the evaluation itself once the clock is past it', () => {
    let reads = 0;
    // The clock passes the deadline after its second reading: the search must notice while scanning.
    const deadline = new Deadline(1000, () => (reads++ < 2 ? 0 : 2000), 1000);
    expect(() => evaluate(parse('is(user) and name ~ "user-4"'), graph, NOW, { deadline })).toThrow(SearchTimeoutError);
    expect(reads).toBeGreaterThan(2);
  });

  it('stops a traversal and the commands too, and lets a search within time finish', () => {
    const late = () => new Deadline(1000, () => 2000, 1000);
    expect(() => executeSearch('is(account) -[0:]-> | count', { graph, now: NOW, deadline: late() })).toThrow(SearchTimeoutError);
    const result = executeSearch('is(user) and name ~ "^user-49" | count', { graph, now: NOW, deadline: new Deadline(1000, () => 0, 1000) });
    expect(result.output).toMatchObject({ type: 'count', total_matched: 111 });
  });
});
