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
