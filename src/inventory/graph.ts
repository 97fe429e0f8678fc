import { Edge, InventoryNode, Kind } from './model';

/**
 * Adjacency in compressed sparse row form: the neighbours of ordinal `o` are
 * `targets[offsets[o]]` up to (not including) `targets[offsets[o + 1]]`, in the order the edges were added.
 */
export interface Adjacency {
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
}

/**
 * The inventory held in memory: nodes by id with outbound and inbound adjacency.
 * Built once per search; nodes are shared, not copied, so a large snapshot stays cheap.
 *
 * Every id the graph has seen gets an ordinal (0, 1, 2, ... in the order seen), and adjacency is
 * kept as ordinals: a search over 200,000 keys then walks typed arrays instead of hashing ids.
 * An id that only edges name has an ordinal but no node.
 */
export class InventoryGraph {
  private readonly ordinalById = new Map<string, number>();
  private readonly idAt: string[] = [];
  private readonly nodeAtOrdinal: (InventoryNode | undefined)[] = [];
  /** The ordinals of the nodes in the order they were first added: the order of nodes(). */
  private readonly added: number[] = [];
  private readonly edgeFrom: number[] = [];
  private readonly edgeTo: number[] = [];
  // Ordinals of each kind in the order added; kept up as nodes are added, rebuilt when one changes kind.
  private byKind = new Map<string, KindEntry>();
  private byKindStale = false;
  /** Each node's kind, one shared string per kind: a kind test need not read the node itself. */
  private readonly kindAtOrdinal: (string | undefined)[] = [];
  // Built on first use after a change.
  private out: Adjacency | undefined;
  private in: Adjacency | undefined;
  /** Each node's account, remembered as asked (accountOf); forgotten when the graph changes. */
  private accounts: ((ordinal: number) => number) | undefined;
  /** Values derived from the nodes by ordinal (ordinalCache), dropped when a node is added or replaced. */
  private readonly derived = new Map<string, Float64Array>();

  constructor(nodes: Iterable<InventoryNode> = [], edges: Iterable<Edge> = []) {
    for (const node of nodes) this.addNode(node);
    for (const edge of edges) this.addEdge(edge.from, edge.to);
  }

  addNode(node: InventoryNode): void {
    const ordinal = this.ordinalFor(node.id);
    const previous = this.nodeAtOrdinal[ordinal];
    this.nodeAtOrdinal[ordinal] = node;
    if (previous === undefined) {
      this.added.push(ordinal);
      let entry = this.byKind.get(node.kind);
      if (!entry) {
        entry = { kind: node.kind, ordinals: [] };
        this.byKind.set(node.kind, entry);
      }
      entry.ordinals.push(ordinal);
      this.kindAtOrdinal[ordinal] = entry.kind;
    } else if (previous.kind !== node.kind) {
      this.byKindStale = true;
      this.kindAtOrdinal[ordinal] = node.kind;
    }
    this.accounts = undefined;
    this.derived.clear();
  }

  addEdge(from: string, to: string): void {
    this.addOrdinalEdge(this.ordinalFor(from), this.ordinalFor(to));
  }

  /** addEdge for ids the graph already has, by their ordinals. */
  addOrdinalEdge(from: number, to: number): void {
    this.edgeFrom.push(from);
    this.edgeTo.push(to);
    this.out = this.in = undefined;
    this.accounts = undefined;
  }

  get size(): number {
    return this.added.length;
  }

  node(id: string): InventoryNode | undefined {
    const ordinal = this.ordinalById.get(id);
    return ordinal === undefined ? undefined : this.nodeAtOrdinal[ordinal];
  }

  *nodes(): IterableIterator<InventoryNode> {
    for (const ordinal of this.added) yield this.nodeAtOrdinal[ordinal] as InventoryNode;
  }

  /** Grouped by source, sources in the order they first had an edge, each source's edges in the order added. */
  edges(): Edge[] {
    const groupOf = new Map<number, number[]>();
    for (let i = 0; i < this.edgeFrom.length; i += 1) {
      const from = this.edgeFrom[i] as number;
      const group = groupOf.get(from);
      if (group) group.push(i);
      else groupOf.set(from, [i]);
    }
    const edges: Edge[] = [];
    for (const [from, indices] of groupOf) {
      for (const i of indices) edges.push({ from: this.idAt[from] as string, to: this.idAt[this.edgeTo[i] as number] as string });
    }
    return edges;
  }

