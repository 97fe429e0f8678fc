import type { InventoryGraph } from '../inventory/graph';
import { InventoryNode, kindIsA, KINDS, Kind } from '../inventory/model';
import type { Navigation, Query, Term } from './ast';
import { NodeTest, predicateTest } from './compare';
import type { Deadline } from './deadline';
import { sortOrdinals } from './order';
import { EvaluationContext, propertyReader } from './properties';

export interface EvaluateOptions {
  /**
   * Sort the result in the default order (kind, name, id) when the query does not sort it.
   * Default true; `count` and `clean` pass false and skip the sort.
   */
  ordered?: boolean;
  /** Stops the evaluation with a SearchTimeoutError once past it (a job's `--timeout`). */
  deadline?: Deadline;
}

/**
 * The nodes a query selects: the first part filters every node, each traversal moves to the
 * distinct nodes reached, and the next part filters those. Pure: the graph and now are arguments.
 * Inside, nodes travel as their ordinals in the graph: sets are typed arrays, not hashes of ids.
 */
export function evaluate(query: Query, graph: InventoryGraph, now: Date, options: EvaluateOptions = {}): InventoryNode[] {
  const { deadline } = options;
  const context: EvaluationContext = { graph, now: now.getTime(), ...(deadline ? { deadline } : {}) };
  let candidates: ArrayLike<number> | undefined;
  let result: number[] = [];
  let sorted = false;
  for (const part of query.parts) {
    let term = part.term;
    if (!candidates) {
      // The first part need not look past the one kind its term can match (`is(access_key) and ...`),
      // and then need not test that kind on every node.
      const kind = onlyKind(term);
      if (kind !== undefined) {
        candidates = graph.ordinalsOfKind(kind);
        term = assumingKind(term, kind);
      }
    }
    result = select(candidates ?? graph.nodeOrdinals(), compileTerm(term, context), graph, deadline);
    sorted = false;
    if (part.sort || part.limit) {
      sortOrdinals(result, part.sort ?? [], context);
      sorted = true;
      if (part.limit) result = result.slice(part.limit.offset, part.limit.offset + part.limit.count);
    }
    if (part.navigation) candidates = traverse(result, part.navigation, graph, deadline);
  }
  if (!sorted && options.ordered !== false) sortOrdinals(result, [], context);
  const nodes: InventoryNode[] = new Array(result.length);
  for (let i = 0; i < result.length; i += 1) nodes[i] = graph.nodeAt(result[i] as number) as InventoryNode;
  return nodes;
}

/** The ordinals of the candidates that pass, in the candidates' order. */
function select(candidates: ArrayLike<number>, test: NodeTest, graph: InventoryGraph, deadline?: Deadline): number[] {
  const result: number[] = [];
  for (let i = 0; i < candidates.length; i += 1) {
    if (deadline) deadline.step();
    const ordinal = candidates[i] as number;
    if (test(graph.nodeAt(ordinal) as InventoryNode, ordinal)) result.push(ordinal);
  }
  return result;
}

/** The one kind a term can match, if there is one. */
function onlyKind(term: Term): Kind | undefined {
  const kinds = kindsOf(term);
  return kinds?.size === 1 ? [...kinds][0] : undefined;
}

/** The term as it tests nodes known to be of `kind`: `is(...)` is then always or never true. */
function assumingKind(term: Term, kind: Kind): Term {
  switch (term.type) {
    case 'is':
      return term.kinds.some((name) => kindIsA(kind, name)) ? ALL : NONE;
    case 'not': {
      const inner = assumingKind(term.term, kind);
      return inner === ALL ? NONE : inner === NONE ? ALL : { type: 'not', term: inner };
    }
    case 'and':
    case 'or': {
      const left = assumingKind(term.left, kind);
      const right = assumingKind(term.right, kind);
      const [absorbing, neutral] = term.type === 'and' ? [NONE, ALL] : [ALL, NONE];
      if (left === absorbing || right === absorbing) return absorbing;
      if (left === neutral) return right;
      if (right === neutral) return left;
      return { type: term.type, left, right };
    }
    default:
      return term;
  }
}

const ALL: Term = { type: 'all' };
const NONE: Term = { type: 'not', term: ALL };

