import type { InventoryGraph } from '../inventory/graph';
import { InventoryNode, kindIsA, KINDS, Kind } from '../inventory/model';
import type { Navigation, Query, Term } from './ast';
import { predicateTest } from './compare';
import { sortNodes } from './order';
import { EvaluationContext, propertyReader } from './properties';

export interface EvaluateOptions {
  /**
   * Sort the result in the default order (kind, name, id) when the query does not sort it.
   * Default true; `count` and `clean` pass false and skip the sort.
   */
  ordered?: boolean;
}

/**
 * The nodes a query selects: the first part filters every node, each traversal moves to the
 * distinct nodes reached, and the next part filters those. Pure: the graph and now are arguments.
 */
export function evaluate(query: Query, graph: InventoryGraph, now: Date, options: EvaluateOptions = {}): InventoryNode[] {
  const context: EvaluationContext = { graph, now: now.getTime() };
  let candidates: Iterable<InventoryNode> = graph.nodes();
  let result: InventoryNode[] = [];
  let sorted = false;
  for (const part of query.parts) {
    const test = compileTerm(part.term, context);
    result = [];
    for (const node of candidates) if (test(node)) result.push(node);
    sorted = false;
    if (part.sort || part.limit) {
      sortNodes(result, part.sort ?? [], context);
      sorted = true;
      if (part.limit) result = result.slice(part.limit.offset, part.limit.offset + part.limit.count);
    }
    if (part.navigation) candidates = traverse(result, part.navigation, graph);
  }
  if (!sorted && options.ordered !== false) sortNodes(result, [], context);
  return result;
}

type NodeTest = (node: InventoryNode) => boolean;

export function compileTerm(term: Term, context: EvaluationContext): NodeTest {
  switch (term.type) {
    case 'all':
      return () => true;
    case 'is': {
      const kinds = new Set((Object.keys(KINDS) as Kind[]).filter((kind) => term.kinds.some((name) => kindIsA(kind, name))));
      return (node) => kinds.has(node.kind);
    }
    case 'id': {
      const ids = new Set(term.ids);
      return (node) => ids.has(node.id);
    }
    case 'predicate':
      return predicateTest(term, context);
    case 'has_key': {
      const read = propertyReader(term.path, context);
      return (node) => {
        const value = read(node);
        return typeof value === 'object' && value !== null && !Array.isArray(value) && term.keys.every((key) => Object.prototype.hasOwnProperty.call(value, key));
      };
    }
    case 'fulltext': {
      const needle = term.text.toLowerCase();
      return (node) => containsText(node.reported, needle);
    }
    case 'not': {
      const inner = compileTerm(term.term, context);
      return (node) => !inner(node);
    }
    case 'and': {
      const left = compileTerm(term.left, context);
      const right = compileTerm(term.right, context);
      return (node) => left(node) && right(node);
    }
    case 'or': {
      const left = compileTerm(term.left, context);
      const right = compileTerm(term.right, context);
      return (node) => left(node) || right(node);
    }
  }
}

function containsText(value: unknown, needle: string): boolean {
  if (typeof value === 'string') return value.toLowerCase().includes(needle);
  if (Array.isArray(value)) return value.some((item) => containsText(item, needle));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((item) => containsText(item, needle));
  return false;
}

/**
 * The distinct nodes reached from any start node in a number of steps within the navigation's
 * range (depth 0 is the start set itself), as Fix Inventory's traversals: `is(resource) -->`
 * includes keys that are start nodes too. Set semantics: a user reached through 12 keys counts
 * once. Both-ways walks (`<-->`) count each node at its shortest distance, so they cannot bounce.
 */
export function traverse(start: readonly InventoryNode[], navigation: Navigation, graph: InventoryGraph): InventoryNode[] {
  const { direction, start: from, until } = navigation;
  // Out and in follow a tree (or DAG) and end at its leaves; the cap only guards a cyclic graph.
  const last = until ?? graph.size;
  const global = direction === 'inout' ? new Set<string>(start.map((node) => node.id)) : undefined;
  const levels: InventoryNode[][] = from === 0 ? [start as InventoryNode[]] : [];
  let frontier: readonly InventoryNode[] = start;
  for (let depth = 1; frontier.length > 0 && depth <= last; depth += 1) {
    const seen = global ?? new Set<string>();
    const next: InventoryNode[] = [];
    for (const node of frontier) {
      if (direction !== 'in') visit(graph.successors(node.id), graph, seen, next);
      if (direction !== 'out') visit(graph.predecessors(node.id), graph, seen, next);
    }
    if (depth >= from) levels.push(next);
    frontier = next;
  }
  if (levels.length <= 1) return levels[0] ?? [];
  // Several depths: a node may be reached at more than one of them.
  const reached = new Set<InventoryNode>();
  for (const level of levels) for (const node of level) reached.add(node);
  return [...reached];
}
function visit(ids: readonly string[], graph: InventoryGraph, seen: Set<string>, into: InventoryNode[]): void {
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const node = graph.node(id);
    if (node) into.push(node);
  }
}
