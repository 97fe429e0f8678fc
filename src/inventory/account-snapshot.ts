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
  /**
   * The nodes of the snapshot stored now (reported data only), read with the rest: collect keeps
   * the key ids of users whose keys the credential report shows unchanged. Undefined when none.
   */
  readonly previous?: InventoryNode[];
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

/** A stored piece of a snapshot: some of its nodes, and the edges that end at them. */
export interface SnapshotChunk {
  /** SHA-256 of the chunk's canonical JSON, shortened: the chunk's name, so equal chunks are stored once. */
  hash: string;
  readonly data: Buffer;
}

/** A node ends a chunk when its id hashes to 0 modulo this: about this many nodes per chunk. */
const CHUNK_NODES = 256;
/** ... and at this many nodes at the latest, so a chunk stays far below DynamoDB's 400 KB item. */
const MAX_CHUNK_NODES = 1_000;

/**
 * The snapshot in chunks whose boundaries depend on the node ids only (content-defined): a key
 * that appears or disappears changes the chunk it is in and no other, so re-storing an account
 * after one change writes one chunk, whatever the account's size.
 */
export function snapshotChunks(snapshot: AccountSnapshot): SnapshotChunk[] {
  const nodes = [...snapshot.nodes].sort((a, b) => compare(a.id, b.id));
  const edgesTo = new Map<string, Array<[string, string]>>();
  for (const edge of snapshot.edges) {
    const list = edgesTo.get(edge.to) ?? [];
    list.push([edge.from, edge.to]);
    edgesTo.set(edge.to, list);
  }
  const chunks: SnapshotChunk[] = [];
  let current: InventoryNode[] = [];
  const close = () => {
    if (current.length === 0) return;
    const stored: StoredSnapshot = {
      v: 1,
      nodes: current.map((node) => [node.id, node.kind, node.reported]),
      edges: current.flatMap((node) => (edgesTo.get(node.id) ?? []).sort((a, b) => compare(a[0], b[0]))),
    };
    const json = JSON.stringify(stored);
    let data: Buffer | undefined;
    chunks.push({
      hash: createHash('sha256').update(json).digest('hex').slice(0, 24),
      get data() {
        return (data ??= gzipSync(json));
      },
    });
    current = [];
  };
  for (const node of nodes) {
    current.push(node);
    if (createHash('sha1').update(node.id).digest().readUInt32BE(0) % CHUNK_NODES === 0 || current.length >= MAX_CHUNK_NODES) close();
  }
  close();
  // Every edge of a collect ends at one of its nodes, so each is stored once, with that node.
  return chunks;
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