/** The kinds a term can match at most; undefined when it can match any. */
function kindsOf(term: Term): Set<Kind> | undefined {
  switch (term.type) {
    case 'is':
      return concreteKinds(term.kinds);
    case 'and': {
      const left = kindsOf(term.left);
      const right = kindsOf(term.right);
      return left && right ? new Set([...left].filter((kind) => right.has(kind))) : left ?? right;
    }
    case 'or': {
      const left = kindsOf(term.left);
      const right = kindsOf(term.right);
      return left && right ? new Set([...left, ...right]) : undefined;
    }
    default:
      return undefined;
  }
}

function concreteKinds(names: readonly string[]): Set<Kind> {
  return new Set((Object.keys(KINDS) as Kind[]).filter((kind) => names.some((name) => kindIsA(kind, name))));
}

export function compileTerm(term: Term, context: EvaluationContext): NodeTest {
  switch (term.type) {
    case 'all':
      return () => true;
    case 'is': {
      // By ordinal the graph knows the kind without reading the node (a cache miss on a large graph).
      const { graph } = context;
      const kinds: ReadonlySet<string> = concreteKinds(term.kinds);
      if (kinds.size === 1) {
        const only = [...kinds][0];
        return (node, ordinal) => (ordinal === undefined ? node.kind : graph.kindAt(ordinal)) === only;
      }
      return (node, ordinal) => kinds.has((ordinal === undefined ? node.kind : graph.kindAt(ordinal)) as string);
    }
    case 'id': {
      const ids = new Set(term.ids);
      return (node) => ids.has(node.id);
    }
    case 'predicate':
      return predicateTest(term, context);
    case 'has_key': {
      const read = propertyReader(term.path, context);
      return (node, ordinal) => {
        const value = read(node, ordinal);
        return typeof value === 'object' && value !== null && !Array.isArray(value) && term.keys.every((key) => Object.prototype.hasOwnProperty.call(value, key));
      };
    }
    case 'fulltext': {
      const needle = term.text.toLowerCase();
      return (node) => containsText(node.reported, needle);
    }
    case 'not': {
      const inner = compileTerm(term.term, context);
      return (node, ordinal) => !inner(node, ordinal);
    }
    case 'and': {
      const left = compileTerm(term.left, context);
      const right = compileTerm(term.right, context);
      return (node, ordinal) => left(node, ordinal) && right(node, ordinal);
    }
    case 'or': {
      const left = compileTerm(term.left, context);
      const right = compileTerm(term.right, context);
      return (node, ordinal) => left(node, ordinal) || right(node, ordinal);
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
 * Nodes are ordinals; `reachedAt[o]` is the depth a node was last reached at (-1: a start node
 * of a both-ways walk), so one typed array serves as every level's set.
 */
export function traverse(start: readonly number[], navigation: Navigation, graph: InventoryGraph, deadline?: Deadline): number[] {
  const { direction, start: from, until } = navigation;
  // Out and in follow a tree (or DAG) and end at its leaves; the cap only guards a cyclic graph.
  const last = until ?? graph.size;
  const ways = direction === 'out' ? [graph.outbound()] : direction === 'in' ? [graph.inbound()] : [graph.outbound(), graph.inbound()];
  const once = direction === 'inout';
  const reachedAt = new Int32Array(graph.ordinalCount);
  if (once) for (const ordinal of start) reachedAt[ordinal] = -1;
  const levels: number[][] = from === 0 ? [start as number[]] : [];
  let frontier: readonly number[] = start;
  for (let depth = 1; frontier.length > 0 && depth <= last; depth += 1) {
    const next: number[] = [];
    for (const ordinal of frontier) {
      for (const { offsets, targets } of ways) {
        for (let i = offsets[ordinal] as number, end = offsets[ordinal + 1] as number; i < end; i += 1) {
          if (deadline) deadline.step();
          const target = targets[i] as number;
          const at = reachedAt[target] as number;
          if (once ? at !== 0 : at === depth) continue;
          reachedAt[target] = depth;
          if (graph.nodeAt(target) !== undefined) next.push(target);
        }
      }
    }
    if (depth >= from) levels.push(next);
    frontier = next;
  }
  if (levels.length <= 1) return levels[0] ?? [];
  // Several depths: a node may be reached at more than one of them.
  const seen = new Uint8Array(graph.ordinalCount);
  const reached: number[] = [];
  for (const level of levels) {
    for (const ordinal of level) {
      if (seen[ordinal] === 1) continue;
      seen[ordinal] = 1;
      reached.push(ordinal);
    }
  }
  return reached;
}
