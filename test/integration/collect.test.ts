import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { CreateAccountCommand, CreateOrganizationCommand } from '@aws-sdk/client-organizations';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { clientsForAccount, memberRoleArn } from '../../src/aws/accounts';
import { AwsClients } from '../../src/aws/clients';
import { ensureResources } from '../../src/aws/provision';
import {
  collectBatch,
  collectInventory,
  CollectorConfig,
  CollectProgress,
  DynamoCollectRunStore,
  listAccountBatches,
  summarizeCollectRun,
} from '../../src/collect';
import { defaultFixWorkerConfig } from '../../src/config/fix-worker';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { createInventoryStore, DynamoInventoryStore } from '../../src/inventory/dynamo-store';
import type { InventoryGraph } from '../../src/inventory/graph';
import { DEFAULT_RESOURCE_NAMES, ResourceNames } from '../../src/resources';
import type { AccountCollectResult } from '../../src/workflow/step-payloads';

const HOME = '123456789012';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ROLE = 'CloudSweepMemberRole';
const DAY = 86_400_000;
const noSleep = async (): Promise<void> => undefined;

describe('collect across an organization (moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let store: DynamoInventoryStore;
  let names: ResourceNames;
  const members: Record<'dev' | 'prod', { id: string; aws: AwsClients }> = {} as never;
  const keys: Record<string, string> = {};
  const now = new Date();
  const daysAgo = (days: number): string => new Date(Math.floor(now.getTime() / 1000) * 1000 - days * DAY).toISOString();
  const config = { ...defaultFixWorkerConfig().collector, accounts: 'organization' as const, member_role: ROLE };

  async function addKey(clients: AwsClients, accountId: string, user: string, label: string, created: string, lastUsed: string | null): Promise<void> {
    const answer = await clients.iam.send(new CreateAccessKeyCommand({ UserName: user }));
    const id = answer.AccessKey?.AccessKeyId ?? '';
    keys[label] = id;
    await emulator.setAccessKey({ accountId, accessKeyId: id, createDate: created, lastUsed: lastUsed ? { date: lastUsed, service: 's3', region: 'eu-west-1' } : null });
  }

  /** A collect's summary, and each account's result as progress reported it. */
  async function collect(progress?: (event: CollectProgress) => void, collector: CollectorConfig = config) {
    const results: AccountCollectResult[] = [];
    const summary = await collectInventory({ aws, store, sleep: noSleep, clock: () => now }, collector, 'run-1', (event) => {
      if (event.type === 'account_finished') results.push(event.result);
      progress?.(event);
    });
    return Object.assign(summary, { results });
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    names = { ...DEFAULT_RESOURCE_NAMES, inventoryTable: 'collect-test-inventory' };
    await ensureResources(aws, names);
    store = createInventoryStore(aws, names.inventoryTable, { sleep: noSleep });

    await aws.organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    for (const name of ['dev', 'prod'] as const) {
      const created = await aws.organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
      const id = created.CreateAccountStatus?.AccountId ?? '';
      members[name] = { id, aws: await clientsForAccount(aws, { id, name, role_arn: memberRoleArn(id, ROLE) }, 'seed') };
    }

    // Home: a user without keys, a user with one never-used key, a tagged user with two keys.
    await aws.iam.send(new CreateUserCommand({ UserName: 'nobody' }));
    await aws.iam.send(new CreateUserCommand({ UserName: 'nancy' }));
    await addKey(aws, HOME, 'nancy', 'nancy', daysAgo(100), null);
    await aws.iam.send(new CreateUserCommand({ UserName: 'jenkins', Tags: [{ Key: 'team', Value: 'ci' }, { Key: 'cloudsweep:protect', Value: 'true' }] }));
    await addKey(aws, HOME, 'jenkins', 'jenkins-old', daysAgo(400), daysAgo(200));
    await addKey(aws, HOME, 'jenkins', 'jenkins-new', daysAgo(10), daysAgo(1));

    // dev: two keys created in the same second (only GetAccessKeyLastUsed can tell them apart).
    const dev = members.dev;
    await dev.aws.iam.send(new CreateUserCommand({ UserName: 'twins' }));
    const second = daysAgo(50);
    await addKey(dev.aws, dev.id, 'twins', 'twin-a', second, daysAgo(3));
    await addKey(dev.aws, dev.id, 'twins', 'twin-b', second, null);
    await dev.aws.iam.send(new CreateUserCommand({ UserName: 'db-runner', Path: '/service/' }));
    await addKey(dev.aws, dev.id, 'db-runner', 'db-runner', daysAgo(30), daysAgo(20));

    // prod: one user, one key.
    const prod = members.prod;
    await prod.aws.iam.send(new CreateUserCommand({ UserName: 'packer-ami' }));
    await addKey(prod.aws, prod.id, 'packer-ami', 'packer', daysAgo(120), daysAgo(95));
  });
  afterAll(() => emulator.stop());

  const byName = (graph: InventoryGraph, kind: string, name: string) =>
    [...graph.nodes()].find((node) => node.kind === kind && node.reported.name === name);

  it('collects every active account of the organization with users, tags and keys', async () => {
    const events: CollectProgress[] = [];
    const summary = await collect((event) => events.push(event));

    expect(summary.failed_accounts).toEqual([]);
    expect(summary.results.map((a) => [a.account_name, a.users, a.keys])).toEqual(
      expect.arrayContaining([
        ['master', 3, 3],
        ['dev', 2, 3],
        ['prod', 1, 1],
      ]),
    );
    expect(summary).toMatchObject({ accounts: 3, users: 6, keys: 7, calls: summary.results.reduce((sum, a) => sum + a.calls, 0) });
    expect(events.filter((e) => e.type === 'account_finished')).toHaveLength(3);
    // The capacity DynamoDB reported for each account's read of the stored snapshot and its writes, summed.
    expect(summary.results.every((a) => (a.read_units ?? 0) > 0 && (a.write_units ?? 0) > 0)).toBe(true);
    expect(summary.write_units).toBeCloseTo(summary.results.reduce((sum, a) => sum + (a.write_units ?? 0), 0));

    const { graph } = await store.loadGraph();
    expect(graph.size).toBe(3 + 6 + 7);
    const jenkins = byName(graph, 'aws_iam_user', 'jenkins');
    expect(jenkins?.reported).toMatchObject({ path: '/', tags: { team: 'ci', 'cloudsweep:protect': 'true' }, password_enabled: false, mfa_active: false });
    expect(graph.accountOf(jenkins?.id ?? '')?.reported).toEqual({ id: HOME, name: 'master' });
    expect(byName(graph, 'aws_iam_user', 'db-runner')?.reported.path).toBe('/service/');

    const nancyKey = graph.node(keys.nancy ?? '');
    expect(nancyKey?.reported).toMatchObject({ user_name: 'nancy', ctime: daysAgo(100), atime: null, access_key_status: 'Active' });
    expect(graph.ancestor(nancyKey?.id ?? '', 'aws_iam_user')?.reported.name).toBe('nancy');
    expect(graph.node(keys['jenkins-old'] ?? '')?.reported.atime).toBe(daysAgo(200));
    expect(graph.node(keys['jenkins-new'] ?? '')?.reported.atime).toBe(daysAgo(1));
    expect(graph.accountOf(keys.packer ?? '')?.reported).toEqual({ id: members.prod.id, name: 'prod' });
  });

  it('on an unchanged re-collect, lists no keys: the report, one details page, and the stored key ids stand', async () => {
    await collect();

    const again = await collect();

    expect(again.failed_accounts).toEqual([]);
    expect(again.results.find((a) => a.account_id === HOME)?.calls).toBe(2 + 1);
    expect(again.results.find((a) => a.account_id === members.prod.id)?.calls).toBe(1 + 2 + 1);
    // dev's twins were created in the same second with different last use: their columns cannot
    // be pinned on stored keys, so they are listed and settled again.
    expect(again.results.find((a) => a.account_id === members.dev.id)?.calls).toBe(1 + 2 + 1 + 1 + 2);
    expect((await store.loadGraph()).graph.size).toBe(3 + 6 + 7);
  });

  it('tells apart two keys created in the same second with GetAccessKeyLastUsed', async () => {
    // A first collect: nothing stored yet.
    names = { ...names, inventoryTable: 'collect-test-inventory-fresh' };
    await ensureResources(aws, names);
    store = createInventoryStore(aws, names.inventoryTable, { sleep: noSleep });
    const summary = await collect();
    const { graph } = await store.loadGraph();
    expect(graph.node(keys['twin-a'] ?? '')?.reported).toMatchObject({
      ctime: daysAgo(50),
      atime: daysAgo(3),
      access_key_last_used: { last_used: daysAgo(3), service_name: 's3', region: 'eu-west-1' },
    });
    expect(graph.node(keys['twin-b'] ?? '')?.reported).toMatchObject({ atime: null, access_key_last_used: { last_used: null, service_name: null, region: null } });
    // dev: AssumeRole, report (generate + get), one details page, 2 ListAccessKeys, 2 GetAccessKeyLastUsed.
    expect(summary.results.find((a) => a.account_id === members.dev.id)?.calls).toBe(1 + 2 + 1 + 2 + 2);
    // home: no role to assume, ListAccessKeys for nancy and jenkins only (not for "nobody").
    expect(summary.results.find((a) => a.account_id === HOME)?.calls).toBe(2 + 1 + 2);
  });

  it('drops vanished users and keys and keeps the flags of the survivors', async () => {
    await collect();
    await store.updateNodes([
      { id: keys['jenkins-old'] ?? '', accountId: HOME, desired: { clean: true }, metadata: { flagged_by: 'job-1', clean_reason: 'unused' } },
      { id: keys.packer ?? '', accountId: members.prod.id, desired: { clean: true } },
    ]);
    const prod = members.prod;
    // prod's report is reused, as IAM does for 4 hours: it still shows packer-ami with a key.
    await emulator.freezeCredentialReport(prod.id, true);
    await prod.aws.iam.send(new DeleteAccessKeyCommand({ UserName: 'packer-ami', AccessKeyId: keys.packer ?? '' }));
    await prod.aws.iam.send(new DeleteUserCommand({ UserName: 'packer-ami' }));
    await aws.iam.send(new TagUserCommand({ UserName: 'nancy', Tags: [{ Key: 'owner', Value: 'nancy' }] }));

    const summary = await collect().finally(() => emulator.freezeCredentialReport(prod.id, false));

    // packer-ami's ListAccessKeys answered NoSuchEntity: the user is left out, the account is fine.
    expect(summary.failed_accounts).toEqual([]);
    const { graph } = await store.loadGraph();
    expect(graph.node(keys.packer ?? '')).toBeUndefined();
    expect(byName(graph, 'aws_iam_user', 'packer-ami')).toBeUndefined();
    expect(graph.node(prod.id)?.kind).toBe('aws_account');
    expect(byName(graph, 'aws_iam_user', 'nancy')?.reported.tags).toEqual({ owner: 'nancy' });
    expect(graph.node(keys['jenkins-old'] ?? '')).toMatchObject({ desired: { clean: true }, metadata: { flagged_by: 'job-1', clean_reason: 'unused' } });
  });

  it('names an account whose role cannot be assumed and keeps its previous snapshot', async () => {
    await collect();
    const devKeyBefore = (await store.loadGraph()).graph.node(keys['db-runner'] ?? '');
    await emulator.denyAssumeRole([members.dev.id]);
    try {
      const summary = await collect();
      expect(summary.failed_accounts).toEqual([members.dev.id]);
      const dev = summary.results.find((a) => a.account_id === members.dev.id);
      expect(dev?.error).toMatch(/cannot assume arn:aws:iam::\d{12}:role\/CloudSweepMemberRole: AccessDenied/);
      expect(summary.results.filter((a) => !a.error)).toHaveLength(2);
      const { graph } = await store.loadGraph();
      expect(graph.node(keys['db-runner'] ?? '')).toEqual(devKeyBefore);
    } finally {
      await emulator.denyAssumeRole([]);
    }
  });

  it('collects only the configured account ids when not using the organization', async () => {
    const summary = await collect(undefined, { ...config, accounts: [members.prod.id] });
    // moto picks member ids at random: compare as sets, whichever sorts first.
    expect(summary.results.map((a) => [a.account_id, a.account_name]).sort()).toEqual(
      [
        [HOME, HOME],
        [members.prod.id, members.prod.id],
      ].sort(),
    );
  });

  describe('in batches, as the state machine runs it', () => {
    it('lists the accounts into batches in the runs table, collects each batch, and sums up from the stored results', async () => {
      const inProcess = await collect();
      const runs = new DynamoCollectRunStore(aws, names.runsTable, () => now);
      const deps = { aws, store, sleep: noSleep, clock: () => now, runs };

      const listed = await listAccountBatches(deps, config, 'run-batched', 2);
      expect(listed).toEqual({ accounts: 3, batches: [0, 1] });
      const counted = await Promise.all(listed.batches.map((batch) => collectBatch(deps, config, 'run-batched', batch)));
      expect(counted).toEqual([
        { batch: 0, accounts: 1, failed: 0 },
        { batch: 1, accounts: 2, failed: 0 },
      ]);
      const summary = await summarizeCollectRun(runs, 'run-batched');

      expect(summary).toMatchObject({ accounts: 3, users: inProcess.users, keys: inProcess.keys, failed_accounts: [] });
      const { results } = await runs.load('run-batched');
      const counts = (list: AccountCollectResult[]) => list.map((r) => [r.account_name, r.users, r.keys]).sort();
      expect(counts(results)).toEqual(counts(inProcess.results));
      expect(summary.calls).toBe(results.reduce((sum, r) => sum + r.calls, 0));
    });

    it('keeps each batch in two items, its accounts and their results, whatever its size (a write per item)', async () => {
      const runs = new DynamoCollectRunStore(aws, names.runsTable, () => now);
      const deps = { aws, store, sleep: noSleep, clock: () => now, runs };
      const listed = await listAccountBatches(deps, config, 'run-items', 3);
      await collectBatch(deps, config, 'run-items', 0);

      const items = await aws.documents.send(
        new QueryCommand({ TableName: names.runsTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'collect#run-items' } }),
      );

      expect(listed.batches).toEqual([0]);
      expect(items.Items?.map((item) => item.sk)).toEqual(['batch#00000', 'results#00000']);
      expect((items.Items?.[1]?.results as AccountCollectResult[]).map((r) => r.account_id).sort()).toEqual([HOME, members.dev.id, members.prod.id].sort());
    });

    it('counts the accounts of a batch that never finished as failed', async () => {
      const runs = new DynamoCollectRunStore(aws, names.runsTable, () => now);
      const listed = await listAccountBatches({ aws, runs }, config, 'run-half', 2);
      await collectBatch({ aws, store, sleep: noSleep, clock: () => now, runs }, config, 'run-half', 0);

      const summary = await summarizeCollectRun(runs, 'run-half');

      expect(listed.batches).toHaveLength(2);
      expect(summary).toMatchObject({ accounts: 3, users: 3, keys: 3 });
      expect(summary.failed_accounts.sort()).toEqual([members.dev.id, members.prod.id].sort());
    });

    it('refuses a batch the run never listed, naming it', async () => {
      const runs = new DynamoCollectRunStore(aws, names.runsTable, () => now);
      await expect(collectBatch({ aws, store, sleep: noSleep, clock: () => now, runs }, config, 'run-none', 4)).rejects.toThrow(/collect run run-none has no batch 4/);
    });
  });

  describe('through a proxy that throttles and delays', () => {
    let proxy: FaultProxy;
    beforeAll(async () => {
      proxy = await startFaultProxy({ target: emulator.endpoint, throttleRate: 0.15, latencyMs: 5, seed: 7 });
    });
    afterAll(() => proxy.stop());

    it('still stores a complete and exact inventory', async () => {
      await collect();
      const expected = (await store.loadGraph()).graph;

      await ensureResources(aws, { ...names, inventoryTable: 'collect-test-faulty' });
      const faulty = new AwsClients({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
      const proxiedStore = createInventoryStore(faulty, 'collect-test-faulty');
      const summary = await collectInventory({ aws: faulty, store: proxiedStore, sleep: noSleep, clock: () => now }, config, 'run-3');

      expect(summary.failed_accounts).toEqual([]);
      const stats = proxy.stats();
      expect(stats.throttled).toBeGreaterThanOrEqual(5);
      expect(stats.requests).toBe(stats.forwarded + stats.throttled);
      const actual = (await proxiedStore.loadGraph()).graph;
      const reported = (graph: InventoryGraph) => [...graph.nodes()].map((n) => ({ id: n.id, reported: n.reported })).sort((a, b) => a.id.localeCompare(b.id));
      expect(reported(actual)).toEqual(reported(expected));
      expect(actual.edges().length).toBe(expected.edges().length);
    });
  });
});
