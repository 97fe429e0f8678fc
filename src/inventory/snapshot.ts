import { readFile, writeFile } from 'node:fs/promises';
import { ValidationError } from '../errors';
import { InventoryGraph } from './graph';
import { Edge, InventoryNode, isKind, KINDS } from './model';

/** The snapshot file, version 1 (SPEC section 10). */
export const SNAPSHOT_FORMAT = 'cloudsweep.snapshot';
export const SNAPSHOT_VERSION = 1;

export interface SnapshotFile {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  collected_at: string;
  nodes: InventoryNode[];
  edges: Edge[];
}

export interface Snapshot {
  collectedAt: string;
  graph: InventoryGraph;
}

export async function readSnapshotFile(path: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ValidationError(`cannot read snapshot ${path}: ${(error as Error).message}`);
  }
  return parseSnapshot(text, path);
}

export function parseSnapshot(text: string, source = 'snapshot'): Snapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  const file = validateSnapshot(data, source);
  return { collectedAt: file.collected_at, graph: new InventoryGraph(file.nodes, file.edges) };
}

export function toSnapshotFile(graph: InventoryGraph, collectedAt: string): SnapshotFile {
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    collected_at: collectedAt,
    nodes: [...graph.nodes()],
    edges: graph.edges(),
  };
}

export async function writeSnapshotFile(path: string, graph: InventoryGraph, collectedAt: string): Promise<void> {
  await writeFile(path, JSON.stringify(toSnapshotFile(graph, collectedAt)) + '\n');
}

function validateSnapshot(data: unknown, source: string): SnapshotFile {
  const fail = (where: string, problem: string): never => {
    throw new ValidationError(`${source}: ${where}: ${problem}`);
  };
  if (!isObject(data)) return fail('top level', 'expected a JSON object');
  if (data.format !== SNAPSHOT_FORMAT) fail('format', `expected "${SNAPSHOT_FORMAT}", got ${JSON.stringify(data.format)}`);
  if (data.version !== SNAPSHOT_VERSION) fail('version', `expected ${SNAPSHOT_VERSION}, got ${JSON.stringify(data.version)}`);
  if (typeof data.collected_at !== 'string' || Number.isNaN(Date.parse(data.collected_at))) {
    fail('collected_at', 'expected an ISO 8601 date-time');
  }
  if (!Array.isArray(data.nodes)) return fail('nodes', 'expected an array');
  if (!Array.isArray(data.edges)) return fail('edges', 'expected an array');

  const ids = new Set<string>();
  data.nodes.forEach((node: unknown, i: number) => {
    const at = `nodes[${i}]`;
    if (!isObject(node)) return fail(at, 'expected an object');
    if (typeof node.id !== 'string' || node.id === '') fail(`${at}.id`, 'expected a non-empty string');
    if (typeof node.kind !== 'string' || !isKind(node.kind)) {
      fail(`${at}.kind`, `unknown kind ${JSON.stringify(node.kind)} (kinds: ${Object.keys(KINDS).join(', ')})`);
    }
    if (!isObject(node.reported)) fail(`${at}.reported`, 'expected an object');
    if (node.metadata === undefined) node.metadata = {};
    else if (!isObject(node.metadata)) fail(`${at}.metadata`, 'expected an object');
    if (node.desired === undefined) node.desired = {};
    else if (!isObject(node.desired)) fail(`${at}.desired`, 'expected an object');
    if (ids.has(node.id as string)) fail(`${at}.id`, `duplicate id ${JSON.stringify(node.id)}`);
    ids.add(node.id as string);
    return undefined;
  });
  data.edges.forEach((edge: unknown, i: number) => {
    const at = `edges[${i}]`;
    if (!isObject(edge)) return fail(at, 'expected an object');
    for (const end of ['from', 'to'] as const) {
      const id = edge[end];
      if (typeof id !== 'string') fail(`${at}.${end}`, 'expected a node id');
      else if (!ids.has(id)) fail(`${at}.${end}`, `no node with id ${JSON.stringify(id)}`);
    }
    return undefined;
  });
  return data as unknown as SnapshotFile;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
