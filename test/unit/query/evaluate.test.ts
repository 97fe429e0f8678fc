import { InventoryGraph } from '../../../src/inventory/graph';
import { accountNode, InventoryNode, userNode } from '../../../src/inventory/model';
import { evaluate } from '../../../src/query/evaluate';
import { parse } from '../../../src/query/parser';
import { SEED_NOW, seedInventory, UNUSED_KEY_USERS } from '../../fixtures/seed-inventory';

const seed = seedInventory();
const search = (text: string, graph: InventoryGraph = seed.graph, now: Date = seed.now): InventoryNode[] => evaluate(parse(text), graph, now);
const names = (nodes: InventoryNode[]) => nodes.map((node) => node.reported.name);
const ids = (nodes: InventoryNode[]) => nodes.map((node) => node.id);
const DAY = 24 * 60 * 60 * 1000;

describe('evaluate on the seed inventory', () => {
  it('finds the users owning keys unused for more than 90 days, each user once', () => {
    const users = search('is(access_key) and last_access > 90days <-- is(user)');
    const expected = Object.values(UNUSED_KEY_USERS).reduce((sum, n) => sum + n, 0);
    expect(users).toHaveLength(expected);
    expect(new Set(ids(users)).size).toBe(expected);
    expect(users.every((user) => user.kind === 'aws_iam_user')).toBe(true);
  });

  it('finds exactly the keys unused for more than 90 days', () => {
    expect(ids(search('is(access_key) and last_access > 90days')).sort()).toEqual([...seed.unusedKeyIds].sort());
  });

  it('counts a never-used key created 100 days ago as unused since creation', () => {
    const keys = search('is(access_key) and atime == null and last_access > 90days');
    expect(keys.map((key) => key.reported.user_name)).toEqual(['packer-ami']);
  });

  it('sees a key replaced since the graph was last searched (times parsed once per graph, not per node replaced)', () => {
    const graph = seedInventory().graph;
    const unused = () => ids(search('is(access_key) and last_access > 90days', graph)).sort();
    const first = unused();
    const used = graph.node(first[0] as string) as InventoryNode;
    expect(unused()).toEqual(first);

    // Collect puts a fresh node in for a key it saw used yesterday.
    graph.addNode({ ...used, reported: { ...used.reported, atime: new Date(seed.now.getTime() - DAY).toISOString() } });

    expect(unused()).toEqual(first.filter((id) => id !== used.id));
  });

  it('does not count a key exactly at the 90-day boundary with >, and does with >=', () => {
    const atBoundary = (op: string) => names(search(`is(access_key) and last_access ${op} 90days <-- is(user) and name in [bob, carol]`));
    expect(atBoundary('>')).toEqual([]);
    expect(atBoundary('>=')).toEqual(['bob', 'carol']);
  });

  it('excludes users by name after the traversal, and by ancestor path before it', () => {
    const after = search('is(access_key) and last_access > 90days <-- is(user) and name not in [jenkins, ci]');
    expect(new Set(names(after))).toEqual(new Set(['ccm-sa', 'nancy', 'db-runner', 'packer-ami', 'test-max']));
    const keys = search('is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci]');
    expect(keys).toHaveLength(27);
    expect(keys.some((key) => ['jenkins', 'ci'].includes(key.reported.user_name as string))).toBe(false);
  });

  it('matches the account shorthand by name or id, on accounts, users and keys', () => {
    expect(names(search('is(user) and account = prod'))).toEqual(names(search('is(user) and account = 100000000001')));
    expect(search('is(user) and account = prod')).toHaveLength(9);
    expect(search('is(account) and account = staging')).toHaveLength(1);
    expect(search('is(access_key) and account in [dev]').every((key) => key.reported.user_name !== undefined)).toBe(true);
    expect(search('is(user) and account != prod')).toHaveLength(34 - 9);
    expect(search('is(user) and /ancestors.account.reported.name = prod')).toHaveLength(9);
  });

  it('reads an account\'s own properties through /ancestors.account, as the account shorthand does', () => {
    expect(names(search('is(account) and /ancestors.account.reported.name = prod'))).toEqual(['prod']);
    expect(search('/ancestors.account.reported.name = prod')).toEqual(search('account = prod'));
    expect(names(search('is(account) and /ancestors.aws_account.reported.id = 100000000002'))).toEqual(['staging']);
    expect(search('is(user) and /ancestors.user.reported.name = nancy')).toEqual([]);
  });

  it('sorts results by kind, name, id by default', () => {
    const result = search('is(user, account) and (name = prod or name = alice or name = test-max)');
    expect(result.map((node) => [node.kind, node.reported.name])).toEqual([
      ['aws_account', 'prod'],
      ['aws_iam_user', 'alice'],
      ...Array.from({ length: 12 }, () => ['aws_iam_user', 'test-max']),
    ]);
    const testMax = result.filter((node) => node.reported.name === 'test-max');
    expect(ids(testMax)).toEqual([...ids(testMax)].sort());
  });
});

