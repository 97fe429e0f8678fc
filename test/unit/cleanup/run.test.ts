import {
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients } from '../../../src/aws/clients';
import type { AuditEntry } from '../../../src/cleanup/audit';
import { CleanupDeps, CleanupRefusedError, CleanupStoppedError, emptyRunSummary, mergeSummaries, runCleanup } from '../../../src/cleanup/run';
import { DEFAULT_SAFETY_SETTINGS } from '../../../src/cleanup/policy';
import type { PublishedEvent } from '../../../src/events/contracts';
import { configWith, HOME, InventoryBuilder, NOW } from './fixtures';
import { MemoryAuditStore, MemoryInventoryStore } from '../../support/memory-stores';

const MEMBER = '222222222222';
const LONG_AGO = new Date('2024-01-01T00:00:00Z');
const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);

interface FakeKey {
  user: string;
  status: 'Active' | 'Inactive';
  lastUsed?: Date;
  /** CreateDate in ListAccessKeys; long before NOW unless a test says otherwise. */
  created?: Date;
}

/** IAM as the mocks answer it: keys by id, tags by user. */
let keys: Map<string, FakeKey>;
let tags: Map<string, Record<string, string>>;
let published: { event: PublishedEvent; summary: Record<string, unknown> }[];

function throttle(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
}

function noSuchEntity(what: string) {
  return new NoSuchEntityException({ message: `${what} cannot be found`, $metadata: {} });
}

beforeEach(() => {
  iam.reset();
  sts.reset();
  keys = new Map();
  tags = new Map();
  published = [];
  iam.on(GetAccessKeyLastUsedCommand).callsFake(({ AccessKeyId }) => {
    const key = keys.get(AccessKeyId);
    if (!key) throw noSuchEntity(`access key ${AccessKeyId}`);
    return { UserName: key.user, AccessKeyLastUsed: key.lastUsed ? { LastUsedDate: key.lastUsed, ServiceName: 's3', Region: 'us-east-1' } : undefined };
  });
  iam.on(ListAccessKeysCommand).callsFake(({ UserName }) => ({
    AccessKeyMetadata: [...keys.entries()].filter(([, key]) => key.user === UserName).map(([id, key]) => ({ AccessKeyId: id, UserName, Status: key.status, CreateDate: key.created ?? LONG_AGO })),
  }));
  iam.on(ListUserTagsCommand).callsFake(({ UserName }) => ({ Tags: Object.entries(tags.get(UserName) ?? {}).map(([Key, Value]) => ({ Key, Value })) }));
  iam.on(DeleteAccessKeyCommand).callsFake(({ AccessKeyId }) => {
    if (!keys.delete(AccessKeyId)) throw noSuchEntity(`access key ${AccessKeyId}`);
    return {};
  });
  iam.on(UpdateAccessKeyCommand).callsFake(({ AccessKeyId, Status }) => {
    const key = keys.get(AccessKeyId);
    if (!key) throw noSuchEntity(`access key ${AccessKeyId}`);
    key.status = Status;
    return {};
  });
  sts.on(AssumeRoleCommand).callsFake(({ RoleArn }) => {
    if (String(RoleArn).includes('333333333333')) throw Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' });
    return { Credentials: { AccessKeyId: 'ASIA', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2030-01-01') } };
  });
});

/** An inventory of `count` flagged keys of nancy in the home account plus `unflagged` others, mirrored in fake IAM. */
function world(count: number, options: { unflagged?: number; account?: string } = {}) {
  const account = options.account ?? HOME;
  const inventory = new InventoryBuilder().account(HOME).account(MEMBER, 'member').account('333333333333', 'denied');
  const nancy = inventory.user(account, 'nancy');
  for (let i = 0; i < count; i += 1) {
    const id = `AKIAFLAG${String(i).padStart(4, '0')}`;
    inventory.key(nancy, id, { flagged: true });
    keys.set(id, { user: 'nancy', status: 'Active' });
  }
  for (let i = 0; i < (options.unflagged ?? 0); i += 1) {
    const id = `AKIAKEEP${String(i).padStart(4, '0')}`;
    inventory.key(nancy, id);
    keys.set(id, { user: 'nancy', status: 'Active' });
  }
  return inventory;
}

function depsFor(inventory: InventoryBuilder, audit = new MemoryAuditStore(), change: Partial<CleanupDeps> = {}) {
  const store = new MemoryInventoryStore(inventory.graph);
  const deps: CleanupDeps = {
    aws: new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }),
    store,
    audit,
    clock: { now: () => NOW },
    publish: async (event, summary) => void published.push({ event, summary }),
    homeAccountId: HOME,
    safety: DEFAULT_SAFETY_SETTINGS,
    ...change,
  };
  return { deps, store, audit };
}

