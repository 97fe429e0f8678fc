import { randomBytes } from 'node:crypto';
import { showDeactivation } from './cleaned';
import { DynamoDBDocumentClient, paginateQuery, paginateScan, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../aws/errors';
import type { AwsClients } from '../aws/clients';
import { RuntimeError, ValidationError } from '../errors';
import {
  AccountSnapshot,
  AccountSnapshotStore,
  decodeAccountSnapshot,
  encodeAccountSnapshot,
  PendingReplace,
  ReplaceOutcome,
  snapshotChunks,
} from './account-snapshot';
import { batchGetAll, batchWriteAll, WriteRequest } from './dynamo-batch';
import { InventoryGraph } from './graph';
import type { Desired, Edge, InventoryNode, Metadata } from './model';
import type { InventoryStore, LoadedInventory, NodeFlags, NodeRef, NodeUpdate } from './store';
import { checkTree, reportedProblem } from './shape';

/**
 * The inventory in one DynamoDB table (`pk`/`sk` strings), partitioned by account:
 *
 *   pk = account#<id>  sk = head                 generation, content hash, collected_at and the
 *                                                manifest's name: a small item whatever the account's size
 *                      sk = manifest#<hash>      the names of the snapshot's chunks, in order, named by
 *                                                the snapshot's content hash
 *                      sk = chunk#<hash>         a gzip'd piece of the snapshot, named by its content
 *                      sk = metadata#<node id>   a node's metadata  } written by clean, protect,
 *                      sk = desired#<node id>    a node's desired   } jobs and cleanup
 *
 * Readers see an account's snapshot through its head item only, and a new snapshot becomes visible
 * when the head is written, last and conditionally: a collect that fails halfway leaves the previous
 * snapshot whole. Flags live beside the snapshot, so re-collects keep them and `clean` writes nothing
 * but flags. DynamoDB bills a write on the whole item, so what changes every collect (collected_at)
 * sits in the small head and what grows with the account (the chunks' names) beside it: a collect
 * that finds the same content hash updates the head, one write unit. Chunk boundaries depend on node
 * ids only (snapshotChunks), so a key deleted or added rewrites the one chunk it is in. Heads written
 * before this layout (the snapshot inline, in `snap#<gen>#<n>` chunks, or the chunks' names in the
 * head) are still read, and replaced by the next collect that changes something.
 */
export interface DynamoInventoryStore extends InventoryStore, AccountSnapshotStore {}

export interface DynamoStoreOptions {
  sleep?: (ms: number) => Promise<void>;
  /**
   * Whether loadGraph's scan reads consistently (the default). An eventually consistent scan costs
   * half the read units; the workflow's functions use it, since cleanup re-reads each key's flags
   * consistently and asks IAM just before every write, so a scan a moment behind only defers a key
   * to the next run. The CLI keeps it consistent: a search right after `clean` shows the flag.
   */
  consistentScans?: boolean;
}

export function createInventoryStore(aws: AwsClients, tableName: string, options: DynamoStoreOptions = {}): DynamoInventoryStore {
  return new DynamoStore(aws.documents, tableName, options);
}

const HEAD = 'head';
const CHUNK = 'chunk#';
const MANIFEST = 'manifest#';
const FLAG_SECTIONS = ['metadata', 'desired'] as const;
type FlagSection = (typeof FLAG_SECTIONS)[number];
const LOAD_ATTEMPTS = 3;

interface Head {
  generation: string;
  previousGeneration?: string;
  hash: string;
  collectedAt: string;
  /** The sort key of the manifest item that names the snapshot's chunks. */
  manifest?: string;
  /** The snapshot's chunks (`chunk#<hash>`), in order: from the manifest, or (the layout before) from the head. */
  chunkHashes?: string[];
  /** Earlier layouts: the snapshot inline, or in `chunkCount` items `snap#<generation>#<n>`. */
  snapshot?: Uint8Array;
  chunkCount?: number;
}

/** The keys of what is stored for one account, and its head without the snapshot bytes. */
interface AccountIndex {
  head?: Head;
  flagKeys: Array<{ sk: string; nodeId: string }>;
  /** Chunk items: content-addressed (`chunk#<hash>`, generation undefined) or of an earlier layout's generation. */
  chunkKeys: Array<{ sk: string; hash?: string; generation?: string }>;
  /** Sort keys of the manifest items. */
  manifestKeys: string[];
}

/** Everything stored for one account, as read from the table. */
interface AccountItems {
  head?: Head;
  /** Content-addressed chunks by hash. */
  pieces: Map<string, Uint8Array>;
  /** Manifests' chunk names by the manifest's sort key. */
  manifests: Map<string, string[]>;
  /** Earlier layout's chunks by generation and number. */
  chunks: Map<string, Map<number, Uint8Array>>;
  flags: Map<string, { metadata?: Metadata; desired?: Desired }>;
}

class DynamoStore implements DynamoInventoryStore {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly consistentScans: boolean;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
    options: DynamoStoreOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.consistentScans = options.consistentScans ?? true;
  }

  async loadGraph(): Promise<LoadedInventory> {
    const accounts = groupByAccount(await this.readItems({}));
    const nodes: InventoryNode[] = [];
    const edges: Edge[] = [];
    let oldest: string | undefined;
    for (const [accountId, items] of accounts) {
      const snapshot = await this.snapshotOf(accountId, items);
      if (!snapshot) continue;
      for (const node of snapshot.nodes) {
        const shape = reportedProblem(node.kind, node.reported);
        if (shape) throw new ValidationError(`stored inventory of account ${accountId}: node ${node.id}: ${shape}`);
        const flags = snapshot.flags.get(node.id);
        if (flags?.metadata) node.metadata = flags.metadata;
        if (flags?.desired) node.desired = flags.desired;
        showDeactivation(node, snapshot.collectedAt);
        nodes.push(node);
      }
      edges.push(...snapshot.edges);
      if (oldest === undefined || snapshot.collectedAt < oldest) oldest = snapshot.collectedAt;
    }
    const graph = new InventoryGraph(nodes, edges);
    checkTree(graph, 'stored inventory');
    return { graph, ...(oldest ? { collectedAt: oldest } : {}) };
  }

  async updateNodes(updates: readonly NodeUpdate[]): Promise<void> {
    updates.forEach(validateUpdate);
    const bySortKey = new Map<string, WriteRequest>();
    for (const update of updates) {
      for (const section of FLAG_SECTIONS) {
        const value = update[section];
        if (value === undefined) continue;
        const key = { pk: accountKey(update.accountId), sk: flagKey(section, update.id) };
        // An emptied section is deleted rather than stored as {}: the table holds only live flags.
        const request: WriteRequest =
          Object.keys(value).length === 0 ? { DeleteRequest: { Key: key } } : { PutRequest: { Item: { ...key, flag: value } } };
        bySortKey.set(`${key.pk}\u0000${key.sk}`, request); // one write per item and batch: the last update wins
      }
    }
    await batchWriteAll(this.documents, this.table, [...bySortKey.values()], { sleep: this.sleep });
  }

  async readFlags(nodes: readonly NodeRef[]): Promise<Map<string, NodeFlags>> {
    const keys = nodes.flatMap(({ id, accountId }) => FLAG_SECTIONS.map((section) => ({ pk: accountKey(accountId), sk: flagKey(section, id) })));
    const items = await batchGetAll(this.documents, this.table, keys, { sleep: this.sleep });
    const flags = new Map<string, NodeFlags>(nodes.map(({ id }) => [id, {}]));
    for (const item of items) {
      const flag = parseFlagKey(String(item.sk));
      const entry = flag && flags.get(flag.nodeId);
      if (entry && typeof item.flag === 'object' && item.flag !== null) entry[flag.section] = item.flag as Record<string, unknown>;
    }
    return flags;
  }

  async replaceAccount(snapshot: AccountSnapshot): Promise<ReplaceOutcome> {
    return (await this.beginReplace(snapshot.accountId)).commit(snapshot);
  }

  async beginReplace(accountId: string): Promise<PendingReplace> {
    const { index: current, items } = await this.readIndex(accountId);
    // An unreadable stored snapshot only means collect lists every user's keys, as on a first collect.
    const previous = current.head ? (await this.snapshotOf(accountId, items).catch(() => undefined))?.nodes : undefined;
    return {
      ...(previous ? { previous } : {}),
      commit: async (snapshot) => {
        if (snapshot.accountId !== accountId) {
          throw new ValidationError(`snapshot of account ${snapshot.accountId} committed to a replacement of account ${accountId}`);
        }
        return this.commit(snapshot, current);
      },
    };
  }

  private async commit(snapshot: AccountSnapshot, current: AccountIndex): Promise<ReplaceOutcome> {
    const encoded = encodeAccountSnapshot(snapshot);
    const pk = accountKey(snapshot.accountId);
    let writeRequests = 0;
    const changed = current.head?.hash !== encoded.hash;
    // Chunks either head names stay: the previous head's, one round, for readers that saw it mid-scan.
    const live = new Set(current.head?.chunkHashes ?? []);
    const liveGenerations = new Set([current.head?.generation ?? '', current.head?.previousGeneration ?? '']);
    const liveManifests = new Set(current.head?.manifest ? [current.head.manifest] : []);

    if (!changed && current.head) {
      await this.conditionally(snapshot.accountId, () =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk, sk: HEAD },
            UpdateExpression: 'SET #at = :at',
            ConditionExpression: '#gen = :gen',
            ExpressionAttributeNames: { '#at': 'collected_at', '#gen': 'generation' },
            ExpressionAttributeValues: { ':at': snapshot.collectedAt, ':gen': current.head?.generation },
          }),
        ),
      );
      writeRequests += 1;
    } else {
      const generation = newGeneration();
      const chunks = snapshotChunks(snapshot);
      const stored = new Set(current.chunkKeys.flatMap(({ hash }) => (hash ? [hash] : [])));
      const missing = [...new Map(chunks.filter((chunk) => !stored.has(chunk.hash)).map((chunk) => [chunk.hash, chunk])).values()];
      writeRequests += await batchWriteAll(
        this.documents,
        this.table,
        missing.map((chunk) => ({ PutRequest: { Item: { pk, sk: `${CHUNK}${chunk.hash}`, snapshot: chunk.data } } })),
        { sleep: this.sleep },
      );
      // Named by the content hash: a snapshot stored before (a change undone) finds its manifest there.
      const manifest = `${MANIFEST}${encoded.hash}`;
      if (!current.manifestKeys.includes(manifest)) {
        await this.documents.send(new PutCommand({ TableName: this.table, Item: { pk, sk: manifest, chunks: chunks.map((chunk) => chunk.hash) } }));
        writeRequests += 1;
      }
      const head: Record<string, unknown> = {
        pk,
        sk: HEAD,
        generation,
        content_hash: encoded.hash,
        collected_at: snapshot.collectedAt,
        node_count: encoded.nodeIds.size,
        manifest,
        ...(current.head ? { previous_generation: current.head.generation } : {}),
      };
      // The flip: from here on readers see the new snapshot.
      await this.conditionally(snapshot.accountId, () =>
        this.documents.send(
          new PutCommand({
            TableName: this.table,
            Item: head,
            ConditionExpression: current.head ? '#gen = :gen' : 'attribute_not_exists(pk)',
            ...(current.head
              ? { ExpressionAttributeNames: { '#gen': 'generation' }, ExpressionAttributeValues: { ':gen': current.head.generation } }
              : {}),
          }),
        ),
      );
      writeRequests += 1;
      for (const chunk of chunks) live.add(chunk.hash);
      liveGenerations.delete(current.head?.previousGeneration ?? '');
      liveManifests.add(manifest);
    }

    // Chunks no head names any more, those of earlier layouts, and those of a write that failed before
    // its flip; none while the current head's manifest was not read (a concurrent collect replacing it).
    const chunkNamesKnown = !current.head?.manifest || current.head.chunkHashes !== undefined;
    const stale = [
      ...current.chunkKeys.filter(() => chunkNamesKnown).filter(({ hash, generation }) => (hash ? !live.has(hash) : !liveGenerations.has(generation ?? ''))),
      ...current.manifestKeys.filter((sk) => !liveManifests.has(sk)).map((sk) => ({ sk })),
    ];
    const vanished = current.flagKeys.filter(({ nodeId }) => !encoded.nodeIds.has(nodeId));
    const deletions = [...stale, ...vanished].map(({ sk }): WriteRequest => ({ DeleteRequest: { Key: { pk, sk } } }));
    if (deletions.length > 0) writeRequests += await batchWriteAll(this.documents, this.table, deletions, { sleep: this.sleep });
    return { changed, writeRequests, droppedFlags: vanished.length };
  }

  /**
   * Everything stored for one account, and the keys of it: one query (a page per MB of chunks for
   * a very large account). A query is billed on the items it reads whatever it projects, so it
   * reads them whole and collect gets the stored snapshot for the same read units.
   */
  private async readIndex(accountId: string): Promise<{ index: AccountIndex; items: AccountItems }> {
    const pk = accountKey(accountId);
    const items = await this.readItems({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } });
    const flagKeys: AccountIndex['flagKeys'] = [];
    const chunkKeys: AccountIndex['chunkKeys'] = [];
    const manifestKeys: string[] = [];
    for (const item of items) {
      const sk = String(item.sk);
      const flag = parseFlagKey(sk);
      if (flag) flagKeys.push({ sk, nodeId: flag.nodeId });
      if (sk.startsWith(CHUNK)) chunkKeys.push({ sk, hash: sk.slice(CHUNK.length) });
      if (sk.startsWith(MANIFEST)) manifestKeys.push(sk);
      const chunk = parseChunkKey(sk);
      if (chunk) chunkKeys.push({ sk, generation: chunk.generation });
    }
    const grouped = groupByAccount(items).get(accountId) ?? emptyAccount();
    const stored = grouped.head;
    const manifest = stored?.manifest ? grouped.manifests.get(stored.manifest) : undefined;
    const head = stored && manifest ? { ...stored, chunkHashes: manifest } : stored;
    return { index: { ...(head ? { head } : {}), flagKeys, chunkKeys, manifestKeys }, items: grouped };
  }

  /**
   * An account's snapshot with its flags. A scan can cross a collect's flip and miss chunks of the
   * generation its head named; the account is then read again on its own, consistently.
   */
  private async snapshotOf(
    accountId: string,
    items: AccountItems,
  ): Promise<{ nodes: InventoryNode[]; edges: Edge[]; flags: AccountItems['flags']; collectedAt: string } | undefined> {
    let current = items;
    for (let attempt = 1; ; attempt++) {
      const head = current.head;
      if (!head) return undefined;
      const where = `inventory of account ${accountId}`;
      const chunkHashes = head.manifest ? current.manifests.get(head.manifest) : head.chunkHashes;
      if (chunkHashes) {
        const pieces = chunkHashes.map((hash) => current.pieces.get(hash));
        if (pieces.every((piece): piece is Uint8Array => piece !== undefined)) {
          const decoded = pieces.map((piece) => decodeAccountSnapshot(piece, where));
          return { nodes: decoded.flatMap((d) => d.nodes), edges: decoded.flatMap((d) => d.edges), flags: current.flags, collectedAt: head.collectedAt };
        }
      } else if (!head.manifest) {
        const bytes = head.snapshot ?? assemble(current.chunks.get(head.generation), head.chunkCount ?? 0);
        if (bytes) return { ...decodeAccountSnapshot(bytes, where), flags: current.flags, collectedAt: head.collectedAt };
      }
      if (attempt >= LOAD_ATTEMPTS) throw new RuntimeError(`the stored snapshot of account ${accountId} is missing chunks of generation ${head.generation}`);
      const reread = groupByAccount(
        await this.readItems({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': accountKey(accountId) } }),
      );
      current = reread.get(accountId) ?? emptyAccount();
    }
  }

  /** Every item of a query (with a key condition) or of the whole table (a scan), all pages. */
  private async readItems(query: {
    KeyConditionExpression?: string;
    ExpressionAttributeValues?: Record<string, unknown>;
    ExpressionAttributeNames?: Record<string, string>;
    ProjectionExpression?: string;
  }): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    const consistent = query.KeyConditionExpression ? true : this.consistentScans;
    const input = { TableName: this.table, ConsistentRead: consistent, ...query };
    const client = { client: this.documents };
    const pages = query.KeyConditionExpression ? paginateQuery(client, input) : paginateScan(client, input);
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }

  private async conditionally(accountId: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new RuntimeError(`another collect replaced the snapshot of account ${accountId} at the same time; this one was not stored`);
      }
      throw error;
    }
  }
}

