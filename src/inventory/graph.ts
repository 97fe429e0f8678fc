import { Edge, InventoryNode, Kind } from './model';

/**
 * The inventory held in memory: nodes by id with outbound and inbound adjacency.
 * Built once per search; nodes are shared, not copied, so a large snapshot stays cheap.
 */
export class InventoryGraph {
  private readonly byId = new Map<string, InventoryNode>();
  private readonly outbound = new Map<string, string[]>();
  private readonly inbound = new Map<string, string[]>();

  constructor(nodes: Iterable<InventoryNode> = [], edges: Iterable<Edge> = []) {
    for (const node of nodes) this.addNode(node);
    for (const edge of edges) this.addEdge(edge.from, edge.to);
  }

  addNode(node: InventoryNode): void {
    this.byId.set(node.id, node);
  }

  addEdge(from: string, to: string): void {
    push(this.outbound, from, to);
    push(this.inbound, to, from);
  }

  get size(): number {
    return this.byId.size;
  }

  node(id: string): InventoryNode | undefined {
    return this.byId.get(id);
  }

  nodes(): IterableIterator<InventoryNode> {
    return this.byId.values();
  }

  edges(): Edge[] {
    const edges: Edge[] = [];
    for (const [from, targets] of this.outbound) for (const to of targets) edges.push({ from, to });
    return edges;
  }

  successors(id: string): readonly string[] {
    return this.outbound.get(id) ?? EMPTY;
  }

  predecessors(id: string): readonly string[] {
    return this.inbound.get(id) ?? EMPTY;
  }

  /** The nearest node of `kind` reached through inbound edges (a key's user, a user's account). */
  ancestor(id: string, kind: Kind): InventoryNode | undefined {
    const seen = new Set<string>([id]);
    let frontier: readonly string[] = this.predecessors(id);
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const parentId of frontier) {
        if (seen.has(parentId)) continue;
        seen.add(parentId);
        const parent = this.byId.get(parentId);
        if (parent?.kind === kind) return parent;
        next.push(...this.predecessors(parentId));
      }
      frontier = next;
    }
    return undefined;
  }

  /** The account a node belongs to (itself for an account). */
  accountOf(id: string): InventoryNode | undefined {
    const node = this.byId.get(id);
    return node?.kind === 'aws_account' ? node : this.ancestor(id, 'aws_account');
  }
}

const EMPTY: readonly string[] = Object.freeze([]);

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