describe('evaluate: kinds, ids and text', () => {
  it('follows the is-a hierarchy', () => {
    expect(search('is(user)')).toEqual(search('is(aws_iam_user)'));
    expect(search('is(resource)')).toHaveLength(seed.graph.size);
    expect(search('is(account, user)')).toHaveLength(12 + 34);
  });

  it('finds nodes by id, and all nodes with all', () => {
    expect(names(search('id(100000000002)'))).toEqual(['staging']);
    expect(names(search('id(AIDANANCY01, AIDAALICE01)'))).toEqual(['alice', 'nancy']);
    expect(search('all')).toHaveLength(seed.graph.size);
  });

  it('matches full text case-insensitively in any reported string, tags too', () => {
    expect(names(search('"NANCY@example"'))).toEqual(['nancy']);
    expect(names(search('is(user) and "platform"'))).toEqual(['ccm-sa']);
  });

  it('tests keys of an object with has_key', () => {
    expect(names(search('has_key(tags, "owner")'))).toEqual(['ccm-sa', 'nancy']);
    expect(names(search('has_key(tags, [owner, team])'))).toEqual(['nancy']);
  });
});

describe('evaluate: comparisons', () => {
  const graph = (): InventoryGraph => {
    const account = accountNode({ id: '222222222222', name: 'lab' });
    const base = { arn: 'arn', path: '/', ctime: '2026-01-01T00:00:00Z', atime: null, password_enabled: false, mfa_active: false };
    const u1 = userNode({ ...base, id: 'U1', name: 'one', tags: { owner: 'ann' } });
    const u2 = userNode({ ...base, id: 'U2', name: 'two', tags: {}, ctime: '2026-06-01T00:00:00Z' });
    // Tags hold any value in a test: the model names no list or number property to compare.
    Object.assign(u1.reported.tags as object, { groups: ['admins', 'devs'], size: 10 });
    Object.assign(u2.reported.tags as object, { size: 3 });
    u2.metadata.protected = true;
    return new InventoryGraph([account, u1, u2], [{ from: '222222222222', to: 'U1' }, { from: '222222222222', to: 'U2' }]);
  };
  const now = new Date('2026-07-01T00:00:00Z');
  const run = (text: string) => names(search(text, graph(), now));

  it('compares numbers numerically and strings by code point', () => {
    expect(run('tags.size > 5')).toEqual(['one']);
    expect(run('tags.size <= 3')).toEqual(['two']);
    expect(run('is(user) and name >= p')).toEqual(['two']);
    expect(run('is(user) and name < two')).toEqual(['one']);
  });

  it('finds a string id with an unquoted number', () => {
    expect(run('id = 222222222222')).toEqual(['lab']);
  });

  it('matches regular expressions case-insensitively', () => {
    expect(run('name ~ "^ON"')).toEqual(['one']);
    expect(run('is(user) and name !~ "^ON"')).toEqual(['two']);
  });

  it('treats a missing property as not matching, except = null, != value, not in and !~', () => {
    expect(run('is(user) and tags.owner = ann')).toEqual(['one']);
    expect(run('is(user) and tags.owner != ann')).toEqual(['two']);
    expect(run('is(user) and tags.owner == null')).toEqual(['two']);
    expect(run('is(user) and tags.owner != null')).toEqual(['one']);
    expect(run('is(user) and tags.owner > a')).toEqual(['one']);
    expect(run('is(user) and tags.owner < zzz')).toEqual(['one']);
    expect(run('is(user) and tags.owner in [ann, bob]')).toEqual(['one']);
    expect(run('is(user) and tags.owner not in [ann]')).toEqual(['two']);
    expect(run('is(user) and tags.owner ~ "."')).toEqual(['one']);
    expect(run('is(user) and /metadata.protected = true')).toEqual(['two']);
    expect(run('is(user) and /metadata.protected != true')).toEqual(['one']);
    expect(run('is(user) and atime = null')).toEqual(['one', 'two']);
    expect(run('is(user) and atime < 2030-01-01')).toEqual([]);
  });

  it('applies any, all and none to list values', () => {
    expect(run('tags.groups any = admins')).toEqual(['one']);
    expect(run('tags.groups all ~ "s$"')).toEqual(['one']);
    expect(run('tags.groups all = admins')).toEqual([]);
    expect(run('is(user) and tags.groups none = ops')).toEqual(['one']);
    expect(run('is(user) and tags.groups none = admins')).toEqual([]);
  });

  it('applies the missing-value rule to any, all and none on a missing list, like every comparison', () => {
    expect(run('is(user) and tags.groups none =~ x')).toEqual(['one']);
    expect(run('is(user) and tags.groups none = admins')).toEqual([]);
    expect(run('is(user) and tags.groups any = admins')).toEqual(['one']);
    expect(run('is(user) and tags.groups all = admins')).toEqual([]);
    expect(run('is(user) and tags.groups none != admins')).toEqual(['two']);
    expect(run('is(user) and tags.groups any not in [x]')).toEqual(['one', 'two']);
  });

  it('compares datetime properties with datetimes, and with durations as now + duration', () => {
    expect(run('ctime < 2026-03-01')).toEqual(['one']);
    expect(run('ctime >= 2026-06-01T00:00:00Z')).toEqual(['two']);
    expect(run('ctime < -90d')).toEqual(['one']); // created more than 90 days before now (2026-07-01)
    expect(run('ctime > -90d')).toEqual(['two']);
    expect(run('ctime < -P90D')).toEqual(['one']);
  });

  it('compares age, last_access and last_update as durations in every unit', () => {
    expect(run('is(user) and age > 29d')).toEqual(['one', 'two']);
    expect(run('age > 5w')).toEqual(['one']);
    expect(run('is(user) and age > 4w')).toEqual(['one', 'two']);
    expect(run('age > 3mo')).toEqual(['one']);
    expect(run('age < 1yr')).toEqual(['one', 'two']);
    expect(run('age < 720h')).toEqual([]);
    expect(run('last_access > 29days and last_access < 31days')).toEqual(['two']);
    expect(run('last_update > 1h30m and last_update < P31D')).toEqual(['two']);
    expect(run('age > 2500000')).toEqual(['one', 'two']); // a number is seconds: 29 days
  });
});

