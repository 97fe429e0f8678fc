import type { InventoryGraph } from '../inventory/graph';
import { accountResolver, flagForCleanup, INTERACTIVE_FLAGGER, protect, unflag, unprotect } from '../inventory/flags';
import type { InventoryNode } from '../inventory/model';
import type { NodeUpdate } from '../inventory/store';
import { Query, TRAVERSAL_COMMANDS, TraversalCommand } from './ast';
import { aggregate, count, dump, list } from './commands';
import type { Deadline } from './deadline';
import { compileTerm, nodesAt, PartTrace, select, Walker } from './evaluate';
import { sortOrdinals } from './order';
import type { ExplainOutput, SearchOutput } from './output';
import { parse } from './parser';
import { format, formatCommand, formatNavigation, formatPart } from './print';
import type { EvaluationContext } from './properties';
import type { OwnerSettings } from '../owners/owner';

export interface SearchOptions {
  graph: InventoryGraph;
  /** The instant ages are measured from (`search --now`); never stored. */
  now: Date;
  /**
   * When the changes are made, stored as `flagged_at`: the real time, whatever `now` says, so a
   * search with `--now` cannot write an invented time into the record. Defaults to the clock.
   */
  recordedAt?: Date;
  /** Recorded as `metadata.flagged_by` by `clean`: the job id, or `cli` (SPEC section 2). */
  flaggedBy?: string;
  /** The reason `clean` records when the command gives none. */
  reason?: string;
  /** Stops the search with a SearchTimeoutError once past it: a job's `--timeout`. */
  deadline?: Deadline;
  /** Recorded as `metadata.protected_by` by `protect`: the caller's ARN at the CLI; else `flaggedBy`. */
  protectedBy?: string;
  /** fix.worker's notify settings, for the `owner` property. */
  owners?: OwnerSettings;
}

export interface SearchResult {
  query: Query;
  output: SearchOutput;
  /** What `clean`, `unclean`, `protect`, `unprotect` change: the caller writes them with InventoryStore.updateNodes. */
  updates: NodeUpdate[];
  /** Which command changed which nodes, in order, for the audit's change records. */
  changes: FlagChange[];
  /** Nodes the query selected, before head/tail. */
  matched: number;
  /** Nodes newly flagged for cleanup by `clean` (already flagged ones are not counted). */
  flagged: number;
}

/** One changing command of a search and the nodes it changed (those already in the wanted state are left out). */
export interface FlagChange {
  command: 'clean' | 'unclean' | 'protect' | 'unprotect';
  reason?: string;
  nodes: { id: string; accountId: string }[];
}

/**
 * Runs a search and its commands over a graph: the one entry point for the CLI, jobs and the
 * plan Lambda. Pure: nothing is written, the graph is not changed; mutations come back as updates.
 */
export function executeSearch(search: string | Query, options: SearchOptions): SearchResult {
  const query = typeof search === 'string' ? parse(search) : search;
  const { graph, deadline } = options;
  const context: EvaluationContext = { graph, now: options.now.getTime(), ...(deadline ? { deadline } : {}), ...(options.owners ? { owners: options.owners } : {}) };
  let { ordinals, sorted } = select(query, context);
  const matched = ordinals.length;
  /** Head, tail, limit and what prints rows need the result in order; count and clean do not. */
  const inOrder = (): number[] => {
    if (!sorted) sortOrdinals(ordinals, [], context);
    sorted = true;
    return ordinals;
  };
  const pending = new PendingUpdates();
  const changes: FlagChange[] = [];
  const recordChange = (command: FlagChange['command'], updates: readonly NodeUpdate[], reason?: string) => {
    if (updates.length === 0) return;
    changes.push({ command, ...(reason === undefined ? {} : { reason }), nodes: updates.map(({ id, accountId }) => ({ id, accountId })) });
  };
  const recordedAt = (options.recordedAt ?? new Date()).toISOString();
  let output: SearchOutput | undefined;
  let flagged = 0;
  const accountOf = accountResolver(graph);
  let walker: Walker | undefined;

  for (const command of query.commands) {
    deadline?.check();
    output = undefined;
    switch (command.name) {
      case 'head':
        ordinals = inOrder().slice(0, command.count);
        break;
      case 'tail':
        ordinals = command.count === 0 ? [] : inOrder().slice(-command.count);
        break;
      case 'sort':
        ordinals = sortOrdinals(ordinals, command.keys, context);
        sorted = true;
        break;
      case 'limit':
        ordinals = inOrder().slice(command.limit.offset, command.limit.offset + command.limit.count);
        break;
      case 'ancestors':
      case 'descendants':
      case 'predecessors':
      case 'successors':
        walker ??= new Walker(graph, deadline);
        ordinals = traverseCommand(command, ordinals, walker, context);
        sorted = false;
        break;
      case 'clean': {
        const reason = command.reason ?? options.reason;
        const nodes = nodesAt(graph, ordinals);
        const updates = flagForCleanup(pending.appliedTo(nodes), {
          flaggedBy: options.flaggedBy ?? INTERACTIVE_FLAGGER,
          at: recordedAt,
          accountOf,
          ...(reason === undefined ? {} : { reason }),
        });
        pending.record(updates);
        recordChange('clean', updates, reason);
        flagged += updates.length;
        output = { type: 'clean', matched: nodes.length, flagged: updates.length, already_flagged: nodes.length - updates.length };
        break;
      }
      case 'unclean': {
        const nodes = nodesAt(graph, ordinals);
        const updates = unflag(pending.appliedTo(nodes), { accountOf });
        pending.record(updates);
        recordChange('unclean', updates, command.reason);
        output = { type: 'unclean', matched: nodes.length, unflagged: updates.length, not_flagged: nodes.length - updates.length };
        break;
      }
      case 'protect': {
        const nodes = nodesAt(graph, ordinals);
        const updates = protect(pending.appliedTo(nodes), {
          accountOf,
          at: recordedAt,
          by: options.protectedBy ?? options.flaggedBy ?? INTERACTIVE_FLAGGER,
          ...(command.until === undefined ? {} : { until: command.until }),
          ...(command.reason === undefined ? {} : { reason: command.reason }),
        });
        pending.record(updates);
        const terms = [command.reason, command.until === undefined ? undefined : `until ${command.until}`].filter((text) => text !== undefined);
        recordChange('protect', updates, terms.length === 0 ? undefined : terms.join('; '));
        output = { type: command.name, matched: nodes.length, changed: updates.length };
        break;
      }
      case 'unprotect': {
        const nodes = nodesAt(graph, ordinals);
        const updates = unprotect(pending.appliedTo(nodes), { accountOf });
        pending.record(updates);
        recordChange(command.name, updates);
        output = { type: command.name, matched: nodes.length, changed: updates.length };
        break;
      }
      case 'count':
        output = count(nodesAt(graph, ordinals), command.path, context);
        break;
      case 'list':
        output = list(nodesAt(graph, inOrder()), command.columns, command.format, context);
        break;
      case 'dump':
        output = dump(nodesAt(graph, inOrder()), context);
        break;
      case 'aggregate':
        output = aggregate(ordinals, command, context);
        break;
    }
  }
  deadline?.check();
  return { query, output: output ?? list(nodesAt(graph, inOrder()), [], 'table', context), updates: pending.values(), changes, matched, flagged };
}

