import { InventoryGraph } from '../../../src/inventory/graph';
import { accountNode, userNode } from '../../../src/inventory/model';
import { executeSearch, explainSearch } from '../../../src/query/execute';
import { ListOutput, render } from '../../../src/query/output';
import { parse } from '../../../src/query/parser';
import { seedInventory } from '../../fixtures/seed-inventory';
import { MemoryInventoryStore } from '../../support/memory-stores';

/** Runs a search on the seed; what it stores is stamped with the seed's time, as if the search ran then. */
const run = (text: string, options: { flaggedBy?: string; reason?: string } = {}) => {
  const seed = seedInventory();
  return { seed, result: executeSearch(text, { graph: seed.graph, now: seed.now, recordedAt: seed.now, ...options }) };
};

describe('count', () => {
  it('prints the seed\'s second query exactly', () => {
    const { result } = run('search is(access_key) and last_access > 90days <-- is(user) and name not in [jenkins, ci] | count name');
    expect(render(result.output)).toBe(
      ['ccm-sa: 1', 'nancy: 1', 'db-runner: 3', 'packer-ami: 9', 'test-max: 12', 'total matched: 26', 'total unmatched: 0'].join('\n'),
    );
  });

  it('orders the seed\'s first query fewest first, ties by value, with a consistent total', () => {
    const { result } = run('search is(access_key) and last_access > 90days <-- is(user) | count name');
    expect(render(result.output)).toBe(
      ['ccm-sa: 1', 'jenkins: 1', 'nancy: 1', 'ci: 2', 'db-runner: 3', 'packer-ami: 9', 'test-max: 12', 'total matched: 29', 'total unmatched: 0'].join('\n'),
    );
  });

  it('counts nodes without the property as unmatched', () => {
    const { result } = run('is(user) | count tags.owner');
    expect(result.output).toEqual({
      type: 'count', path: 'tags.owner', counts: [{ value: 'nancy@example.com', count: 1 }, { value: 'platform', count: 1 }], total_matched: 2, total_unmatched: 32,
    });
  });

  it('without a path prints only the totals', () => {
    expect(render(run('is(account) | count').result.output)).toBe('total matched: 12\ntotal unmatched: 0');
  });

  it('renders JSON for scripts', () => {
    const { result } = run('is(account) and name = prod | count name');
    expect(JSON.parse(render(result.output, 'json'))).toEqual({ path: 'name', counts: [{ value: 'prod', count: 1 }], total_matched: 1, total_unmatched: 0 });
  });
});

