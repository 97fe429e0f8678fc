import type { InventoryNode } from '../inventory/model';
import type { Column, Path } from './ast';
import { formatDuration } from './durations';
import { Cell, CountOutput, DumpedNode, DumpOutput, ListOutput, textCell } from './output';
import { formatPath, isDurationPath } from './paths';
import { ancestorFinder, EvaluationContext, propertyReader } from './properties';

/** `count [path]`: how many nodes have each value, fewest first; nodes without it are unmatched. */
export function count(nodes: readonly InventoryNode[], path: Path | undefined, context: EvaluationContext): CountOutput {
  if (!path) return { type: 'count', path: null, counts: [], total_matched: nodes.length, total_unmatched: 0 };
  const read = cellReader(path, context);
  const counts = new Map<string, number>();
  let unmatched = 0;
  for (const node of nodes) {
    const value = read(node);
    if (value === null) unmatched += 1;
    else {
      const key = textCell(value);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const sorted = [...counts].map(([value, n]) => ({ value, count: n }));
  sorted.sort((a, b) => a.count - b.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return { type: 'count', path: formatPath(path), counts: sorted, total_matched: nodes.length - unmatched, total_unmatched: unmatched };
}

export const DEFAULT_COLUMNS: readonly Column[] = [
  { path: { type: 'property', section: 'reported', keys: ['kind'] } },
  { path: { type: 'property', section: 'reported', keys: ['id'] } },
  { path: { type: 'property', section: 'reported', keys: ['name'] } },
  { path: { type: 'property', section: 'reported', keys: ['age'] } },
  { path: { type: 'property', section: 'reported', keys: ['last_access'] } },
  { path: { type: 'account' } },
];

/** `list [columns]`: one row per node; ages and last access as compact durations (`97d`). */
export function list(nodes: readonly InventoryNode[], columns: readonly Column[], format: ListOutput['format'], context: EvaluationContext): ListOutput {
  const chosen = columns.length > 0 ? columns : DEFAULT_COLUMNS;
  const readers = chosen.map((column) => cellReader(column.path, context));
  return {
    type: 'list',
    format,
    columns: columnNames(chosen),
    rows: nodes.map((node) => readers.map((read) => read(node))),
  };
}

/**
 * Headers as Fix Inventory names them: `as name`, else the path's last key, prefixed with the
 * ancestor's kind (`/ancestors.account.reported.id` is `account_id`); a repeated name gets `_1`,
 * `_2`, ... so no JSON key overwrites another and CSV headers are unique.
 */
export function columnNames(columns: readonly { path: Path; name?: string }[]): string[] {
  const taken = new Set<string>();
  return columns.map((column) => {
    const wanted = column.name ?? defaultName(column.path);
    let name = wanted;
    for (let n = 1; taken.has(name); n += 1) name = `${wanted}_${n}`;
    taken.add(name);
    return name;
  });
}

function defaultName(path: Path): string {
  if (path.type === 'account') return 'account';
  const last = path.keys[path.keys.length - 1] ?? path.section;
  return path.ancestor === undefined ? last : `${path.ancestor}_${last}`;
}

/** `dump`: whole nodes as stored, with the id and name of each ancestor. */
export function dump(nodes: readonly InventoryNode[], context: EvaluationContext): DumpOutput {
  const finders = { account: ancestorFinder('account', context.graph), user: ancestorFinder('user', context.graph) };
  return {
    type: 'dump',
    nodes: nodes.map((node): DumpedNode => {
      const ancestors: DumpedNode['ancestors'] = {};
      for (const [name, find] of Object.entries(finders)) {
        const ancestor = find(node);
        if (ancestor) ancestors[name] = { id: ancestor.id, name: ancestor.reported.name };
      }
      return { id: node.id, kind: node.kind, reported: node.reported, metadata: node.metadata, desired: node.desired, ancestors };
    }),
  };
}

/** Reads a path as something printable: null when missing, durations formatted. */
function cellReader(path: Path, context: EvaluationContext): (node: InventoryNode) => Cell {
  const read = propertyReader(path, context);
  const duration = isDurationPath(path);
  return (node) => {
    const value = read(node);
    if (value === undefined || value === null) return null;
    if (duration && typeof value === 'number') return formatDuration(value);
    return value as Cell;
  };
}
