import type { InventoryGraph } from '../inventory/graph';
import type { InventoryNode } from '../inventory/model';
import type { SortKey } from './ast';
import { compareValues } from './compare';
import { EvaluationContext, propertyReader } from './properties';

/**
 * Sorts nodes, given by their ordinals in the graph, in place by the keys, then by the default
 * order kind, name, id (so every result is deterministic). Missing values sort last in both
 * directions. Keys are read once per node.
 */
export function sortOrdinals(ordinals: number[], keys: readonly SortKey[], context: EvaluationContext): number[] {
  const readers = keys.map((key) => propertyReader(key.path, context));
  const signs = keys.map((key) => (key.order === 'desc' ? -1 : 1));
  const { deadline } = context;
  const decorated = ordinals.map((ordinal) => {
    if (deadline) deadline.step();
    const node = nodeAt(context.graph, ordinal);
    return { ordinal, node, keys: readers.map((read) => sortable(read(node, ordinal))), name: nameOf(node) };
  });
  decorated.sort((a, b) => {
    for (let i = 0; i < readers.length; i += 1) {
      const order = compareForSort(a.keys[i], b.keys[i], signs[i] as number);
      if (order !== 0) return order;
    }
    return compareText(a.node.kind, b.node.kind) || compareText(a.name, b.name) || compareText(a.node.id, b.node.id);
  });
  for (let i = 0; i < decorated.length; i += 1) ordinals[i] = (decorated[i] as { ordinal: number }).ordinal;
  return ordinals;
}

function nodeAt(graph: InventoryGraph, ordinal: number): InventoryNode {
  return graph.nodeAt(ordinal) as InventoryNode;
}

function nameOf(node: InventoryNode): string {
  const name = node.reported.name;
  return typeof name === 'string' ? name : name === undefined || name === null ? '' : scalarText(name);
}

/** A value as sort text: scalars as String() writes them, anything else as its JSON. */
function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? typeof value;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * An object or list value (`tags`, `access_key_last_used`, a whole section) as it sorts: its JSON
 * text with the keys in alphabetical order, so equal objects are equal whatever their key order.
 */
class Structured {
  constructor(readonly text: string) {}
}

function sortable(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? new Structured(canonicalJson(value)) : value;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => compareText(a, b));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Missing values last; scalars by value (mixed types by type name); objects and lists after scalars, by their JSON. */
function compareForSort(a: unknown, b: unknown, sign: number): number {
  const aMissing = a === undefined || a === null;
  const bMissing = b === undefined || b === null;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  const aStructured = a instanceof Structured;
  const bStructured = b instanceof Structured;
  let order: number;
  if (aStructured && bStructured) order = compareText(a.text, b.text);
  else if (aStructured || bStructured) order = aStructured ? 1 : -1;
  else order = compareValues(a, b) ?? compareText(typeof a + scalarText(a), typeof b + scalarText(b));
  return Math.sign(order) * sign;
}