describe('list, head, tail, dump', () => {
  it('lists the default columns: kind, id, name, age, last_access, account; for keys, whose key it is after the name', () => {
    const { result } = run('id(AKIA0000000000000001)');
    expect(result.output).toMatchObject({
      type: 'list', format: 'table', columns: ['kind', 'id', 'name', 'user', 'age', 'last_access', 'account'],
      rows: [['aws_iam_access_key', 'AKIA0000000000000001', 'AKIA0000000000000001', 'ccm-sa', '300d', '120d', 'prod']],
    });
    expect(render(result.output)).toBe(
      'kind                id                    name                  user    age   last_access  account\n' +
        'aws_iam_access_key  AKIA0000000000000001  AKIA0000000000000001  ccm-sa  300d  120d         prod',
    );
    expect((run('is(user) and name = nancy').result.output as ListOutput).columns).toEqual(['kind', 'id', 'name', 'age', 'last_access', 'account']);
  });

  it('prints ages in JSON as the human form and as a number of seconds', () => {
    const json = JSON.parse(render(run('id(AKIA0000000000000001)').result.output, 'json')) as Record<string, unknown>[];
    expect(json[0]).toMatchObject({ age: '300d', age_seconds: 300 * 86_400, last_access: '120d', last_access_seconds: 120 * 86_400 });
  });

  it('cuts a table to the terminal width with an ellipsis, widest columns first; JSON keeps the whole values', () => {
    const output = run('id(AKIA0000000000000001)').result.output;
    const lines = render(output, 'text', 60).split('\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(60);
    expect(lines[1]).toMatch(/^aws_ia\S*…  AKIA\S*…  AKIA\S*…  ccm-sa  300d  120d  +prod$/);
    expect(render(output, 'text', 200)).toBe(render(output));
    expect(JSON.parse(render(output, 'json', 60))[0]).toMatchObject({ id: 'AKIA0000000000000001', kind: 'aws_iam_access_key' });
  });

  it('lists chosen columns as a table, CSV or JSON', () => {
    const csv = run('is(user) and name = nancy | list name, tags, /ancestors.account.reported.name as acct --csv').result.output;
    expect(render(csv)).toBe('name,tags,acct\nnancy,"{""owner"":""nancy@example.com"",""team"":""data""}",prod');
    const json = run('is(user) and name = nancy | list name, tags.owner --json').result.output;
    expect(JSON.parse(render(json))).toEqual([{ name: 'nancy', owner: 'nancy@example.com' }]);
    expect(JSON.parse(render(run('is(user) and name = nancy | list name').result.output, 'json'))).toEqual([{ name: 'nancy' }]);
  });

  it('names columns uniquely, as Fix Inventory does, so JSON keys and CSV headers never collide', () => {
    const text = 'is(user) and name = nancy | list name, /ancestors.account.reported.name, /ancestors.account.reported.id, tags.owner as name';
    const output = run(text).result.output;
    expect(output).toMatchObject({ columns: ['name', 'account_name', 'account_id', 'name_1'] });
    expect(JSON.parse(render(output, 'json'))).toEqual([{ name: 'nancy', account_name: 'prod', account_id: '100000000001', name_1: 'nancy@example.com' }]);
    expect(render(run('is(user) and name = nancy | list name, /reported.name, name --csv').result.output).split('\n')[0]).toBe('name,name_1,name_2');
  });

  it('counts an account\'s own name under /ancestors.account, with the nodes below it', () => {
    const { seed, result } = run('all | count /ancestors.account.reported.name');
    expect(result.output).toMatchObject({ total_matched: seed.graph.size, total_unmatched: 0 });
  });

  it('keeps the first or last N in the default order, 100 by default', () => {
    const all = run('is(user)').result.output;
    const rows = all.type === 'list' ? all.rows : [];
    const head = run('is(user) | head 2').result.output;
    const tail = run('is(user) | tail 2 | list').result.output;
    expect(head.type === 'list' && head.rows).toEqual(rows.slice(0, 2));
    expect(tail.type === 'list' && tail.rows).toEqual(rows.slice(-2));
    expect(run('is(user) | head 0').result.output).toMatchObject({ rows: [] });
    const many = new InventoryGraph(Array.from({ length: 150 }, (_, i) => accountNode({ id: String(100000000000 + i), name: `a${i}` })));
    for (const command of ['head', 'tail']) {
      const output = executeSearch(`all | ${command}`, { graph: many, now: new Date() }).output;
      expect(output.type === 'list' && output.rows.length).toBe(100);
    }
  });

  it('dumps whole nodes with their ancestors', () => {
    const { result } = run('id(AKIA0000000000000001) | dump');
    expect(result.output).toMatchObject({
      type: 'dump',
      nodes: [{ id: 'AKIA0000000000000001', kind: 'aws_iam_access_key', reported: { user_name: 'ccm-sa' }, metadata: {}, desired: {}, ancestors: { account: { id: '100000000001', name: 'prod' }, user: { id: 'AIDACCMSA01', name: 'ccm-sa' } } }],
    });
    expect(JSON.parse(render(result.output))).toHaveLength(1);
  });
});

describe('sort, limit and the traversal commands', () => {
  const rows = (text: string) => {
    const output = run(text).result.output;
    return output.type === 'list' ? output.rows : [];
  };

  it('sorts and limits after the query as the in-query forms do', () => {
    expect(rows('is(user) | sort name desc | limit 3 | list name, id')).toEqual(rows('is(user) sort name desc limit 3 | list name, id'));
    expect(rows('is(account) | limit 2, 3 | list name')).toEqual([['staging'], ['team-10'], ['team-11']]);
    expect(rows('is(account) | sort name desc | head 1 | list name')).toEqual([['team-9']]);
  });

  it('lists the owners of the stale keys with predecessors, each once', () => {
    const owners = run('is(access_key) and last_access > 90days | predecessors | count').result.output;
    const viaArrow = run('is(access_key) and last_access > 90days <-- | count').result.output;
    expect(owners).toEqual(viaArrow);
    expect(owners).toMatchObject({ total_matched: 29 });
  });

  it('walks all the way with ancestors and descendants, keeping the origin with --with-origin and filtering by kind', () => {
    expect(rows('id(AKIA0000000000000001) | ancestors | list kind, name')).toEqual([['aws_account', 'prod'], ['aws_iam_user', 'ccm-sa']]);
    expect(rows('id(AKIA0000000000000001) | ancestors account | list name')).toEqual([['prod']]);
    expect(rows('id(AKIA0000000000000001) | ancestors --with-origin | list kind')).toEqual([['aws_account'], ['aws_iam_access_key'], ['aws_iam_user']]);
    expect(run('id(100000000001) | descendants access_key | count').result.output).toEqual(run('is(access_key) and account = prod | count').result.output);
    expect(rows('id(AIDANANCY01) | successors --with-origin | list kind')).toEqual([['aws_iam_access_key'], ['aws_iam_user']]);
  });

  it('sorts by an object-valued property in a defined order: missing last, objects by their JSON with keys sorted, ties by name', () => {
    const graph = new InventoryGraph();
    const user = (id: string, tags: Record<string, string> | undefined) => {
      const node = userNode({ id, name: id, arn: `arn:aws:iam::123456789012:user/${id}`, path: '/', ctime: '2025-01-01T00:00:00Z', atime: null, tags: tags ?? {}, password_enabled: false, mfa_active: false });
      if (tags === undefined) delete node.reported.tags;
      graph.addNode(node);
    };
    user('d-untagged', undefined);
    user('c-team-b', { team: 'b' });
    user('b-owner-then-team', { team: 'a', owner: 'x' });
    user('a-team-then-owner', { owner: 'x', team: 'a' });
    user('e-empty', {});
    const names = (text: string) => {
      const output = executeSearch(text, { graph, now: new Date('2026-11-24T10:00:00Z') }).output;
      return output.type === 'list' ? output.rows.map(([name]) => name) : [];
    };
    expect(names('is(user) | sort tags | list name')).toEqual(['a-team-then-owner', 'b-owner-then-team', 'c-team-b', 'e-empty', 'd-untagged']);
    expect(names('is(user) sort tags desc | list name')).toEqual(['e-empty', 'c-team-b', 'a-team-then-owner', 'b-owner-then-team', 'd-untagged']);
    expect(() => names('all | sort /reported, /metadata, access_key_last_used | list name')).not.toThrow();
  });

  it('cleans what a traversal command reached', () => {
    const { result } = run('id(AIDANANCY01) | successors | clean');
    const keys = rows('id(AIDANANCY01) --> | list id').map(([id]) => id);
    expect(keys.length).toBeGreaterThan(0);
    expect(result.updates.map((update) => update.id).sort()).toEqual(keys.sort());
  });
});

describe('aggregate', () => {
  it('counts stale keys per account and status in one search, as text and as Fix Inventory\'s JSON', () => {
    const { result } = run('is(access_key) and last_access > 90days and account in [prod, staging] | aggregate /ancestors.account.reported.name as account, access_key_status: sum(1) as keys, max(last_access) as oldest');
    expect(result.output).toEqual({
      type: 'aggregate',
      groups: ['account', 'access_key_status'],
      functions: ['keys', 'oldest'],
      rows: [
        { group: ['prod', 'Active'], values: [8, '200d'] },
        { group: ['staging', 'Active'], values: [4, '121d'] },
      ],
    });
    expect(render(result.output)).toBe(['account  access_key_status  keys  oldest', 'prod     Active             8     200d', 'staging  Active             4     121d'].join('\n'));
    expect(JSON.parse(render(result.output, 'json'))).toEqual([
      { group: { account: 'prod', access_key_status: 'Active' }, keys: 8, oldest: '200d' },
      { group: { account: 'staging', access_key_status: 'Active' }, keys: 4, oldest: '121d' },
    ]);
  });

  it('reads Fix Inventory\'s form before the query the same as the command', () => {
    const before = run('aggregate(/ancestors.account.reported.name as account: sum(1) as keys): is(access_key) and account = dev').result.output;
    expect(before).toEqual(run('is(access_key) and account = dev | aggregate /ancestors.account.reported.name as account: sum(1) as keys').result.output);
    expect(before).toMatchObject({ rows: [{ group: ['dev'], values: [4] }] });
  });

  it('sums, counts, averages and takes min and max without a group, naming unnamed functions', () => {
    const output = run('is(user) and name = nancy or name = ccm-sa --> | aggregate count(atime), count(1), min(ctime), max(id), avg(last_access), sum(name)').result.output;
    expect(output).toMatchObject({
      groups: [],
      functions: ['count_of_atime', 'count_of_1', 'min_of_ctime', 'max_of_id', 'avg_of_last_access', 'sum_of_name'],
    });
    expect(output.type === 'aggregate' && output.rows).toEqual([{ group: [], values: [2, 2, expect.stringMatching(/^20\d\d-/), 'AKIA0000000000000002', '120d', 0] }]);
    expect(JSON.parse(render(output, 'json'))).toEqual([expect.objectContaining({ count_of_1: 2 })]);
  });

  it('groups a missing value as null, last', () => {
    const output = run('is(user) | aggregate tags.owner: sum(1) as users').result.output;
    expect(output.type === 'aggregate' && output.rows.map((row) => [...row.group, ...row.values])).toEqual([['nancy@example.com', 1], ['platform', 1], [null, 32]]);
  });
});

describe('explainSearch', () => {
  it('reports the canonical query, the kinds and nodes each part scanned and matched, and runs no command', () => {
    const seed = seedInventory();
    const output = explainSearch('search aggregate(kind: sum(1)): all <-default- is(account) -[1:]-> is(user) with(empty, -->)', { graph: seed.graph, now: seed.now });
    expect(output).toEqual({
      type: 'explain',
      query: 'all <-- is(account) -[1:]-> is(user) with(empty, -->) | aggregate kind: sum(1)',
      parts: [
        { term: 'all', scanned: 'all', kinds: ['aws_account', 'aws_iam_user', 'aws_iam_access_key'], candidates: seed.graph.size, matched: seed.graph.size, traversal: '<--', reached: 12 + 33 }, // users with keys: dave has none
        { term: 'is(account)', scanned: 'reached', kinds: ['aws_account', 'aws_iam_user'], candidates: 45, matched: 12, traversal: '-[1:]->', reached: seed.graph.size - 12 },
        { term: 'is(user) with(empty, -->)', scanned: 'reached', kinds: ['aws_iam_user', 'aws_iam_access_key'], candidates: seed.graph.size - 12, matched: 1 },
      ],
      commands: ['aggregate kind: sum(1)'],
    });
    expect(JSON.parse(render(output, 'json'))).toMatchObject({ query: output.query, commands: output.commands });
  });

  it('changes nothing for a mutating search', () => {
    const seed = seedInventory();
    expect(explainSearch('is(access_key) | clean', { graph: seed.graph, now: seed.now })).toMatchObject({ commands: ['clean'] });
    expect([...seed.graph.nodes()].some((node) => node.desired.clean)).toBe(false);
  });
});

describe('clean, protect, unprotect', () => {
  it('flags the seed\'s keys for cleanup as updates, changing nothing in the graph', () => {
    const { seed, result } = run('is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean', { flaggedBy: 'clean_outdated_access_keys' });
    expect(result.matched).toBe(27);
    expect(result.flagged).toBe(27);
    expect(result.updates).toHaveLength(27);
    expect(result.updates[0]).toEqual({
      id: expect.stringMatching(/^AKIA/),
      accountId: expect.stringMatching(/^\d{12}$/),
      metadata: { flagged_by: 'clean_outdated_access_keys', flagged_at: seed.now.toISOString() },
      desired: { clean: true },
    });
    expect([...seed.graph.nodes()].some((node) => node.desired.clean)).toBe(false);
    expect(render(result.output)).toBe('flagged 27 for cleanup (27 matched, 0 already flagged)');
  });

  it('records the account of each flagged key, from its ancestors', () => {
    const { result } = run('is(access_key) and /ancestors.user.reported.name = nancy | clean');
    expect(result.updates.map((update) => update.accountId)).toEqual(['100000000001']);
  });

  it('records the reason of the command, else the one the caller gives', () => {
    expect(run('id(AKIA0000000000000001) | clean "unused > 90 days"').result.updates[0]?.metadata?.clean_reason).toBe('unused > 90 days');
    expect(run('id(AKIA0000000000000001) | clean', { reason: 'job says so' }).result.updates[0]?.metadata?.clean_reason).toBe('job says so');
  });

  it('does not flag again what is already flagged, once the updates are written', async () => {
    const seed = seedInventory();
    const store = new MemoryInventoryStore(seed.graph);
    // 95 days: an hour later, the keys at the 90-day boundary stay out.
    const query = parse('is(access_key) and last_access > 95days | clean');
    const first = executeSearch(query, { graph: seed.graph, now: seed.now, recordedAt: seed.now });
    await store.updateNodes(first.updates);
    const later = new Date(seed.now.getTime() + 3600_000);
    const second = executeSearch(query, { graph: seed.graph, now: later });
    expect(first.flagged).toBe(seed.unusedKeyIds.length);
    expect(second.updates).toEqual([]);
    expect(second.flagged).toBe(0);
    expect(render(second.output)).toBe(`flagged 0 for cleanup (${seed.unusedKeyIds.length} matched, ${seed.unusedKeyIds.length} already flagged)`);
    expect(seed.graph.node(seed.unusedKeyIds[0] as string)?.metadata.flagged_at).toBe(seed.now.toISOString());
  });

  it('stamps flagged_at with the time of the change, never with now', () => {
    const seed = seedInventory();
    const recordedAt = new Date('2026-12-01T08:00:00.000Z');
    const stamped = executeSearch('id(AKIA0000000000000001) | clean', { graph: seed.graph, now: new Date('1999-01-01T00:00:00Z'), recordedAt });
    expect(stamped.updates[0]?.metadata?.flagged_at).toBe(recordedAt.toISOString());
    const before = Date.now();
    const unstamped = executeSearch('id(AKIA0000000000000001) | clean', { graph: seed.graph, now: new Date('2999-01-01T00:00:00Z') });
    expect(Date.parse(String(unstamped.updates[0]?.metadata?.flagged_at))).toBeGreaterThanOrEqual(before);
    expect(Date.parse(String(unstamped.updates[0]?.metadata?.flagged_at))).toBeLessThanOrEqual(Date.now());
  });

  it('unclean clears desired.clean and the flag, leaves other metadata, and counts what was not flagged', () => {
    const seed = seedInventory();
    const key = seed.graph.node('AKIA0000000000000001')!;
    Object.assign(key.metadata, { flagged_by: 'job', flagged_at: '2026-11-01T00:00:00Z', clean_reason: 'old', deactivated_at: '2026-11-02T00:00:00Z', deactivated_by: 'run-1', protected: false });
    key.desired.clean = true;
    const result = executeSearch('id(AKIA0000000000000001, AKIA0000000000000002) | unclean "still used by the backup"', { graph: seed.graph, now: seed.now });
    expect(result.updates).toEqual([{ id: key.id, accountId: expect.stringMatching(/^\d{12}$/), metadata: { protected: false }, desired: {} }]);
    expect(result.changes).toEqual([{ command: 'unclean', reason: 'still used by the backup', nodes: [{ id: key.id, accountId: expect.any(String) }] }]);
    expect(result.output).toEqual({ type: 'unclean', matched: 2, unflagged: 1, not_flagged: 1 });
    expect(render(result.output)).toBe('unflagged 1 (2 matched, 1 were not flagged)');
    expect(key.desired.clean).toBe(true);
  });

  it('clean then unclean in one search leaves the node unflagged', () => {
    const { result } = run('id(AKIA0000000000000001) | clean | unclean');
    expect(result.updates).toEqual([expect.objectContaining({ metadata: {}, desired: {} })]);
    expect(result.changes.map((change) => change.command)).toEqual(['clean', 'unclean']);
  });

  it('flags only what head keeps', () => {
    expect(run('is(access_key) | head 3 | clean').result.updates).toHaveLength(3);
  });

  it('protects and unprotects with metadata.protected', () => {
    const { result } = run('is(user) and name = jenkins | protect');
    expect(result.updates).toEqual([{ id: 'AIDAJENKINS01', accountId: '100000000001', metadata: { protected: true, protected_by: 'cli', protected_at: '2026-11-23T10:00:00.000Z' } }]);
    expect(render(result.output)).toBe('protected 1 (1 matched, 0 already protected)');
    expect(run('is(user) and name = jenkins | unprotect').result.updates).toEqual([]);
    expect(run('is(user) and name = jenkins | protect | unprotect').result.updates).toEqual([
      { id: 'AIDAJENKINS01', accountId: '100000000001', metadata: { protected: false } },
    ]);
  });

  it('composes clean then protect into one update per node', () => {
    const { result } = run('id(AKIA0000000000000001) | clean | protect');
    expect(result.updates).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ protected: true, flagged_by: 'cli' }), desired: { clean: true } }),
    ]);
  });

  it('can count what it flagged', () => {
    const { result } = run('is(access_key) and last_access > 90days | clean | count');
    expect(result.flagged).toBe(result.matched);
    expect(render(result.output)).toBe(`total matched: ${result.matched}\ntotal unmatched: 0`);
  });
});
