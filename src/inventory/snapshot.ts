import { readFile, stat, writeFile } from 'node:fs/promises';
import * as z from 'zod/mini';
import { ValidationError } from '../errors';
import { got } from '../schema-errors';
import { InventoryGraph } from './graph';
import { Edge, InventoryNode, isKind, Kind, KINDS } from './model';
import { checkTree, reportedProblem } from './shape';

/** The snapshot file, version 1 (SPEC section 10). */
export const SNAPSHOT_FORMAT = 'cloudsweep.snapshot';
export const SNAPSHOT_VERSION = 1;

/**
 * The file's frame. Its nodes and edges are checked one by one while the graph is built
 * (loadSnapshot, src/inventory/shape.ts): a schema over 300,000 nodes measured 5 times slower than
 * that pass, which the search benchmark's load time was tuned on.
 */
const list = z.custom<unknown[]>((value) => Array.isArray(value), { error: 'expected an array' });
const SnapshotFrame = z.object(
  {
    format: z.literal(SNAPSHOT_FORMAT, { error: (issue) => `expected "${SNAPSHOT_FORMAT}", got ${got(issue.input)}` }),
    version: z.literal(SNAPSHOT_VERSION, { error: (issue) => `expected ${SNAPSHOT_VERSION}, got ${got(issue.input)}` }),
    collected_at: z.string({ error: 'expected an ISO 8601 date-time' }).check(z.refine((text) => !Number.isNaN(Date.parse(text)), { error: 'expected an ISO 8601 date-time' })),
    nodes: list,
    edges: list,
  },
  { error: 'expected a JSON object' },
);

export type SnapshotFile = Omit<z.infer<typeof SnapshotFrame>, 'nodes' | 'edges'> & { nodes: InventoryNode[]; edges: Edge[] };

export interface Snapshot {
  collectedAt: string;
  graph: InventoryGraph;
}

/** A larger file is refused before it is read: it would not fit in memory as a graph. */
export const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;

export async function readSnapshotFile(path: string): Promise<Snapshot> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_SNAPSHOT_BYTES) throw new ValidationError(`snapshot ${path} is ${Math.round(size / 1e6)} MB; at most ${MAX_SNAPSHOT_BYTES / 1024 / 1024} MB can be searched`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ValidationError) throw error;
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
  return loadSnapshot(data, source);
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

/**
 * Validates the file while building its graph: one pass over the nodes and one over the edges,
 * no copies, so that a 300,000-node snapshot costs little more than its JSON.parse.
 */
function loadSnapshot(data: unknown, source: string): Snapshot {
  const fail = (where: string, problem: string): never => {
    throw new ValidationError(`${source}: ${where}: ${problem}`);
  };
  const frame = SnapshotFrame.safeParse(data);
  if (!frame.success) {
    const [issue] = frame.error.issues;
    return fail(issue?.path.map(String).join('.') || 'top level', issue?.message ?? 'invalid');
  }
  const { nodes, edges, collected_at: collectedAt } = frame.data;

  const graph = new InventoryGraph();
  for (let i = 0; i < nodes.length; i += 1) {
    const node: unknown = nodes[i];
    if (!isObject(node)) return fail(`nodes[${i}]`, 'expected an object');
    if (typeof node.id !== 'string' || node.id === '') fail(`nodes[${i}].id`, 'expected a non-empty string');
    if (typeof node.kind !== 'string' || !isKind(node.kind)) {
      fail(`nodes[${i}].kind`, `unknown kind ${JSON.stringify(node.kind)} (kinds: ${Object.keys(KINDS).join(', ')})`);
    }
    if (!isObject(node.reported)) fail(`nodes[${i}].reported`, 'expected an object');
    const shape = reportedProblem(node.kind as Kind, node.reported as Record<string, unknown>);
    if (shape) fail(`nodes[${i}] (${node.id as string})`, shape);
    if (node.metadata === undefined) node.metadata = {};
    else if (!isObject(node.metadata)) fail(`nodes[${i}].metadata`, 'expected an object');
    if (node.desired === undefined) node.desired = {};
    else if (!isObject(node.desired)) fail(`nodes[${i}].desired`, 'expected an object');
    if (graph.node(node.id as string)) fail(`nodes[${i}].id`, `duplicate id ${JSON.stringify(node.id)}`);
    graph.addNode(node as unknown as InventoryNode);
  }
  for (let i = 0; i < edges.length; i += 1) {
    const edge: unknown = edges[i];
    if (!isObject(edge)) return fail(`edges[${i}]`, 'expected an object');
    const { from, to } = edge;
    if (typeof from !== 'string') fail(`edges[${i}].from`, 'expected a node id');
    // Every id here is a node's (checked above), so an ordinal is a node: one lookup per end.
    const source = graph.ordinalOf(from as string);
    if (source < 0) fail(`edges[${i}].from`, `no node with id ${JSON.stringify(from)}`);
    if (typeof to !== 'string') fail(`edges[${i}].to`, 'expected a node id');
    const target = graph.ordinalOf(to as string);
    if (target < 0) fail(`edges[${i}].to`, `no node with id ${JSON.stringify(to)}`);
    graph.addOrdinalEdge(source, target);
  }
  checkTree(graph, source);
  return { collectedAt, graph };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