  /** The nearest node of `kind` reached through inbound edges (a key's user, a user's account). */
  ancestor(id: string, kind: Kind): InventoryNode | undefined {
    const ordinal = this.ordinalOf(id);
    return ordinal < 0 ? undefined : this.ancestorAt(ordinal, kind);
  }

  /** The account a node belongs to (itself for an account). */
  accountOf(id: string): InventoryNode | undefined {
    const ordinal = this.ordinalOf(id);
    if (ordinal < 0) return undefined;
    const node = this.nodeAtOrdinal[ordinal];
    if (node?.kind === 'aws_account') return node;
    this.accounts ??= this.ancestorLookup((kind) => kind === 'aws_account');
    const found = this.accounts(ordinal);
    return found < 0 ? undefined : this.nodeAtOrdinal[found];
  }

  // --- by ordinal ----------------------------------------------------------------------------

  /** One more than the largest ordinal: the length of an array indexed by ordinal. */
  get ordinalCount(): number {
    return this.idAt.length;
  }

  /**
   * An array by ordinal, named by the caller, for values it derives from the nodes and fills as it
   * goes (0: not derived yet): the same array while the nodes stay as they are, a fresh one once a
   * node is added or replaced. Search keeps each key's parsed timestamps here, so the jobs of an
   * event, which search one loaded graph in turn, parse them once.
   */
  ordinalCache(name: string): Float64Array {
    let values = this.derived.get(name);
    if (!values) {
      values = new Float64Array(this.ordinalCount);
      this.derived.set(name, values);
    }
    return values;
  }

  /** The ordinal of an id, -1 when the graph has never seen it. */
  ordinalOf(id: string): number {
    return this.ordinalById.get(id) ?? -1;
  }

  /** The ordinals of every node, in the order of nodes(). */
  nodeOrdinals(): readonly number[] {
    return this.added;
  }

  /** The node at an ordinal; undefined for an id that only edges name. */
  nodeAt(ordinal: number): InventoryNode | undefined {
    return this.nodeAtOrdinal[ordinal];
  }

  outbound(): Adjacency {
    if (!this.out) this.out = adjacency(this.idAt.length, this.edgeFrom, this.edgeTo);
    return this.out;
  }

  inbound(): Adjacency {
    if (!this.in) this.in = adjacency(this.idAt.length, this.edgeTo, this.edgeFrom);
    return this.in;
  }

  /** The ordinals of the nodes of one kind, in the order of nodes(). */
  ordinalsOfKind(kind: string): readonly number[] {
    if (this.byKindStale) {
      this.byKind = kindIndex(this.added, this.nodeAtOrdinal);
      this.byKindStale = false;
    }
    return this.byKind.get(kind)?.ordinals ?? EMPTY_ORDINALS;
  }

  /** The kind of the node at an ordinal (undefined: no node), without reading the node. */
  kindAt(ordinal: number): string | undefined {
    return this.kindAtOrdinal[ordinal];
  }

  /** ancestor() from an ordinal: breadth first through inbound edges, through ids without a node too. */
  ancestorAt(ordinal: number, kind: Kind): InventoryNode | undefined {
    const found = this.nearestAncestor(ordinal, (candidate) => candidate === kind);
    return found < 0 ? undefined : this.nodeAtOrdinal[found];
  }

