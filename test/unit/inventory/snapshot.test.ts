import { ValidationError } from '../../../src/errors';
import { InventoryGraph } from '../../../src/inventory/graph';
import { accessKeyNode, accountNode, userNode } from '../../../src/inventory/model';
import { parseSnapshot, toSnapshotFile } from '../../../src/inventory/snapshot';

function smallGraph(): InventoryGraph {
  const account = accountNode({ id: '111111111111', name: 'prod' });
  const user = userNode({
    id: 'AIDAJENKINS', name: 'jenkins', arn: 'arn:aws:iam::111111111111:user/jenkins', path: '/',
    ctime: '2025-01-01T00:00:00Z', atime: null, tags: {}, password_enabled: false, mfa_active: false,
  });
  const key = accessKeyNode({
    id: 'AKIAJENKINS1', name: 'AKIAJENKINS1', user_name: 'jenkins', ctime: '2025-01-02T00:00:00Z', atime: null,
    access_key_status: 'Active', access_key_last_used: { last_used: null, service_name: null, region: null },
  });
  return new InventoryGraph([account, user, key], [{ from: account.id, to: user.id }, { from: user.id, to: key.id }]);
}

describe('snapshot file', () => {
  it('round-trips a graph through the version 1 format', () => {
    const file = toSnapshotFile(smallGraph(), '2026-11-23T10:00:00Z');
    const { graph, collectedAt } = parseSnapshot(JSON.stringify(file));
    expect(collectedAt).toBe('2026-11-23T10:00:00Z');
    expect(graph.size).toBe(3);
    expect(graph.ancestor('AKIAJENKINS1', 'aws_iam_user')?.reported.name).toBe('jenkins');
    expect(graph.accountOf('AKIAJENKINS1')?.id).toBe('111111111111');
  });

  it('names the node and field of an unknown kind', () => {
    const file = toSnapshotFile(smallGraph(), '2026-11-23T10:00:00Z');
    (file.nodes[1] as { kind: string }).kind = 'aws_ec2_instance';
    expect(() => parseSnapshot(JSON.stringify(file), 'inv.json')).toThrow(
      new ValidationError('inv.json: nodes[1].kind: unknown kind "aws_ec2_instance" (kinds: aws_account, aws_iam_user, aws_iam_access_key)'),
    );
  });

  it('refuses an edge to a node that is not there', () => {
    const file = toSnapshotFile(smallGraph(), '2026-11-23T10:00:00Z');
    file.edges.push({ from: '111111111111', to: 'AIDAGHOST' });
    expect(() => parseSnapshot(JSON.stringify(file))).toThrow(/edges\[2\]\.to: no node with id "AIDAGHOST"/);
  });

  it('refuses another format', () => {
    expect(() => parseSnapshot('{"format":"fixinventory","version":1}')).toThrow(/format: expected "cloudsweep.snapshot"/);
  });
});

describe('snapshot shape', () => {
  const file = () => toSnapshotFile(smallGraph(), '2026-11-23T10:00:00Z');
  const refusal = (data: unknown): string => {
    try {
      parseSnapshot(JSON.stringify(data), 'inv.json');
    } catch (error) {
      if (error instanceof ValidationError) return error.message;
      throw error;
    }
    throw new Error('expected the snapshot to be refused');
  };

  it('refuses a cycle, naming the node', () => {
    const data = file();
    data.edges.push({ from: 'AKIAJENKINS1', to: '111111111111' });
    expect(refusal(data)).toBe('inv.json: node 111111111111: an account under an access key (AKIAJENKINS1); the inventory is account --> user --> access_key');
  });

  it('refuses a key under an account and a user under a key', () => {
    const keyUnderAccount = file();
    keyUnderAccount.edges = [{ from: '111111111111', to: 'AKIAJENKINS1' }, { from: '111111111111', to: 'AIDAJENKINS' }];
    expect(refusal(keyUnderAccount)).toMatch(/^inv\.json: node AKIAJENKINS1: an access key under an account \(111111111111\)/);
    const userUnderKey = file();
    userUnderKey.edges = [{ from: 'AKIAJENKINS1', to: 'AIDAJENKINS' }];
    expect(refusal(userUnderKey)).toMatch(/^inv\.json: node AIDAJENKINS: a user under an access key \(AKIAJENKINS1\)/);
  });

  it('refuses a node with two parents', () => {
    const data = file();
    data.nodes.push({ ...data.nodes[1]!, id: 'AIDAOTHER' });
    data.edges.push({ from: '111111111111', to: 'AIDAOTHER' }, { from: 'AIDAOTHER', to: 'AKIAJENKINS1' });
    expect(refusal(data)).toMatch(/^inv\.json: node AKIAJENKINS1 has 2 parents \(AIDAJENKINS, AIDAOTHER\)/);
  });

  it.each([
    ['ctime', 'yesterday', 'nodes[2] (AKIAJENKINS1): reported.ctime: expected an ISO 8601 date-time, got "yesterday"'],
    ['ctime', '2026-13-01T00:00:00Z', 'reported.ctime: expected an ISO 8601 date-time, got "2026-13-01T00:00:00Z"'],
    ['access_key_status', 7, 'reported.access_key_status: expected a string, got 7'],
    ['access_key_last_used', { last_used: 'soon' }, 'reported.access_key_last_used.last_used: expected an ISO 8601 date-time, got "soon"'],
  ])('refuses a reported %s of the wrong type', (field, value, message) => {
    const data = file();
    (data.nodes[2]!.reported)[field] = value;
    expect(refusal(data)).toContain(message);
  });

  it.each(['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.123Z', '2026-01-02T03:04:05+02:00', '2026-01-02'])('accepts the date-time %s', (ctime) => {
    const data = file();
    (data.nodes[2]!.reported).ctime = ctime;
    expect(() => parseSnapshot(JSON.stringify(data), 'inv.json')).not.toThrow();
  });

  it('refuses values nested deeper than the cap', () => {
    const data = file();
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 20; i += 1) deep = (deep.x = {});
    (data.nodes[1]!.reported).tags = top;
    expect(refusal(data)).toMatch(/reported\.tags(\.x)+: nested deeper than 8 levels/);
  });

  it('accepts the tree it writes, and keys of a user only', () => {
    expect(() => parseSnapshot(JSON.stringify(file()))).not.toThrow();
  });
});