/** True when a query reads the synthetic `owner` (whose settings live in fix.worker), anywhere in it. */
export function readsOwner(query: Query): boolean {
  // Every path in the AST is {type: 'property', section, keys}; `owner` is the one-key reported path.
  return JSON.stringify(query).includes('"section":"reported","keys":["owner"]');
}

/**
 * `search --explain`: the query as cloudsweep read it (canonical form), and per part the nodes it
 * scanned (which kinds, how many), how many it matched and what its traversal reached. The
 * query is evaluated; its commands are not run, so nothing is flagged or written.
 */
export function explainSearch(search: string | Query, options: Pick<SearchOptions, 'graph' | 'now' | 'deadline'>): ExplainOutput {
  const query = typeof search === 'string' ? parse(search) : search;
  const { graph, deadline } = options;
  const context: EvaluationContext = { graph, now: options.now.getTime(), ...(deadline ? { deadline } : {}) };
  const trace: PartTrace[] = [];
  select(query, context, trace);
  return {
    type: 'explain',
    query: format(query),
    parts: query.parts.map(({ navigation, ...part }, i) => {
      const step = trace[i] as PartTrace;
      return {
        term: formatPart(part),
        scanned: step.scanned,
        kinds: step.kinds,
        candidates: step.candidates,
        matched: step.matched,
        ...(navigation ? { traversal: formatNavigation(navigation), reached: step.reached ?? 0 } : {}),
      };
    }),
    commands: query.commands.map(formatCommand),
  };
}

/** `| predecessors`, `| ancestors --with-origin user`: the distinct nodes reached, of the kind if one is given. */
function traverseCommand(command: TraversalCommand, ordinals: readonly number[], walker: Walker, context: EvaluationContext): number[] {
  const reached = walker.walk(ordinals, { ...TRAVERSAL_COMMANDS[command.name], start: command.withOrigin ? 0 : 1 });
  if (command.kind === undefined) return reached;
  const isKind = compileTerm({ type: 'is', kinds: [command.kind] }, context);
  return reached.filter((ordinal) => isKind(context.graph.nodeAt(ordinal) as InventoryNode, ordinal));
}

/**
 * What this search's commands change, merged per node, so `clean | protect` composes. Most
 * searches change nodes once (`| clean`): their updates stay a list, indexed by id only when a
 * second command changes nodes.
 */
class PendingUpdates {
  private list: readonly NodeUpdate[] = [];
  private byId: Map<string, NodeUpdate> | undefined;

  record(updates: readonly NodeUpdate[]): void {
    if (!this.byId && this.list.length === 0) {
      this.list = updates;
      return;
    }
    const byId = this.index();
    for (const update of updates) {
      const earlier = byId.get(update.id);
      byId.set(update.id, earlier ? { ...earlier, ...update } : update);
    }
  }

  /** Nodes as earlier commands of this search left them. */
  appliedTo(nodes: readonly InventoryNode[]): InventoryNode[] {
    if (!this.byId && this.list.length === 0) return nodes as InventoryNode[];
    const byId = this.index();
    return nodes.map((node) => {
      const update = byId.get(node.id);
      return update ? { ...node, metadata: update.metadata ?? node.metadata, desired: update.desired ?? node.desired } : node;
    });
  }

  values(): NodeUpdate[] {
    return this.byId ? [...this.byId.values()] : [...this.list];
  }

  private index(): Map<string, NodeUpdate> {
    this.byId ??= new Map(this.list.map((update) => [update.id, update]));
    return this.byId;
  }
}
