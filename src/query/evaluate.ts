import type { Adjacency, InventoryGraph } from '../inventory/graph';
import { InventoryNode, kindIsA, KINDS, Kind } from '../inventory/model';
import type { CountOperator, Navigation, Query, Term, WithClause } from './ast';
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
 */
export function evaluate(query: Query, graph: InventoryGraph, now: Date, options: EvaluateOptions = {}): InventoryNode[] {
  const { deadline } = options;
  const context: EvaluationContext = { graph, now: now.getTime(), ...(deadline ? { deadline } : {}) };
  const selection = select(query, context);
  if (!selection.sorted && options.ordered !== false) sortOrdinals(selection.ordinals, [], context);
  return nodesAt(graph, selection.ordinals);
}

/** What a query selected, as ordinals in the graph, and whether they are in an order already. */
export interface Selection {
  ordinals: number[];
  sorted: boolean;
}

/** How one part of a query went: what it looked at and what it kept (for `--explain`). */
export interface PartTrace {
  /** The nodes the part tested: every node, the one kind its term names, or what the traversal before it reached. */
  scanned: 'all' | 'kind' | 'reached';
  /** The kinds of the nodes it tested, in the graph's order of kinds. */
  kinds: string[];
  candidates: number;
  matched: number;
  /** What its traversal reached, when it has one. */
  reached?: number;
}

/**
 * `evaluate` without making nodes: inside, nodes travel as their ordinals in the graph, and sets
 * are typed arrays, not hashes of ids. `trace` receives each part's figures.
 */
export function select(query: Query, context: EvaluationContext, trace?: PartTrace[]): Selection {
  const { graph, deadline } = context;
  let candidates: ArrayLike<number> | undefined;
  let result: number[] = [];
  let sorted = false;
  let walker: Walker | undefined;
  for (const part of query.parts) {
    let term = part.term;
    let kind: Kind | undefined;
    if (!candidates) {
      // The first part need not look past the one kind its term can match (`is(access_key) and ...`),
      // and then need not test that kind on every node.
      kind = onlyKind(term);
      if (kind !== undefined) {
        candidates = graph.ordinalsOfKind(kind);
        term = assumingKind(term, kind);
      }
    }
    const scanned = candidates ?? graph.nodeOrdinals();
    walker ??= part.with || part.navigation ? new Walker(graph, deadline) : undefined;
    result = keep(scanned, compilePart(term, part.with, context, walker), graph, deadline);
    const step: PartTrace | undefined = trace && { scanned: kind !== undefined ? 'kind' : candidates ? 'reached' : 'all', kinds: kindsAt(graph, scanned), candidates: scanned.length, matched: result.length };
    if (step) trace?.push(step);
    sorted = false;
    if (part.sort || part.limit) {
      sortOrdinals(result, part.sort ?? [], context);
      sorted = true;
      if (part.limit) result = result.slice(part.limit.offset, part.limit.offset + part.limit.count);
    }
    if (part.navigation) {
      candidates = (walker as Walker).walk(result, part.navigation);
      if (step) step.reached = candidates.length;
    }
  }
  return { ordinals: result, sorted };
}

function kindsAt(graph: InventoryGraph, ordinals: ArrayLike<number>): string[] {
  const kinds = new Set<string>();
  for (let i = 0; i < ordinals.length; i += 1) kinds.add(graph.kindAt(ordinals[i] as number) as string);
  return [...kinds];
}

export function nodesAt(graph: InventoryGraph, ordinals: readonly number[]): InventoryNode[] {
  const nodes = new Array<InventoryNode>(ordinals.length);
  for (let i = 0; i < ordinals.length; i += 1) nodes[i] = graph.nodeAt(ordinals[i] as number) as InventoryNode;
  return nodes;
}

