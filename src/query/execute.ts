import type { InventoryGraph } from '../inventory/graph';
import { accountResolver, flagForCleanup, protect, unprotect } from '../inventory/flags';
import type { InventoryNode } from '../inventory/model';
import type { NodeUpdate } from '../inventory/store';
import type { Command, Query } from './ast';
import { count, dump, list } from './commands';
import { evaluate } from './evaluate';
import type { SearchOutput } from './output';
import { parse } from './parser';
import type { EvaluationContext } from './properties';

export interface SearchOptions {
  graph: InventoryGraph;
  now: Date;
  /** Recorded as `metadata.flagged_by` by `clean`: the job id, or `search` from the CLI. */
  flaggedBy?: string;
  /** The reason `clean` records when the command gives none. */
  reason?: string;
}

export interface SearchResult {
  query: Query;
  output: SearchOutput;
  /** What `clean`, `protect`, `unprotect` change: the caller writes them with InventoryStore.updateNodes. */
  updates: NodeUpdate[];
  /** Nodes the query selected, before head/tail. */
  matched: number;
  /** Nodes newly flagged for cleanup by `clean` (already flagged ones are not counted). */
  flagged: number;
}

/**
 * Runs a search and its commands over a graph: the one entry point for the CLI, jobs and the
 * plan Lambda. Pure: nothing is written, the graph is not changed; mutations come back as updates.
 */
export function executeSearch(search: string | Query, options: SearchOptions): SearchResult {
  const query = typeof search === 'string' ? parse(search) : search;
  const context: EvaluationContext = { graph: options.graph, now: options.now.getTime() };
  let nodes = evaluate(query, options.graph, options.now, { ordered: needsOrder(query.commands) });
  const matched = nodes.length;
  const pending = new Map<string, NodeUpdate>();
  let output: SearchOutput | undefined;
  let flagged = 0;
  const accountOf = accountResolver(options.graph);

  for (const command of query.commands) {
    switch (command.name) {
      case 'head':
        nodes = nodes.slice(0, command.count);
        output = undefined;
        break;
      case 'tail':
        nodes = command.count === 0 ? [] : nodes.slice(-command.count);
        output = undefined;
        break;
      case 'clean': {
        const reason = command.reason ?? options.reason;
        const updates = flagForCleanup(withPending(nodes, pending), {
          flaggedBy: options.flaggedBy ?? 'search',
          at: options.now.toISOString(),
          accountOf,
          ...(reason === undefined ? {} : { reason }),
        });
        record(updates, pending);
        flagged += updates.length;
        output = { type: 'clean', matched: nodes.length, flagged: updates.length, already_flagged: nodes.length - updates.length };
        break;
      }
      case 'protect':
      case 'unprotect': {
        const change = command.name === 'protect' ? protect : unprotect;
        const updates = change(withPending(nodes, pending), { accountOf });
        record(updates, pending);
        output = { type: command.name, matched: nodes.length, changed: updates.length };
        break;
      }
      case 'count':
        output = count(nodes, command.path, context);
        break;
      case 'list':
        output = list(nodes, command.columns, command.format, context);
        break;
      case 'dump':
        output = dump(nodes, context);
        break;
    }
  }
  return { query, output: output ?? list(nodes, [], 'table', context), updates: [...pending.values()], matched, flagged };
}

function needsOrder(commands: readonly Command[]): boolean {
  const last = commands[commands.length - 1];
  return !last || commands.some((command) => ['head', 'tail', 'list', 'dump'].includes(command.name));
}

/** Nodes as earlier commands of this search left them, so `clean | protect` composes. */
function withPending(nodes: readonly InventoryNode[], pending: Map<string, NodeUpdate>): InventoryNode[] {
  if (pending.size === 0) return nodes as InventoryNode[];
  return nodes.map((node) => {
    const update = pending.get(node.id);
    return update ? { ...node, metadata: update.metadata ?? node.metadata, desired: update.desired ?? node.desired } : node;
  });
}

function record(updates: readonly NodeUpdate[], pending: Map<string, NodeUpdate>): void {
  for (const update of updates) pending.set(update.id, { ...pending.get(update.id), ...update });
}
