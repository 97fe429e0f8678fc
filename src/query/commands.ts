import type { InventoryNode } from '../inventory/model';
import type { AggregateCommand, AggregateFunction, Column, Path } from './ast';
import { compareValues } from './compare';
import { formatDuration } from './durations';
import { AggregateOutput, Cell, CountOutput, DumpedNode, DumpOutput, ListOutput, textCell } from './output';
import { formatPath, isDurationPath } from './paths';
import { ancestorFinder, EvaluationContext, PropertyReader, propertyReader } from './properties';

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

/**
 * The default columns when every row is an access key: its name is its id, so a `user` column
 * after it says whose key it is. SPEC 3's columns all stay, in their order, for scripts that read them.
 */
export const KEY_COLUMNS: readonly Column[] = DEFAULT_COLUMNS.flatMap((column) =>
  column.path.type === 'property' && column.path.keys[0] === 'name'
    ? [column, { path: { type: 'property', section: 'reported', keys: ['name'], ancestor: 'user' }, name: 'user' }]
    : [column],
);

/**
 * `list [columns]`: one row per node; ages and last access as compact durations (`97d`), with
 * their seconds kept for JSON.
 */
export function list(nodes: readonly InventoryNode[], columns: readonly Column[], format: ListOutput['format'], context: EvaluationContext): ListOutput {
  const onlyKeys = nodes.length > 0 && nodes.every((node) => node.kind === 'aws_iam_access_key');
  const chosen = columns.length > 0 ? columns : onlyKeys ? KEY_COLUMNS : DEFAULT_COLUMNS;
  const readers = chosen.map((column) => cellReader(column.path, context));
  const seconds = chosen.flatMap((column, index) => {
    if (!isDurationPath(column.path)) return [];
    const read = propertyReader(column.path, context);
    return [{ index, values: nodes.map((node) => {
      const value = read(node);
      return typeof value === 'number' ? Math.round(value / 1000) : null;
    }) }];
  });
  return {
    type: 'list',
    format,
    columns: columnNames(chosen),
    rows: nodes.map((node) => readers.map((read) => read(node))),
    ...(seconds.length > 0 ? { seconds } : {}),
  };
}

/**
 * Headers as Fix Inventory names them: `as name`, else the path's last key, prefixed with the
 * ancestor's kind (`/ancestors.account.reported.id` is `account_id`); a repeated name gets `_1`,
 * `_2`, ... so no JSON key overwrites another and CSV headers are unique.
 */
export function columnNames(columns: readonly { path: Path; name?: string }[]): string[] {
  return uniqueNames(columns.map((column) => column.name ?? defaultName(column.path)));
}

function uniqueNames(wanted: readonly string[]): string[] {
  const taken = new Set<string>();
  return wanted.map((first) => {
    let name = first;
    for (let n = 1; taken.has(name); n += 1) name = `${first}_${n}`;
    taken.add(name);
    return name;
  });
}

function defaultName(path: Path): string {
  if (path.type === 'account') return 'account';
  const last = path.keys[path.keys.length - 1] ?? path.section;
  return path.ancestor === undefined ? last : `${path.ancestor}_${last}`;
}

/**
 * `aggregate group, ...: fn(path) as name, ...`: one row per distinct combination of the group
 * values (a missing value is a group of its own, null), rows in the order of their values.
 * `sum` and `avg` add numbers, `min` and `max` order numbers or strings (ISO times), `count`
 * counts the nodes that have the value; a number (`sum(1)`) counts for every node. Groups are
 * named as list columns are; a function without `as` is `<fn>_of_<path>` (`sum_of_1`).
 */
