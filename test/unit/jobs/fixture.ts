import { InventoryGraph } from '../../../src/inventory/graph';
import { accessKeyNode, accountNode, userNode } from '../../../src/inventory/model';

export const NOW = new Date('2026-11-24T10:00:00Z');

const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

/** One account; jenkins and nancy each own an old unused key, nancy also a fresh one. */
export function smallInventory(): InventoryGraph {
  const graph = new InventoryGraph();
  graph.addNode(accountNode({ id: '123456789012', name: 'prod' }));
  for (const [userId, name, keys] of [
    ['AIDAJENKINS', 'jenkins', [['AKIAJENKINSOLD', 200]]],
    ['AIDANANCY', 'nancy', [['AKIANANCYOLD', 120], ['AKIANANCYNEW', 5]]],
  ] as const) {
    graph.addNode(userNode({ id: userId, name, arn: `arn:aws:iam::123456789012:user/${name}`, path: '/', ctime: daysAgo(400), atime: null, tags: {}, password_enabled: false, mfa_active: false }));
    graph.addEdge('123456789012', userId);
    for (const [keyId, age] of keys) {
      graph.addNode(accessKeyNode({ id: keyId, name: keyId, user_name: name, ctime: daysAgo(age), atime: null, access_key_status: 'Active', access_key_last_used: { last_used: null, service_name: null, region: null } }));
      graph.addEdge(userId, keyId);
    }
  }
  return graph;
}