const REF = { workflow: 'cleanup' as const, run_id: 'run-1' };
const enabled = (change = {}) => configWith({ cleanup: true, cleanup_dry_run: false, max_cleanup_percent: 100, ...change });

describe('runCleanup', () => {
  it('deletes the flagged keys, audits each and marks them cleaned', async () => {
    const inventory = world(3, { unflagged: 2 });
    const { deps, audit } = depsFor(inventory);

    const summary = await runCleanup(deps, enabled(), REF);

    expect(summary).toMatchObject({ flagged: 3, candidates: 3, deleted: 3, skipped: 0, failed: 0, dry_run: false, cleanup_enabled: true });
    expect([...keys.keys()].sort()).toEqual(['AKIAKEEP0000', 'AKIAKEEP0001']);
    const entries = await audit.query({});
    expect(entries.map((entry) => [entry.access_key_id, entry.action, entry.result])).toEqual([
      ['AKIAFLAG0000', 'delete', 'deleted'],
      ['AKIAFLAG0001', 'delete', 'deleted'],
      ['AKIAFLAG0002', 'delete', 'deleted'],
    ]);
    expect(entries[0]).toEqual<AuditEntry>({
      run_id: 'run-1',
      at: NOW.toISOString(),
      account: HOME,
      user_name: 'nancy',
      access_key_id: 'AKIAFLAG0000',
      action: 'delete',
      result: 'deleted',
      dry_run: false,
      job_id: 'clean_outdated_access_keys',
      reason: 'flagged by clean_outdated_access_keys: unused for 90 days',
    });
    expect(inventory.graph.node('AKIAFLAG0001')?.metadata).toMatchObject({ cleaned: true, cleaned_by: 'run-1' });
    expect(await audit.pendingIntents()).toEqual([]);
  });

  it('touches nothing with cleanup disabled and reports how many are flagged', async () => {
    const { deps, audit, store } = depsFor(world(2));

    const summary = await runCleanup(deps, configWith({ cleanup: false }), REF);

    expect(summary).toMatchObject({ flagged: 2, deleted: 0, cleanup_enabled: false });
    expect(iam.calls()).toHaveLength(0);
    expect(await audit.query({})).toEqual([]);
    expect(store.updates).toEqual([]);
  });

  it('makes the same decisions in a dry run, audits them and writes nothing', async () => {
    const inventory = world(2);
    keys.get('AKIAFLAG0001')!.lastUsed = new Date('2026-01-20T00:00:00Z');
    const { deps, audit, store } = depsFor(inventory);

    const summary = await runCleanup(deps, enabled({ cleanup_dry_run: true }), REF);

    expect(summary).toMatchObject({ dry_run: true, would_delete: 1, skipped: 1, deleted: 0 });
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(store.updates).toEqual([]);
    const entries = await audit.query({});
    expect(entries.map((entry) => [entry.access_key_id, entry.action, entry.result, entry.dry_run])).toEqual([
      ['AKIAFLAG0000', 'delete', 'dry_run', true],
      ['AKIAFLAG0001', 'skip', 'skipped', true],
    ]);
  });

  it('refuses the whole run above the limit: publishes, audits, throws and touches nothing', async () => {
    const { deps, audit, store } = depsFor(world(3, { unflagged: 1 }));

    const run = runCleanup(deps, enabled({ max_cleanup_percent: 50 }), REF);

    await expect(run).rejects.toBeInstanceOf(CleanupRefusedError);
    await expect(run).rejects.toMatchObject({ summary: { refused: '3 of 4 keys in scope (75%) exceed max_cleanup_percent (50%)', skipped: 3 } });
    expect(iam.calls()).toHaveLength(0);
    expect(store.updates).toEqual([]);
    expect(keys.size).toBe(4);
    expect(published).toEqual([{ event: 'cleanup_refused', summary: expect.objectContaining({ refused: expect.any(String) }) }]);
    expect((await audit.query({})).map((entry) => entry.result)).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('unflags and keeps a key used since it was flagged', async () => {
    const inventory = world(1);
    keys.get('AKIAFLAG0000')!.lastUsed = new Date('2026-01-20T00:00:00Z');
    const { deps } = depsFor(inventory);

    const summary = await runCleanup(deps, enabled(), REF);

    expect(summary).toMatchObject({ skipped: 1, unflagged: 1, deleted: 0 });
    expect(keys.has('AKIAFLAG0000')).toBe(true);
    const node = inventory.graph.node('AKIAFLAG0000');
    expect(node?.desired.clean).toBe(false);
    expect(node?.metadata.flagged_by).toBeUndefined();
  });

  it('writes nothing to a key below the act-time floor, whatever flagged it: skipped, unflagged, audited', async () => {
    const inventory = world(2);
    const usedAt = new Date(NOW.getTime() - 60_000);
    // Flagged after its last use (so "used since flagged" does not see it), yet in daily use.
    Object.assign(inventory.graph.node('AKIAFLAG0000')!.metadata, { flagged_at: NOW.toISOString() });
    keys.get('AKIAFLAG0000')!.lastUsed = usedAt;
    inventory.graph.node('AKIAFLAG0000')!.reported.atime = usedAt.toISOString();
    keys.get('AKIAFLAG0001')!.created = new Date(NOW.getTime() - 3 * 86_400_000);
    const { deps, audit } = depsFor(inventory);

    const summary = await runCleanup(deps, enabled(), REF);

    expect(summary).toMatchObject({ deleted: 0, skipped: 2, unflagged: 2 });
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
    expect((await audit.query({})).map((entry) => [entry.access_key_id, entry.action, entry.result, entry.reason.split(':')[0]])).toEqual([
      ['AKIAFLAG0000', 'skip', 'skipped', 'below the act-time floor'],
      ['AKIAFLAG0001', 'skip', 'skipped', 'below the act-time floor'],
    ]);
    expect(inventory.graph.node('AKIAFLAG0000')?.desired.clean).toBe(false);
  });

  it('takes the floor from the deploy-time settings, not from fix.worker', async () => {
    const inventory = world(1);
    keys.get('AKIAFLAG0000')!.created = new Date(NOW.getTime() - 10 * 86_400_000);
    const { deps } = depsFor(inventory, undefined, { safety: { ...DEFAULT_SAFETY_SETTINGS, minimumIdleDays: 7 } });

    expect(await runCleanup(deps, enabled(), REF)).toMatchObject({ deleted: 1 });
  });

  it('honours the deployed protect tag even when fix.worker names another one', async () => {
    const inventory = world(1);
    tags.set('nancy', { 'cloudsweep:protect': 'true' });
    const { deps } = depsFor(inventory);

    const summary = await runCleanup(deps, enabled({ protect_tag: 'nobody:has-this' }), REF);

    expect(summary).toMatchObject({ deleted: 0, skipped: 1, unflagged: 0 });
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
  });

  it('re-reads the stored flags just before each write: a protect or unclean issued during the run holds', async () => {
    const inventory = world(3);
    const { deps, audit, store } = depsFor(inventory);
    // While the run verifies each key, someone at the CLI changes the stored flags (not the run's loaded copy).
    const changes: Record<string, () => Promise<void>> = {
      AKIAFLAG0000: () => store.updateNodes([{ id: 'AKIAFLAG0000', accountId: HOME, desired: { clean: false } }]),
      AKIAFLAG0001: () => store.updateNodes([{ id: 'AKIAFLAG0001', accountId: HOME, metadata: { protected: true } }]),
    };
    iam.on(GetAccessKeyLastUsedCommand).callsFake(async ({ AccessKeyId }) => {
      await changes[AccessKeyId]?.();
      return { UserName: 'nancy' };
    });

    const summary = await runCleanup(deps, enabled({ max_cleanup_percent: 100 }), REF);

    expect(summary).toMatchObject({ deleted: 1, skipped: 2 });
    expect(iam.commandCalls(DeleteAccessKeyCommand).map((call) => call.args[0].input.AccessKeyId)).toEqual(['AKIAFLAG0002']);
    expect(Object.fromEntries((await audit.query({})).map((entry) => [entry.access_key_id, entry.reason]))).toEqual({
      AKIAFLAG0000: 'unflagged while this run went on: desired.clean is no longer set',
      AKIAFLAG0001: 'protected while this run went on: the key is protected (metadata.protected)',
      AKIAFLAG0002: 'flagged by clean_outdated_access_keys: unused for 90 days',
    });
  });

  it('re-reads the user too: a user protected during the run keeps its keys', async () => {
    const inventory = world(1);
    const { deps, store } = depsFor(inventory);
    const user = inventory.graph.ancestor('AKIAFLAG0000', 'aws_iam_user')!;
    iam.on(GetAccessKeyLastUsedCommand).callsFake(async () => {
      await store.updateNodes([{ id: user.id, accountId: HOME, metadata: { protected: true } }]);
      return { UserName: 'nancy' };
    });

    const summary = await runCleanup(deps, enabled(), REF);

    expect(summary).toMatchObject({ deleted: 0, skipped: 1 });
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
  });

  it('counts NoSuchEntity on delete as done', async () => {
    const { deps, audit } = depsFor(world(1));
    iam.on(DeleteAccessKeyCommand).rejects(noSuchEntity('access key'));

    const summary = await runCleanup(deps, enabled(), REF);

    expect(summary).toMatchObject({ already_absent: 1, failed: 0 });
    expect((await audit.query({}))[0]).toMatchObject({ action: 'delete', result: 'already_absent' });
  });

  it('leaves retries to its clients: standard mode, 8 attempts, one policy per client', async () => {
    const entered: AwsClients[] = [];
    const { deps } = depsFor(world(1));
    const withRetry = deps.aws.withRetry.bind(deps.aws);
    deps.aws.withRetry = (retry) => {
      const clients = withRetry(retry);
      entered.push(clients);
      return clients;
    };

    await runCleanup(deps, enabled(), REF);

    expect(entered).toHaveLength(1);
    expect(entered[0]?.settings).toMatchObject({ retryMode: 'standard', maxAttempts: 8 });
    expect(await entered[0]?.iam.config.maxAttempts()).toBe(8);
  });

  it('records a key as failed when throttling outlasts the retries, and goes on', async () => {
    const { deps, audit } = depsFor(world(2));
    iam.on(DeleteAccessKeyCommand, { AccessKeyId: 'AKIAFLAG0000' }).rejects(throttle());

    const summary = await runCleanup(deps, enabled(), REF);

    expect(summary).toMatchObject({ failed: 1, deleted: 1 });
    // The SDK's retries are below the mock: cleanup itself tries once.
    expect(iam.commandCalls(DeleteAccessKeyCommand, { AccessKeyId: 'AKIAFLAG0000' })).toHaveLength(1);
    const failed = (await audit.query({})).find((entry) => entry.result === 'failed');
    expect(failed?.reason).toMatch(/delete failed: Throttling: Rate exceeded/);
    expect(await audit.pendingIntents()).toEqual([]);
  });

  it('enters member accounts through the member role; one it cannot enter does not stop the others', async () => {
    const inventory = new InventoryBuilder().account(HOME).account(MEMBER, 'member').account('333333333333', 'denied');
    for (const account of [HOME, MEMBER, '333333333333']) {
      const user = inventory.user(account, `user${account.slice(0, 3)}`);
      inventory.key(user, `AKIA${account}`, { flagged: true });
      keys.set(`AKIA${account}`, { user: String(user.reported.name), status: 'Active' });
    }
    const { deps, audit } = depsFor(inventory);

    const summary = await runCleanup(deps, enabled(), REF);

    expect(summary).toMatchObject({ deleted: 2, failed: 1, failed_accounts: ['333333333333'] });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual(
      expect.arrayContaining([`arn:aws:iam::${MEMBER}:role/CloudSweepMemberRole`]),
    );
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleSessionName).toBe('cloudsweep-cleanup-run-1');
    const failed = (await audit.query({})).find((entry) => entry.account === '333333333333');
    expect(failed).toMatchObject({ result: 'failed', reason: expect.stringContaining('cannot enter account 333333333333') });
  });

  it('keeps at most cleanup_pool_size IAM writes in flight', async () => {
    const { deps } = depsFor(world(20));
    let inFlight = 0;
    let most = 0;
    iam.on(DeleteAccessKeyCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return {};
    });

    const summary = await runCleanup(deps, enabled({ cleanup_pool_size: 4, max_cleanup_per_run: 100 }), REF);

    expect(summary.deleted).toBe(20);
    expect(most).toBe(4);
  });

  it('makes no IAM write it could not audit first, and stops the run', async () => {
    const audit = new MemoryAuditStore();
    audit.recordIntent = async () => {
      throw new Error('audit table unavailable');
    };
    const { deps } = depsFor(world(3), audit);

    await expect(runCleanup(deps, enabled({ cleanup_pool_size: 1 }), REF)).rejects.toBeInstanceOf(CleanupStoppedError);
    expect(iam.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0);
    expect(keys.size).toBe(3);
  });

  it('settles an interrupted run: a key already gone is recorded once as deleted, a key still there is deleted now', async () => {
    const inventory = world(2);
    const audit = new MemoryAuditStore();
    const intent = (id: string): AuditEntry => ({
      run_id: 'run-0',
      at: '2026-01-31T23:00:00.000Z',
      account: HOME,
      user_name: 'nancy',
      access_key_id: id,
      action: 'delete',
      result: 'pending',
      dry_run: false,
      job_id: 'clean_outdated_access_keys',
      reason: 'flagged by clean_outdated_access_keys',
    });
    await audit.recordIntent(intent('AKIAFLAG0000'));
    await audit.recordIntent(intent('AKIAFLAG0001'));
    keys.delete('AKIAFLAG0000'); // the interrupted run got this far
    const { deps } = depsFor(inventory, audit);

    const summary = await runCleanup(deps, enabled(), REF);

    expect(summary).toMatchObject({ reconciled: 2, deleted: 1, candidates: 1 });
    expect(iam.commandCalls(DeleteAccessKeyCommand).map((call) => call.args[0].input.AccessKeyId)).toEqual(['AKIAFLAG0001']);
    const entries = await audit.query({});
    expect(entries.map((entry) => [entry.run_id, entry.access_key_id, entry.result])).toEqual([
      ['run-0', 'AKIAFLAG0000', 'deleted'],
      ['run-0', 'AKIAFLAG0001', 'failed'],
      ['run-1', 'AKIAFLAG0001', 'deleted'],
    ]);
    expect(await audit.pendingIntents()).toEqual([]);
  });

  it('deactivates first under a grace period and deletes on a later run', async () => {
    const inventory = world(1);
    const audit = new MemoryAuditStore();
    let now = NOW;
    const { deps } = depsFor(inventory, audit, { clock: { now: () => now } });
    const config = enabled({ deactivate_grace: '7d' });

    const first = await runCleanup(deps, config, REF);
    now = new Date(NOW.getTime() + 3 * 86_400_000);
    const second = await runCleanup(deps, config, { ...REF, run_id: 'run-2' });
    now = new Date(NOW.getTime() + 8 * 86_400_000);
    const third = await runCleanup(deps, config, { ...REF, run_id: 'run-3' });

    expect(first).toMatchObject({ deactivated: 1, deleted: 0 });
    expect(second).toMatchObject({ waiting: 1, candidates: 0 });
    expect(third).toMatchObject({ deleted: 1 });
    expect(keys.size).toBe(0);
    expect((await audit.query({})).map((entry) => [entry.run_id, entry.action, entry.result])).toEqual([
      ['run-1', 'deactivate', 'deactivated'],
      ['run-3', 'delete', 'deleted'],
    ]);
  });
});

describe("a run's summary over its invocations", () => {
  it('adds up the capacity units of each invocation, as it adds up their counts', () => {
    const first = { ...emptyRunSummary('run-1', true, false), deleted: 2, read_units: 0.1, write_units: 4.5 };
    const second = { ...emptyRunSummary('run-1', true, false), deleted: 1, read_units: 0.2, write_units: 1 };

    expect(mergeSummaries(first, second)).toMatchObject({ invocations: 2, deleted: 3, read_units: 0.3, write_units: 5.5 });
  });
});