describe('evaluate: traversals', () => {
  it('walks out, in and both ways, one step', () => {
    expect(search('id(100000000003) --> is(user)')).toHaveLength(4);
    expect(names(search('id(AIDANANCY01) <--'))).toEqual(['prod']);
    expect(search('id(AIDANANCY01) <-->').map((node) => node.kind).sort()).toEqual(['aws_account', 'aws_iam_access_key']);
  });

  it('walks several steps with depth ranges', () => {
    const prod = 'id(100000000001)';
    const usersInProd = 9;
    const keysInProd = search('is(access_key) and account = prod').length;
    expect(search(`${prod} -[2]->`)).toHaveLength(keysInProd);
    expect(search(`${prod} -[1:2]->`)).toHaveLength(usersInProd + keysInProd);
    expect(search(`${prod} -[0:2]->`)).toHaveLength(1 + usersInProd + keysInProd);
    expect(search(`${prod} -[1:]-> is(access_key)`)).toHaveLength(keysInProd);
    expect(names(search('is(access_key) and id(AKIA0000000000000001) <-[2]-'))).toEqual(['prod']);
    expect(search('is(access_key) and account = prod <-[1:]-').map((node) => node.kind).sort()).toEqual(['aws_account', ...Array(8).fill('aws_iam_user')]);
  });

  it('chains several traversals, each part filtering the nodes reached', () => {
    const accounts = search('is(user) and name = db-runner <-- is(account) --> is(user) and name = nancy');
    expect(names(accounts)).toEqual(['nancy']);
  });

  it('reaches nodes that are start nodes too, as Fix Inventory does', () => {
    const children = search('is(user, access_key) -->');
    expect(children.every((node) => node.kind === 'aws_iam_access_key')).toBe(true);
    expect(children).toHaveLength(search('is(access_key)').length);
  });

  it('walks both ways as an upward and a downward walk, united: never down again after going up', () => {
    const ci = 'is(user) and name == ci and account = prod';
    const reached = search(`${ci} <-[0:2]->`);
    const keysOfCi = search(`${ci} -->`);
    expect(keysOfCi.length).toBeGreaterThan(0);
    expect(ids(reached).sort()).toEqual([...ids(search(ci)), '100000000001', ...ids(keysOfCi)].sort());
    expect(search('id(AIDANANCY01) <-[2]->')).toEqual([]);
    expect(names(search('id(AIDANANCY01) <-[1]-> is(account)'))).toEqual(['prod']);
  });

  it('lets a traversal follow a traversal directly, the term between them left out', () => {
    expect(search('id(AIDANANCY01) --> <--')).toEqual(search('id(AIDANANCY01)'));
    expect(names(search('id(AIDANANCY01) <-- --> is(user) and name = alice'))).toEqual(['alice']);
  });

  it('returns distinct nodes: the accounts of 35 keys are 12', () => {
    expect(search('is(access_key) <-[2]- is(account)')).toHaveLength(12);
  });
});