  /**
   * nearestAncestor for many nodes at once: each answer is remembered, and a walk up a chain of
   * single parents stops where an earlier walk passed, so answering for every node costs time
   * linear in the nodes, even on a cyclic graph (where each walk would otherwise go round the
   * whole cycle). Made per search; the graph must not change while it is used.
   */
  ancestorLookup(wanted: (kind: string) => boolean): (ordinal: number) => number {
    const { offsets, targets } = this.inbound();
    // 0: not known yet; IN_PROGRESS: on the current walk; otherwise the answer + 2 (1: none).
    const memo = new Int32Array(this.idAt.length);
    const IN_PROGRESS = -1;
    const path: number[] = [];
    return (ordinal) => {
      const known = memo[ordinal] as number;
      if (known > 0) return known - 2;
      let answer = -1;
      for (let child = ordinal; ; ) {
        path.push(child);
        memo[child] = IN_PROGRESS;
        const first = offsets[child] as number;
        const end = offsets[child + 1] as number;
        if (first === end) break;
        if (end - first > 1) {
          answer = this.nearestAncestor(child, wanted);
          break;
        }
        const parent = targets[first] as number;
        const kind = this.kindAtOrdinal[parent];
        if (kind !== undefined && wanted(kind)) {
          answer = parent;
          break;
        }
        const parentKnown = memo[parent] as number;
        if (parentKnown === IN_PROGRESS) break; // round a cycle without meeting the kind
        if (parentKnown > 0) {
          answer = parentKnown - 2;
          break;
        }
        child = parent;
      }
      for (const walked of path) memo[walked] = answer + 2;
      path.length = 0;
      return answer;
    };
  }

  /**
   * The ordinal of the nearest node through inbound edges whose kind is `wanted`; -1 when none.
   * Ids without a node are passed through.
   */
  nearestAncestor(ordinal: number, wanted: (kind: string) => boolean): number {
    const { offsets, targets } = this.inbound();
    // Inventories are trees: while each step has one parent, no frontier or `seen` set is needed.
    for (let child = ordinal, steps = 0; steps < this.idAt.length; steps += 1) {
      const first = offsets[child] as number;
      const end = offsets[child + 1] as number;
      if (first === end) return -1;
      if (end - first > 1) break;
      child = targets[first] as number;
      if (child === ordinal) return -1;
      const kind = this.kindAtOrdinal[child];
      if (kind !== undefined && wanted(kind)) return child;
    }
    const seen = new Set<number>([ordinal]);
    let frontier = [ordinal];
    while (frontier.length > 0) {
      const next: number[] = [];
      for (const child of frontier) {
        for (let i = offsets[child] as number, end = offsets[child + 1] as number; i < end; i += 1) {
          const parent = targets[i] as number;
          if (seen.has(parent)) continue;
          seen.add(parent);
          const kind = this.kindAtOrdinal[parent];
          if (kind !== undefined && wanted(kind)) return parent;
          next.push(parent);
        }
      }
      frontier = next;
    }
    return -1;
  }

  private ordinalFor(id: string): number {
    let ordinal = this.ordinalById.get(id);
    if (ordinal === undefined) {
      ordinal = this.idAt.length;
      this.ordinalById.set(id, ordinal);
      this.idAt.push(id);
      this.nodeAtOrdinal.push(undefined);
      this.kindAtOrdinal.push(undefined);
      this.out = this.in = undefined;
      this.accounts = undefined;
      this.derived.clear();
    }
    return ordinal;
  }
}

const EMPTY_ORDINALS: readonly number[] = Object.freeze([]);

/** Counting sort of the edges by source: stable, so each node's neighbours keep the order added. */
function adjacency(count: number, sources: readonly number[], destinations: readonly number[]): Adjacency {
  const offsets = new Int32Array(count + 1);
  for (const source of sources) offsets[source + 1] = (offsets[source + 1] as number) + 1;
  for (let i = 1; i <= count; i += 1) offsets[i] = (offsets[i] as number) + (offsets[i - 1] as number);
  const fill = offsets.slice(0, count);
  const targets = new Int32Array(sources.length);
  for (let i = 0; i < sources.length; i += 1) {
    const source = sources[i] as number;
    targets[fill[source] as number] = destinations[i] as number;
    fill[source] = (fill[source] as number) + 1;
  }
  return { offsets, targets };
}

/** One kind's nodes: the kind, and their ordinals in the order added. */
interface KindEntry {
  kind: string;
  ordinals: number[];
}

function kindIndex(ordinals: readonly number[], nodes: readonly (InventoryNode | undefined)[]): Map<string, KindEntry> {
  const index = new Map<string, KindEntry>();
  for (const ordinal of ordinals) {
    const { kind } = nodes[ordinal] as InventoryNode;
    const entry = index.get(kind);
    if (entry) entry.ordinals.push(ordinal);
    else index.set(kind, { kind, ordinals: [ordinal] });
  }
  return index;
}
