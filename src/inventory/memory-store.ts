import { InventoryGraph } from './graph';
import type { InventoryStore, LoadedInventory, NodeFlags, NodeRef, NodeUpdate } from './store';

/** An InventoryStore held in memory: for unit tests and for code paths that need no persistence. */
export class MemoryInventoryStore implements InventoryStore {
  readonly updates: NodeUpdate[] = [];

  constructor(
    private readonly graph: InventoryGraph,
    private readonly collectedAt?: string,
  ) {}

  async loadGraph(): Promise<LoadedInventory> {
    return { graph: this.graph, ...(this.collectedAt ? { collectedAt: this.collectedAt } : {}) };
  }

  async updateNodes(updates: readonly NodeUpdate[]): Promise<void> {
    for (const update of updates) {
      const node = this.graph.node(update.id);
      if (!node) continue;
      if (update.metadata) node.metadata = { ...update.metadata };
      if (update.desired) node.desired = { ...update.desired };
      this.updates.push(update);
    }
  }

  async readFlags(nodes: readonly NodeRef[]): Promise<Map<string, NodeFlags>> {
    const flags = new Map<string, NodeFlags>();
    for (const { id } of nodes) {
      const node = this.graph.node(id);
      flags.set(id, node ? { metadata: structuredClone(node.metadata), desired: structuredClone(node.desired) } : {});
    }
    return flags;
  }
}
