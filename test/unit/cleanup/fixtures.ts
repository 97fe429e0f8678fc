import { defaultFixWorkerConfig, FixWorkerConfig } from '../../../src/config/fix-worker';
import { InventoryGraph } from '../../../src/inventory/graph';
import { accessKeyNode, accountNode, InventoryNode, userNode } from '../../../src/inventory/model';

/** A small inventory built by hand: accounts, users and keys, with flags where a test wants them. */
export class InventoryBuilder {
  readonly graph = new InventoryGraph();

  account(id: string, name = id): this {
    this.graph.addNode(accountNode({ id, name }));
    return this;
  }

  user(accountId: string, name: string, options: { tags?: Record<string, string>; protected?: boolean } = {}): InventoryNode {
    const node = userNode({
      id: `AIDA${accountId}${name.toUpperCase()}`.slice(0, 21),
      name,
      arn: `arn:aws:iam::${accountId}:user/${name}`,
      path: '/',
      ctime: '2024-01-01T00:00:00Z',
      atime: null,
      tags: options.tags ?? {},
      password_enabled: false,
      mfa_active: false,
    });
    if (options.protected) node.metadata.protected = true;
    this.graph.addNode(node);
    this.graph.addEdge(accountId, node.id);
    return node;
  }

  key(
    user: InventoryNode,
    id: string,
    options: { flagged?: boolean; atime?: string | null; status?: 'Active' | 'Inactive'; metadata?: Record<string, unknown> } = {},
  ): InventoryNode {
    const node = accessKeyNode({
      id,
      name: id,
      user_name: String(user.reported.name),
      ctime: '2024-01-01T00:00:00Z',
      atime: options.atime ?? null,
      access_key_status: options.status ?? 'Active',
      access_key_last_used: { last_used: options.atime ?? null, service_name: null, region: null },
    });
    if (options.flagged) {
      node.desired.clean = true;
      node.metadata.flagged_by = 'clean_outdated_access_keys';
      node.metadata.flagged_at = '2026-01-01T00:00:00.000Z';
      node.metadata.clean_reason = 'unused for 90 days';
    }
    Object.assign(node.metadata, options.metadata ?? {});
    this.graph.addNode(node);
    this.graph.addEdge(user.id, node.id);
    return node;
  }
}

export function configWith(fixworker: Partial<FixWorkerConfig['fixworker']> = {}): FixWorkerConfig {
  const config = defaultFixWorkerConfig();
  return { ...config, fixworker: { ...config.fixworker, ...fixworker } };
}

export const NOW = new Date('2026-02-01T00:00:00.000Z');
export const HOME = '123456789012';