/** The ordinals of the candidates that pass, in the candidates' order. */
function keep(candidates: ArrayLike<number>, test: NodeTest, graph: InventoryGraph, deadline?: Deadline): number[] {
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
export function kindsOf(term: Term): Set<Kind> | undefined {
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

export function concreteKinds(names: readonly string[]): Set<Kind> {
  return new Set((Object.keys(KINDS) as Kind[]).filter((kind) => names.some((name) => kindIsA(kind, name))));
}

/** A part's term, then its with clause: the walks are made only for the nodes the term keeps. */
function compilePart(term: Term, clause: WithClause | undefined, context: EvaluationContext, walker: Walker | undefined): NodeTest {
  const test = compileTerm(term, context);
  if (!clause) return test;
  const passes = withTest(clause, context, walker as Walker);
  return (node, ordinal = context.graph.ordinalOf(node.id)) => test(node, ordinal) && passes(ordinal);
}

/**
 * `with(count >= 2, --> is(access_key) and access_key_status = Active)`: from the node alone,
 * walks the traversal and counts the nodes reached that match the term and their own with
 * clause. One walker serves every node (and the nested clauses: each walk ends before the next).
 */
function withTest(clause: WithClause, context: EvaluationContext, walker: Walker): (ordinal: number) => boolean {
  const { graph } = context;
  const term = clause.term ? compileTerm(clause.term, context) : undefined;
  const inner = clause.with ? withTest(clause.with, context, walker) : undefined;
  const passes = countTest(clause.count.op, clause.count.value);
  const origin = [0];
  return (ordinal) => {
    origin[0] = ordinal;
    const reached = walker.walk(origin, clause.navigation);
    let count = 0;
    for (const other of reached) {
      if (term && !term(graph.nodeAt(other) as InventoryNode, other)) continue;
      if (inner && !inner(other)) continue;
      count += 1;
    }
    return passes(count);
  };
}

function countTest(op: CountOperator, value: number): (count: number) => boolean {
  switch (op) {
    case '=':
      return (count) => count === value;
    case '!=':
      return (count) => count !== value;
    case '>':
      return (count) => count > value;
    case '>=':
      return (count) => count >= value;
    case '<':
      return (count) => count < value;
    case '<=':
      return (count) => count <= value;
  }
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
 * once. A both-ways walk (`<-[0:2]->`) is an upward walk and a downward walk from the start set,
 * united, as Fix Inventory's engine joins them: it never turns round, so it cannot reach a
 * sibling through its parent.
 */
/** In Walker.reachedAt: reached at a depth in range, and walked on from there already. */
const IN_RANGE = -1;

export function traverse(start: readonly number[], navigation: Navigation, graph: InventoryGraph, deadline?: Deadline): number[] {
  return new Walker(graph, deadline).walk(start, navigation);
}

/**
 * Walks the graph from sets of nodes given by ordinal. Its typed arrays are made once and reset
 * after each walk, so walking from every node in turn (a with() clause) costs what it visits.
 */
export class Walker {
  /** The depth a node was reached at in the current level, so each level holds a node once. */
  private readonly reachedAt: Int32Array;
  /** 1 for the nodes already in the current walk's result. */
  private readonly inResult: Uint8Array;

  constructor(
    private readonly graph: InventoryGraph,
    /** Each edge followed is a step of the search's time limit. */
    private readonly deadline?: Deadline,
  ) {
    this.reachedAt = new Int32Array(graph.ordinalCount);
    this.inResult = new Uint8Array(graph.ordinalCount);
  }

  walk(start: readonly number[], navigation: Navigation): number[] {
    const { direction, start: from, until } = navigation;
    // Out and in follow a tree (or DAG) and end at its leaves; the cap only guards a cyclic graph.
    const last = until ?? this.graph.size;
    const result: number[] = [];
    if (start.length === 1 && from === 1 && last === 1 && direction !== 'inout') {
      // One node's neighbours (a with() clause's usual walk): no levels to keep apart.
      this.neighbours(start[0] as number, direction === 'out' ? this.graph.outbound() : this.graph.inbound(), result);
    } else {
      if (direction !== 'in') this.collect(start, this.graph.outbound(), from, last, result);
      if (direction !== 'out') this.collect(start, this.graph.inbound(), from, last, result);
    }
    for (const ordinal of result) this.inResult[ordinal] = 0;
    return result;
  }

  private neighbours(ordinal: number, { offsets, targets }: Adjacency, result: number[]): void {
    const { inResult, graph, deadline } = this;
    for (let i = offsets[ordinal] as number, end = offsets[ordinal + 1] as number; i < end; i += 1) {
      if (deadline) deadline.step();
      const target = targets[i] as number;
      if (inResult[target] === 1 || graph.nodeAt(target) === undefined) continue;
      inResult[target] = 1;
      result.push(target);
    }
  }

  /** Adds to `result` the nodes reached one way at depths from..last, level by level. */
  private collect(start: readonly number[], { offsets, targets }: Adjacency, from: number, last: number, result: number[]): void {
    const { reachedAt, graph, deadline } = this;
    const touched: number[] = [];
    if (from === 0) {
      this.add(start, result);
      for (const ordinal of start) reachedAt[ordinal] = IN_RANGE;
      touched.push(...start);
    }
    let frontier: readonly number[] = start;
    for (let depth = 1; frontier.length > 0 && depth <= last; depth += 1) {
      const next: number[] = [];
      for (const ordinal of frontier) {
        for (let i = offsets[ordinal] as number, end = offsets[ordinal + 1] as number; i < end; i += 1) {
          if (deadline) deadline.step();
          const target = targets[i] as number;
          const at = reachedAt[target] as number;
          // Below `from` a node may be reached again at each depth (a DAG's longer path can end in
          // range); once reached in range it is walked on once, never again: a cycle costs one round.
          if (at === depth || at === IN_RANGE) continue;
          reachedAt[target] = depth >= from ? IN_RANGE : depth;
          touched.push(target);
          if (graph.nodeAt(target) !== undefined) next.push(target);
        }
      }
      if (depth >= from) this.add(next, result);
      frontier = next;
    }
    for (const ordinal of touched) reachedAt[ordinal] = 0;
  }

  private add(ordinals: readonly number[], result: number[]): void {
    for (const ordinal of ordinals) {
      if (this.inResult[ordinal] === 1) continue;
      this.inResult[ordinal] = 1;
      result.push(ordinal);
    }
  }
}
