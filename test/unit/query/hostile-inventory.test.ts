import { InventoryGraph } from '../../../src/inventory/graph';
import { accountNode, userNode } from '../../../src/inventory/model';
import { Deadline } from '../../../src/query/deadline';
import { executeSearch } from '../../../src/query/execute';

const NOW = new Date('2026-11-24T10:00:00Z');
const N = 8000;

/** N users in one cycle (u0 -> u1 -> ... -> u0), the shape that made a walk take seconds. */
function cycle(): InventoryGraph {
  const graph = new InventoryGraph();
  graph.addNode(accountNode({ id: '123456789012', name: 'prod' }));
  for (let i = 0; i < N; i += 1) {
    graph.addNode(userNode({ id: `U${i}`, name: `user-${i}`, arn: `arn:aws:iam::123456789012:user/u${i}`, path: '/', ctime: '2025-01-01T00:00:00Z', atime: null, tags: {}, password_enabled: false, mfa_active: false }));
  }
  for (let i = 0; i < N; i += 1) graph.addEdge(`U${i}`, `U${(i + 1) % N}`);
  return graph;
}

/** Counts the steps of a search (nodes tested, edges followed) through its deadline's clock. */
function counted(): { deadline: Deadline; steps: () => number } {
  let reads = 0;
  const deadline = new Deadline(Number.MAX_SAFE_INTEGER, () => reads++, Number.MAX_SAFE_INTEGER);
  return { deadline, steps: () => reads * 1024 };
}

describe('searches on a cyclic inventory stay linear', () => {
  const graph = cycle();

  it.each(['-[0:]->', '-[1:]->', '<-[0:]-', '<-[2:]-', '<-[0:]->', '-[3:5000]->'])('walks %s from every user once round the cycle', (arrow) => {
    const { deadline, steps } = counted();
    const result = executeSearch(`is(user) ${arrow} | count`, { graph, now: NOW, deadline });
    expect(result.output).toMatchObject({ type: 'count', total_matched: N });
    // Every node tested once, every edge followed about once per start depth: linear, where
    // the old walk followed N edges at each of N depths (64 million steps).
    expect(steps()).toBeLessThan(10 * N);
  });

  it('finds no account above any user, walking the cycle once for all of them', () => {
    let asked = 0;
    const lookup = graph.ancestorLookup((kind) => {
      asked += 1;
      return kind === 'aws_account';
    });
    for (let ordinal = 0; ordinal < graph.ordinalCount; ordinal += 1) expect(lookup(ordinal)).toBe(-1);
    expect(asked).toBeLessThanOrEqual(2 * N);
    expect(executeSearch('is(user) and /ancestors.account.reported.name = prod | count', { graph, now: NOW }).output).toMatchObject({ total_matched: 0 });
    expect(graph.accountOf('U17')).toBeUndefined();
  });

  it('still finds the account of a tree, through the remembered answers', () => {
    const tree = new InventoryGraph();
    tree.addNode(accountNode({ id: '123456789012', name: 'prod' }));
    for (let i = 0; i < 3; i += 1) {
      tree.addNode(userNode({ id: `U${i}`, name: `u${i}`, arn: 'a', path: '/', ctime: '2025-01-01T00:00:00Z', atime: null, tags: {}, password_enabled: false, mfa_active: false }));
      tree.addEdge(i === 0 ? '123456789012' : `U${i - 1}`, `U${i}`);
    }
    expect(executeSearch('/ancestors.account.reported.name = prod | count', { graph: tree, now: NOW }).output).toMatchObject({ total_matched: 4 });
    expect(tree.accountOf('U2')?.id).toBe('123456789012');
    expect(tree.accountOf('U0')?.id).toBe('123456789012');
  });
});
