import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ValidationError } from '../errors';
import { Edge, InventoryNode, isKind } from './model';

/** What one collect of one account reported: its nodes (reported data only) and edges. */
export interface AccountSnapshot {
  accountId: string;
  collectedAt: string;
  nodes: InventoryNode[];
  edges: Edge[];
}

/** Where collect puts an account's snapshot; the DynamoDB store implements it. */
export interface AccountSnapshotStore {
  replaceAccount(snapshot: AccountSnapshot): Promise<ReplaceOutcome>;
  /**
   * Starts replacing an account's snapshot: reads what is stored for it now, so a caller can do
   * that while it is still collecting and only the writes remain once the new snapshot is known.
   */
  beginReplace(accountId: string): Promise<PendingReplace>;
}

export interface PendingReplace {
  commit(snapshot: AccountSnapshot): Promise<ReplaceOutcome>;
}

export interface ReplaceOutcome {
  /** False when the reported data was identical to the stored snapshot's. */
  changed: boolean;
  /** DynamoDB write requests spent (PutItem, UpdateItem, DeleteItem, BatchWriteItem). */
  writeRequests: number;
  /** Flags (metadata/desired) dropped because their node vanished. */
  droppedFlags: number;
}

export interface EncodedSnapshot {
  /** SHA-256 of the canonical JSON: equal hashes mean nothing reported changed. */
  hash: string;
  /** The canonical JSON, gzip'd on first use: an unchanged snapshot is never compressed. */
  readonly data: Buffer;
  nodeIds: Set<string>;
}

type StoredNode = [id: string, kind: string, reported: Record<string, unknown>];
interface StoredSnapshot {
  v: 1;
  nodes: StoredNode[];
  edges: Array<[string, string]>;
}

/** Canonical form: nodes and edges sorted, so the same inventory always hashes the same. */
export function encodeAccountSnapshot(snapshot: AccountSnapshot): EncodedSnapshot {
  const nodes = [...snapshot.nodes].sort((a, b) => compare(a.id, b.id));
  const stored: StoredSnapshot = {
    v: 1,
    nodes: nodes.map((node) => [node.id, node.kind, node.reported]),
    edges: snapshot.edges.map((edge): [string, string] => [edge.from, edge.to]).sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1])),
  };
  const json = JSON.stringify(stored);
  let data: Buffer | undefined;
  return {
    hash: createHash('sha256').update(json).digest('hex'),
    get data() {
      return (data ??= gzipSync(json));
    },
    nodeIds: new Set(nodes.map((node) => node.id)),
  };
}

/** The nodes (with empty metadata and desired) and edges of a stored snapshot. */
export function decodeAccountSnapshot(data: Uint8Array, where: string): { nodes: InventoryNode[]; edges: Edge[] } {
  let stored: StoredSnapshot;
  try {
    stored = JSON.parse(gunzipSync(data).toString('utf8')) as StoredSnapshot;
  } catch (error) {
    throw new ValidationError(`${where}: stored snapshot is unreadable: ${(error as Error).message}`);
  }
  if (stored.v !== 1 || !Array.isArray(stored.nodes) || !Array.isArray(stored.edges)) {
    throw new ValidationError(`${where}: stored snapshot has an unknown layout`);
  }
  const nodes = stored.nodes.map(([id, kind, reported]): InventoryNode => {
    if (!isKind(kind)) throw new ValidationError(`${where}: node ${id}: unknown kind ${kind}`);
    return { id, kind, reported, metadata: {}, desired: {} };
  });
  return { nodes, edges: stored.edges.map(([from, to]) => ({ from, to })) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