describe('evaluate: with clauses', () => {
  it('finds users with no keys', () => {
    expect(names(search('is(user) with(empty, --> is(access_key))'))).toEqual(['dave']);
    expect(search('is(user) with(count < 1, -->)')).toEqual(search('is(user) with(empty, --> is(access_key))'));
  });

  it('finds users with two active keys', () => {
    const users = search('is(user) with(count == 2, --> is(access_key) and access_key_status = Active)');
    expect(users.map((user) => [user.reported.name, user.id])).toEqual([['db-runner', 'AIDADBRUNNER01'], ['test-max', 'AIDATESTMAX01']]);
    expect(search('is(user) with(count >= 2, -default->)')).toEqual(users);
    expect(search('is(user) with(count > 2, -->)')).toEqual([]);
  });

  it('finds users none of whose keys were used in the last 90 days', () => {
    const idle = names(search('is(user) with(empty, --> is(access_key) and last_access < 90days)'));
    expect(idle).toHaveLength(34 - 3);
    expect(idle).not.toContain('alice');
    expect(idle).not.toContain('eve');
    expect(idle).toContain('carol'); // last used exactly 90 days ago
    expect(idle.filter((name) => name === 'test-max')).toHaveLength(11); // prod's test-max has a key in use
  });

  it('nests with clauses: accounts with a user without keys', () => {
    expect(names(search('is(account) with(any, --> is(user) with(empty, --> is(access_key)))'))).toEqual(['prod']);
  });

  it('applies the clause after the term, before sort and limit, also right after a traversal', () => {
    expect(names(search('is(user) with(count = 2, -->) sort name desc limit 1'))).toEqual(['test-max']);
    expect(names(search('is(account) and name = prod --> with(empty, -->)'))).toEqual(['dave']);
    expect(names(search('is(access_key) with(any, <-- is(user) and name = nancy) <--'))).toEqual(['nancy']);
  });

  it('walks depth ranges and both ways from each node', () => {
    expect(names(search('is(account) with(count > 5, -[2]-> is(access_key))'))).toEqual(['prod']);
    expect(search('is(access_key) with(any, <-[2]- is(account) and name = dev)')).toEqual(search('is(access_key) and account = dev'));
    expect(names(search('is(user) and account = prod with(count = 2, <-[0:1]-> is(access_key))'))).toEqual(['db-runner', 'test-max']);
  });
});

describe('evaluate: sort and limit', () => {
  it('sorts by several keys, missing values last, and limits with an offset', () => {
    const unused = 'is(access_key) and last_access > 90days';
    const sorted = search(`${unused} sort last_access desc, id`);
    const ages = sorted.map((key) => SEED_NOW.getTime() - Date.parse((key.reported.atime ?? key.reported.ctime) as string));
    expect(ages).toEqual([...ages].sort((a, b) => b - a));
    expect(search(`${unused} sort last_access desc, id limit 2, 3`)).toEqual(sorted.slice(2, 5));
    const byOwner = names(search('is(user) and name in [nancy, ccm-sa, alice] sort tags.owner desc'));
    expect(byOwner).toEqual(['ccm-sa', 'nancy', 'alice']);
  });

  it('limits a part before traversing from it', () => {
    expect(search('is(account) sort name limit 1 --> is(user)').every((user) => user.id.endsWith('03'))).toBe(true);
  });

  it('is deterministic for a limit without sort: the default order', () => {
    expect(names(search('is(account) limit 2'))).toEqual(['dev', 'prod']);
  });

  it('uses the clock it is given', () => {
    const later = new Date(SEED_NOW.getTime() + 200 * DAY);
    expect(search('is(access_key) and last_access > 90days', seed.graph, later).length).toBeGreaterThan(seed.unusedKeyIds.length);
  });
});