function accountKey(accountId: string): string {
  return `account#${accountId}`;
}

function flagKey(section: FlagSection, nodeId: string): string {
  return `${section}#${nodeId}`;
}

function parseFlagKey(sk: string): { section: FlagSection; nodeId: string } | undefined {
  for (const section of FLAG_SECTIONS) if (sk.startsWith(`${section}#`)) return { section, nodeId: sk.slice(section.length + 1) };
  return undefined;
}

function parseChunkKey(sk: string): { generation: string; n: number } | undefined {
  const match = /^snap#([^#]+)#(\d+)$/.exec(sk);
  return match?.[1] && match[2] ? { generation: match[1], n: Number(match[2]) } : undefined;
}

/** Unique, so two writers can never mix chunks under one generation. */
function newGeneration(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

function toHead(item: Record<string, unknown>): Head {
  return {
    generation: String(item.generation),
    ...(typeof item.previous_generation === 'string' ? { previousGeneration: item.previous_generation } : {}),
    hash: String(item.content_hash),
    collectedAt: String(item.collected_at),
    ...(typeof item.manifest === 'string' ? { manifest: item.manifest } : {}),
    ...(Array.isArray(item.chunks) ? { chunkHashes: item.chunks.map(String) } : {}),
    ...(item.snapshot instanceof Uint8Array ? { snapshot: item.snapshot } : {}),
    ...(typeof item.chunk_count === 'number' ? { chunkCount: item.chunk_count } : {}),
  };
}

function groupByAccount(items: Array<Record<string, unknown>>): Map<string, AccountItems> {
  const accounts = new Map<string, AccountItems>();
  for (const item of items) {
    const pk = String(item.pk);
    if (!pk.startsWith('account#')) continue;
    const accountId = pk.slice('account#'.length);
    let account = accounts.get(accountId);
    if (!account) accounts.set(accountId, (account = emptyAccount()));
    const sk = String(item.sk);
    if (sk === HEAD) {
      account.head = toHead(item);
      continue;
    }
    if (sk.startsWith(MANIFEST) && Array.isArray(item.chunks)) {
      account.manifests.set(sk, item.chunks.map(String));
      continue;
    }
    if (sk.startsWith(CHUNK) && item.snapshot instanceof Uint8Array) {
      account.pieces.set(sk.slice(CHUNK.length), item.snapshot);
      continue;
    }
    const chunk = parseChunkKey(sk);
    if (chunk && item.snapshot instanceof Uint8Array) {
      const parts = account.chunks.get(chunk.generation) ?? new Map<number, Uint8Array>();
      parts.set(chunk.n, item.snapshot);
      account.chunks.set(chunk.generation, parts);
      continue;
    }
    const flag = parseFlagKey(sk);
    if (flag && typeof item.flag === 'object' && item.flag !== null) {
      const flags = account.flags.get(flag.nodeId) ?? {};
      flags[flag.section] = item.flag as Record<string, unknown>;
      account.flags.set(flag.nodeId, flags);
    }
  }
  return accounts;
}

function emptyAccount(): AccountItems {
  return { pieces: new Map(), manifests: new Map(), chunks: new Map(), flags: new Map() };
}

function assemble(parts: Map<number, Uint8Array> | undefined, count: number): Buffer | undefined {
  if (!parts || count === 0) return undefined;
  const ordered: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    const part = parts.get(n);
    if (!part) return undefined;
    ordered.push(part);
  }
  return Buffer.concat(ordered);
}

function validateUpdate(update: NodeUpdate, i: number): void {
  const at = `node update ${i + 1}`;
  if (typeof update.id !== 'string' || update.id === '') throw new ValidationError(`${at}: id: expected a non-empty string`);
  if (typeof update.accountId !== 'string' || !/^\d{12}$/.test(update.accountId)) {
    throw new ValidationError(`${at} (${update.id}): accountId: expected a 12-digit account id, got ${JSON.stringify(update.accountId)}`);
  }
  for (const section of FLAG_SECTIONS) {
    const value = update[section];
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new ValidationError(`${at} (${update.id}): ${section}: expected an object`);
    }
  }
}
