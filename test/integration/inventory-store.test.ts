import { BatchWriteCommand, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { AwsClients } from '../../src/aws/clients';
import { ensureResources } from '../../src/aws/provision';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { ValidationError } from '../../src/errors';
import { AccountSnapshot, encodeAccountSnapshot, snapshotChunks } from '../../src/inventory/account-snapshot';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { accessKeyNode, accountNode, InventoryNode, userNode } from '../../src/inventory/model';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const noSleep = async (): Promise<void> => undefined;
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** An account with `users` users, each with one key; deterministic so re-collects hash the same. */
function accountSnapshot(accountId: string, users: number, collectedAt = '2026-01-01T00:00:00.000Z', skip: string[] = []): AccountSnapshot {
  const nodes: InventoryNode[] = [accountNode({ id: accountId, name: `acct-${accountId}` })];
  const edges = [];
  for (let i = 0; i < users; i++) {
    const userId = `AIDA${accountId}${String(i).padStart(4, '0')}`;
    const keyId = `AKIA${accountId}${String(i).padStart(4, '0')}`;
    if (!skip.includes(userId)) {
      nodes.push(
        userNode({
          id: userId, name: `user-${i}`, arn: `arn:aws:iam::${accountId}:user/user-${i}`, path: '/', ctime: '2025-01-01T00:00:00.000Z',
          atime: null, tags: { n: String(i) }, password_enabled: false, mfa_active: false,
        }),
      );
      edges.push({ from: accountId, to: userId });
    }
    if (!skip.includes(keyId) && !skip.includes(userId)) {
      nodes.push(
        accessKeyNode({
          id: keyId, name: keyId, user_name: `user-${i}`, ctime: '2025-01-02T00:00:00.000Z', atime: null, access_key_status: 'Active',
          access_key_last_used: { last_used: null, service_name: null, region: null },
        }),
      );
      edges.push({ from: userId, to: keyId });
    }
  }
  return { accountId, collectedAt, nodes, edges };
}

describe('the DynamoDB inventory store (moto)', () => {
  let emulator: Emulator;
  let proxy: FaultProxy;
  let aws: AwsClients;
  let table = 0;

  beforeAll(async () => {
    emulator = await startEmulator();
    proxy = await startFaultProxy({ target: emulator.endpoint });
    // Through the proxy (no faults) so its statistics count the store's requests.
    aws = new AwsClients({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  });
  afterAll(async () => {
    await proxy.stop();
    await emulator.stop();
  });

  async function freshStore() {
    const name = `inventory-${++table}`;
    await ensureResources(aws, { ...DEFAULT_RESOURCE_NAMES, inventoryTable: name });
    return createInventoryStore(aws, name, { sleep: noSleep });
  }

  /** The sort keys of the chunk items stored now. */
  async function storedChunks(): Promise<Set<string>> {
    const items = await aws.documents.send(new ScanCommand({ TableName: `inventory-${table}`, ProjectionExpression: 'sk' }));
    return new Set((items.Items ?? []).map((item) => String(item.sk)).filter((sk) => sk.startsWith('chunk#')));
  }

  const writesSince = (run: () => Promise<unknown>) => async (): Promise<number> => {
    proxy.resetStats();
    await run();
    const byOperation = proxy.stats().byOperation;
    return WRITES.reduce((sum, op) => sum + (byOperation[op] ?? 0), 0);
  };

  it('spends one write request on a re-collect that found nothing new', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 200));

    const writes = await writesSince(() => store.replaceAccount(accountSnapshot('111111111111', 200, '2026-01-01T01:00:00.000Z')))();
    expect(writes).toBe(1);
    const loaded = await store.loadGraph();
    expect(loaded.collectedAt).toBe('2026-01-01T01:00:00.000Z');
    expect(loaded.graph.size).toBe(401);
  });

  it('loads every account with a single scan, not one request per node', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 50, '2026-01-02T00:00:00.000Z'));
    await store.replaceAccount(accountSnapshot('222222222222', 50, '2026-01-01T00:00:00.000Z'));
    await store.updateNodes([{ id: 'AKIA1111111111110007', accountId: '111111111111', desired: { clean: true } }]);

    proxy.resetStats();
    const { graph, collectedAt } = await store.loadGraph();
    expect(proxy.stats().requests).toBe(1);
    expect(graph.size).toBe(2 * 101);
    expect(collectedAt).toBe('2026-01-01T00:00:00.000Z'); // the oldest account's
    expect(graph.node('AKIA1111111111110007')?.desired).toEqual({ clean: true });
    expect(graph.accountOf('AKIA2222222222220003')?.id).toBe('222222222222');
  });

  it('keeps flags of surviving nodes and drops those of vanished ones', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 3));
    await store.updateNodes([
      { id: 'AKIA1111111111110000', accountId: '111111111111', desired: { clean: true }, metadata: { flagged_by: 'job' } },
      { id: 'AKIA1111111111110001', accountId: '111111111111', metadata: { protected: true } },
    ]);

    const outcome = await store.replaceAccount(accountSnapshot('111111111111', 3, undefined, ['AKIA1111111111110001']));

    expect(outcome).toMatchObject({ changed: true, droppedFlags: 1 });
    const { graph } = await store.loadGraph();
    expect(graph.node('AKIA1111111111110001')).toBeUndefined();
    expect(graph.node('AKIA1111111111110000')).toMatchObject({ desired: { clean: true }, metadata: { flagged_by: 'job' } });
    expect(graph.size).toBe(1 + 3 + 2);
  });

  it('replaces one section of a node without touching the other, and deletes emptied ones', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 2));
    const key = 'AKIA1111111111110000';
    await store.updateNodes([{ id: key, accountId: '111111111111', metadata: { protected: true }, desired: { clean: true } }]);
    await store.updateNodes([{ id: key, accountId: '111111111111', desired: {} }]);
    expect((await store.loadGraph()).graph.node(key)).toMatchObject({ metadata: { protected: true }, desired: {} });
  });

  it('reads the stored flags of a few nodes consistently, in one request, {} for a node without any', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 2));
    const [key, user, bare] = ['AKIA1111111111110000', 'AIDA1111111111110000', 'AKIA1111111111110001'];
    await store.updateNodes([
      { id: key, accountId: '111111111111', metadata: { flagged_by: 'cli' }, desired: { clean: true } },
      { id: user, accountId: '111111111111', metadata: { protected: true } },
    ]);
    proxy.resetStats();

    const flags = await store.readFlags([key, user, bare].map((id) => ({ id, accountId: '111111111111' })));

    expect(Object.fromEntries(flags)).toEqual({
      [key]: { metadata: { flagged_by: 'cli' }, desired: { clean: true } },
      [user]: { metadata: { protected: true } },
      [bare]: {},
    });
    expect(proxy.stats().byOperation['dynamodb:BatchGetItem']).toBe(1);
  });

  it('writes many updates in batches of 25', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 60));
    const updates = Array.from({ length: 60 }, (_, i) => ({
      id: `AKIA111111111111${String(i).padStart(4, '0')}`,
      accountId: '111111111111',
      desired: { clean: true },
    }));
    proxy.resetStats();
    await store.updateNodes(updates);
    expect(proxy.stats().byOperation['dynamodb:BatchWriteItem']).toBe(3);
    const { graph } = await store.loadGraph();
    expect([...graph.nodes()].filter((node) => node.desired.clean === true)).toHaveLength(60);
  });

  it('refuses a bad update before writing anything', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 2));
    const update = store.updateNodes([
      { id: 'AKIA1111111111110000', accountId: '111111111111', desired: { clean: true } },
      { id: 'AKIA1111111111110001', accountId: 'prod', desired: { clean: true } },
    ]);
    await expect(update).rejects.toThrow(ValidationError);
    await expect(update).rejects.toThrow(/node update 2 \(AKIA1111111111110001\): accountId/);
    expect((await store.loadGraph()).graph.node('AKIA1111111111110000')?.desired).toEqual({});
  });

  it('keeps an unchanged re-collect of 20,000 users to one write unit: the head it updates is small, the chunks and their names are beside it', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 20_000));

    const head = await aws.documents.send(new GetCommand({ TableName: `inventory-${table}`, Key: { pk: 'account#111111111111', sk: 'head' } }));
    // DynamoDB bills a write on the whole item, per KB: the head holds collected_at, the hash and the manifest's name.
    expect(Buffer.byteLength(JSON.stringify(head.Item))).toBeLessThan(1_024);
    expect(await writesSince(() => store.replaceAccount(accountSnapshot('111111111111', 20_000, '2026-01-01T01:00:00.000Z')))()).toBe(1);
    expect((await store.loadGraph()).collectedAt).toBe('2026-01-01T01:00:00.000Z');
  });

  it('reads the heads of every earlier layout, and the next changed collect moves them to the current one', async () => {
    const store = await freshStore();
    const TableName = `inventory-${table}`;
    const [inline, numbered, named] = ['111111111111', '222222222222', '333333333333'].map((id) => accountSnapshot(id, 300));
    const head = (snapshot: AccountSnapshot, generation: string, fields: Record<string, unknown>) => ({
      pk: `account#${snapshot.accountId}`, sk: 'head', generation, content_hash: encodeAccountSnapshot(snapshot).hash, collected_at: snapshot.collectedAt, ...fields,
    });
    const bytes = encodeAccountSnapshot(numbered as AccountSnapshot).data;
    const third = Math.ceil(bytes.length / 3);
    const items = [
      // The snapshot inline in the head.
      head(inline as AccountSnapshot, 'g1', { snapshot: encodeAccountSnapshot(inline as AccountSnapshot).data }),
      // The snapshot cut into numbered items of its generation.
      head(numbered as AccountSnapshot, 'g2', { chunk_count: 3 }),
      ...[0, 1, 2].map((n) => ({ pk: 'account#222222222222', sk: `snap#g2#${n}`, snapshot: bytes.subarray(n * third, (n + 1) * third) })),
      // Content-addressed chunks named in the head.
      head(named as AccountSnapshot, 'g3', { chunks: snapshotChunks(named as AccountSnapshot).map((chunk) => chunk.hash) }),
      ...snapshotChunks(named as AccountSnapshot).map((chunk) => ({ pk: 'account#333333333333', sk: `chunk#${chunk.hash}`, snapshot: chunk.data })),
    ];
    for (let i = 0; i < items.length; i += 25) {
      await aws.documents.send(new BatchWriteCommand({ RequestItems: { [TableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }

    expect((await store.loadGraph()).graph.size).toBe(3 * (1 + 600));
    // A collect gets the stored keys from each, and one that changed something stores the current layout;
    // what the earlier head named stays one collect longer, for readers that saw it mid-scan.
    for (const snapshot of [inline, numbered, named] as AccountSnapshot[]) {
      const pending = await store.beginReplace(snapshot.accountId);
      expect(pending.previous?.filter((node) => node.kind === 'aws_iam_access_key')).toHaveLength(300);
      await pending.commit({ ...snapshot, nodes: snapshot.nodes.slice(0, -1), edges: snapshot.edges.slice(0, -1) });
    }
    expect((await store.loadGraph()).graph.size).toBe(3 * (1 + 599));
    for (const snapshot of [inline, numbered, named] as AccountSnapshot[]) {
      await store.replaceAccount({ ...snapshot, nodes: snapshot.nodes.slice(0, -2), edges: snapshot.edges.slice(0, -2) });
    }
    const sortKeys = ((await aws.documents.send(new ScanCommand({ TableName }))).Items ?? []).map((item) => String(item.sk));
    expect(sortKeys.filter((sk) => sk.startsWith('snap#'))).toEqual([]);
    expect(sortKeys.filter((sk) => sk.startsWith('manifest#'))).toHaveLength(3 * 2);
    expect((await store.loadGraph()).graph.size).toBe(3 * (1 + 598));
  });

  it('rewrites only the chunk a deleted key was in', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 1_000));
    const before = await storedChunks();

    await store.replaceAccount(accountSnapshot('111111111111', 1_000, undefined, ['AKIA1111111111110500']));

    const added = [...(await storedChunks())].filter((sk) => !before.has(sk));
    expect(before.size).toBeGreaterThan(5);
    expect(added).toHaveLength(1);
    const { graph } = await store.loadGraph();
    expect(graph.size).toBe(1 + 1_000 + 999);
    expect(graph.node('AKIA1111111111110500')).toBeUndefined();
  });

  it('stores a large snapshot in chunks and deletes those no head names any more', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 300));
    await store.replaceAccount(accountSnapshot('111111111111', 300, undefined, ['AKIA1111111111110005']));
    await store.replaceAccount(accountSnapshot('111111111111', 300, undefined, ['AKIA1111111111110006']));

    const { graph } = await store.loadGraph();
    expect(graph.size).toBe(1 + 300 + 299);
    expect(graph.node('AKIA1111111111110005')).toBeDefined();
    expect(graph.node('AKIA1111111111110006')).toBeUndefined();
    // The first snapshot's chunks that the later two do not share are gone; the second's stay one round.
    const named = (skip: string[]) => snapshotChunks(accountSnapshot('111111111111', 300, undefined, skip)).map((chunk) => `chunk#${chunk.hash}`);
    expect([...(await storedChunks())].sort()).toEqual([...new Set([...named(['AKIA1111111111110005']), ...named(['AKIA1111111111110006'])])].sort());
  });

  it('scans eventually consistently when asked, for half the read units, and reads an account before replacing it consistently always', async () => {
    await (await freshStore()).replaceAccount(accountSnapshot('111111111111', 3));
    const reads: Array<[string, unknown]> = [];
    const watched = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    watched.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        reads.push([String(context.commandName), (args.input as { ConsistentRead?: boolean }).ConsistentRead]);
        return next(args);
      },
      { step: 'initialize', name: 'watchReads' },
    );
    const relaxed = createInventoryStore(watched, `inventory-${table}`, { sleep: noSleep, consistentScans: false });

    expect((await relaxed.loadGraph()).graph.size).toBe(1 + 6);
    await relaxed.replaceAccount(accountSnapshot('111111111111', 3, '2026-01-01T02:00:00.000Z'));
    await createInventoryStore(watched, `inventory-${table}`, { sleep: noSleep }).loadGraph();

    expect(reads.filter(([command]) => command === 'ScanCommand' || command === 'QueryCommand')).toEqual([
      ['ScanCommand', false],
      ['QueryCommand', true],
      ['ScanCommand', true],
    ]);
  });

  it('leaves the previous snapshot whole when a replacement fails halfway', async () => {
    const store = await freshStore();
    await store.replaceAccount(accountSnapshot('111111111111', 300));
    // A second client on the same table whose head write (the flip) fails after its chunks are written.
    const failing = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    failing.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') throw new Error('network gone');
        return next(args);
      },
      { step: 'initialize', name: 'failHeadWrite' },
    );
    const broken = createInventoryStore(failing, `inventory-${table}`, { sleep: noSleep });
    await expect(broken.replaceAccount(accountSnapshot('111111111111', 10))).rejects.toThrow('network gone');

    const { graph } = await store.loadGraph();
    expect(graph.size).toBe(1 + 600);
    // The orphaned chunks of the failed write go with the next successful one.
    await store.replaceAccount(accountSnapshot('111111111111', 5));
    await store.replaceAccount(accountSnapshot('111111111111', 4));
    expect((await store.loadGraph()).graph.size).toBe(1 + 8);
    const named = (users: number) => snapshotChunks(accountSnapshot('111111111111', users)).map((chunk) => `chunk#${chunk.hash}`);
    expect([...(await storedChunks())].sort()).toEqual([...new Set([...named(5), ...named(4)])].sort());
  });
});