export function aggregate(ordinals: readonly number[], command: AggregateCommand, context: EvaluationContext): AggregateOutput {
  const { graph } = context;
  const groupReaders = command.groups.map((group) => cellReader(group.path, context));
  const valueReaders = command.functions.map((f): PropertyReader => (typeof f.of === 'number' ? constant(f.of) : propertyReader(f.of, context)));
  // One map per group level, keyed by the value itself (objects by their JSON), the row under ROW
  // in the last: no key string made per node.
  const root = new Map<unknown, unknown>();
  const rows: AggregateRow[] = [];
  const group = new Array<Cell>(groupReaders.length);
  for (const ordinal of ordinals) {
    const node = graph.nodeAt(ordinal) as InventoryNode;
    let level = root;
    for (let g = 0; g < groupReaders.length; g += 1) {
      const cell = (groupReaders[g] as CellReader)(node, ordinal);
      group[g] = cell;
      const key = typeof cell === 'object' && cell !== null ? JSON.stringify(cell) : cell;
      let next = level.get(key) as Map<unknown, unknown> | undefined;
      if (!next) {
        next = new Map();
        level.set(key, next);
      }
      level = next;
    }
    let row = level.get(ROW) as AggregateRow | undefined;
    if (!row) {
      row = { group: [...group], accumulators: command.functions.map(() => ({ count: 0, sum: 0, numbers: 0, min: undefined, max: undefined })) };
      level.set(ROW, row);
      rows.push(row);
    }
    for (let i = 0; i < valueReaders.length; i += 1) accumulate(row.accumulators[i] as Accumulator, (valueReaders[i] as PropertyReader)(node, ordinal));
  }
  const sorted = rows.sort((a, b) => compareRows(a.group, b.group));
  const names = uniqueNames([...columnNames(command.groups), ...command.functions.map(functionName)]);
  return {
    type: 'aggregate',
    groups: names.slice(0, command.groups.length),
    functions: names.slice(command.groups.length),
    rows: sorted.map(({ group, accumulators }) => ({ group, values: command.functions.map((f, i) => result(f, accumulators[i] as Accumulator)) })),
  };
}

const ROW = Symbol('row');

interface AggregateRow {
  group: Cell[];
  accumulators: Accumulator[];
}

interface Accumulator {
  /** Nodes with a value. */
  count: number;
  sum: number;
  /** Nodes with a number. */
  numbers: number;
  min: unknown;
  max: unknown;
}

function accumulate(into: Accumulator, value: unknown): void {
  if (value === undefined || value === null) return;
  into.count += 1;
  if (typeof value === 'number') {
    into.sum += value;
    into.numbers += 1;
  }
  if (typeof value !== 'number' && typeof value !== 'string') return;
  if (into.min === undefined || (compareValues(value, into.min) ?? 0) < 0) into.min = value;
  if (into.max === undefined || (compareValues(value, into.max) ?? 0) > 0) into.max = value;
}

function result(f: AggregateFunction, from: Accumulator): Cell {
  const value = f.fn === 'count' ? from.count : f.fn === 'sum' ? from.sum : f.fn === 'avg' ? (from.numbers === 0 ? undefined : from.sum / from.numbers) : f.fn === 'min' ? from.min : from.max;
  if (value === undefined || value === null) return null;
  // Ages add up and average as ages: `max(last_access)` prints as `1yr35d`, as list does.
  if (f.fn !== 'count' && typeof f.of !== 'number' && isDurationPath(f.of) && typeof value === 'number') return formatDuration(value);
  return value as Cell;
}

function functionName(f: AggregateFunction): string {
  if (f.name !== undefined) return f.name;
  const { of: path } = f;
  const of = typeof path === 'number' ? String(path) : path.type === 'property' && path.section === 'reported' && path.ancestor === undefined ? path.keys.join('_') : formatPath(path);
  return `${f.fn}_of_${of}`.replace(/\W+/g, '_').replace(/_+$/, '');
}

function constant(value: number): PropertyReader {
  return () => value;
}

/** Group values in order, missing ones last, so the rows read the same on every run. */
function compareRows(a: readonly Cell[], b: readonly Cell[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
      continue;
    }
    const order = compareValues(x, y) ?? (textCell(x) < textCell(y) ? -1 : textCell(x) > textCell(y) ? 1 : 0);
    if (order !== 0) return order;
  }
  return 0;
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

type CellReader = (node: InventoryNode, ordinal?: number) => Cell;

/** Reads a path as something printable: null when missing, durations formatted. */
function cellReader(path: Path, context: EvaluationContext): CellReader {
  const read = propertyReader(path, context);
  const duration = isDurationPath(path);
  return (node, ordinal) => {
    const value = read(node, ordinal);
    if (value === undefined || value === null) return null;
    if (duration && typeof value === 'number') return formatDuration(value);
    return value as Cell;
  };
}
