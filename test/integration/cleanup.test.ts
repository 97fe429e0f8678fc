import { CleanupRefusedError, drawCleanupPlan, runCleanup } from '../../src/cleanup/run';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { startFaultProxy } from '../support/fault-proxy';
import { cleanupDeps, enabledConfig, HOME, MEMBER_A, MEMBER_B, Scenario } from './cleanup.fixture';

const DAY = 86_400_000;
const ref = (run_id: string) => ({ workflow: 'cleanup' as const, run_id });

describe('cleanup against the emulator', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  /** Three accounts, each with a user holding one flagged and one unflagged old key. */
  async function threeAccounts(name: string) {
    const scenario = await Scenario.create(emulator, name);
    const flagged: { account: string; user: string; key: string }[] = [];
    const kept: { account: string; user: string; key: string }[] = [];
    for (const account of [HOME, MEMBER_A, MEMBER_B]) {
      const user = await scenario.user(account, 'ci');
      flagged.push({ account, user, key: await scenario.key(account, user, 200) });
      kept.push({ account, user, key: await scenario.key(account, user, 10, 1) });
    }
    await scenario.collect();
    await scenario.flag(flagged.map((key) => key.key));
    return { scenario, flagged, kept };
  }

  it('deletes nothing in a dry run and audits every decision', async () => {
    const { scenario, flagged, kept } = await threeAccounts('dry');

    const summary = await runCleanup(scenario.deps(), enabledConfig({ cleanup_dry_run: true }), ref('dry-1'));

    expect(summary).toMatchObject({ dry_run: true, flagged: 3, would_delete: 3, deleted: 0, failed: 0 });
    for (const { account, user, key } of [...flagged, ...kept]) expect(await scenario.keysOf(account, user)).toHaveProperty(key, 'Active');
    const entries = await scenario.audit.query({ runId: 'dry-1' });
    expect(entries.map((entry) => [entry.account, entry.access_key_id, entry.action, entry.result, entry.dry_run]).sort()).toEqual(
      flagged.map(({ account, key }) => [account, key, 'delete', 'dry_run', true]).sort(),
    );
    expect((await scenario.node(flagged[0]!.key))?.metadata.cleaned).toBeUndefined();
  });

  it('deletes exactly the flagged, unprotected keys across three accounts', async () => {
    const { scenario, flagged, kept } = await threeAccounts('real');
    const tagged = await scenario.user(MEMBER_A, 'jenkins', { 'cloudsweep:protect': 'true' });
    const taggedKey = await scenario.key(MEMBER_A, tagged, 300);
    const marked = await scenario.user(MEMBER_B, 'packer');
    const markedKey = await scenario.key(MEMBER_B, marked, 300);
    await scenario.collect();
    await scenario.flag([taggedKey, markedKey]);
    await scenario.setMetadata(markedKey, { protected: true });

    const summary = await runCleanup(scenario.deps(), enabledConfig(), ref('real-1'));

    expect(summary).toMatchObject({ flagged: 5, protected: 2, candidates: 3, deleted: 3, skipped: 0, failed: 0, dry_run: false });
    // The inventory scan and the marks and audit written, as DynamoDB reported their capacity.
    expect(summary.read_units).toBeGreaterThan(0);
    expect(summary.write_units).toBeGreaterThan(0);
    for (const { account, user, key } of flagged) expect(await scenario.keysOf(account, user)).not.toHaveProperty(key);
    for (const { account, user, key } of kept) expect(await scenario.keysOf(account, user)).toHaveProperty(key, 'Active');
    expect(await scenario.keysOf(MEMBER_A, tagged)).toHaveProperty(taggedKey, 'Active');
    expect(await scenario.keysOf(MEMBER_B, marked)).toHaveProperty(markedKey, 'Active');
    const entries = await scenario.audit.query({ runId: 'real-1' });
    expect(entries.filter((entry) => entry.result === 'deleted').map((entry) => entry.access_key_id).sort()).toEqual(flagged.map((key) => key.key).sort());
    expect(entries.filter((entry) => entry.result === 'skipped').map((entry) => entry.access_key_id).sort()).toEqual([taggedKey, markedKey].sort());
    expect((await scenario.node(flagged[1]!.key))?.metadata).toMatchObject({ cleaned: true, cleaned_by: 'real-1' });

    const again = await runCleanup(scenario.deps(), enabledConfig(), ref('real-2'));
    expect(again).toMatchObject({ candidates: 0, deleted: 0, already_absent: 0 });
  });

  it('keeps a key whose user got the protect tag after the collect', async () => {
    const scenario = await Scenario.create(emulator, 'tag');
    const user = await scenario.user(MEMBER_A, 'nancy');
    const key = await scenario.key(MEMBER_A, user, 200);
    await scenario.collect();
    await scenario.flag([key]);
    const { iam } = await scenario.iamIn(MEMBER_A);
    const { TagUserCommand } = await import('@aws-sdk/client-iam');
    await iam.send(new TagUserCommand({ UserName: user, Tags: [{ Key: 'cloudsweep:protect', Value: 'ticket-42' }] }));

    const summary = await runCleanup(scenario.deps(), enabledConfig(), ref('tag-1'));

    expect(summary).toMatchObject({ skipped: 1, deleted: 0 });
    expect(await scenario.keysOf(MEMBER_A, user)).toHaveProperty(key);
    expect((await scenario.audit.query({ runId: 'tag-1' }))[0]?.reason).toBe(`protected: user ${user} carries the protect tag cloudsweep:protect=ticket-42`);
  });

  it('refuses the whole run when the circuit breaker trips, and touches nothing', async () => {
    const { scenario, flagged } = await threeAccounts('breaker');
    const plan = await drawCleanupPlan(scenario.deps(), enabledConfig({ max_cleanup_percent: 25 }));
    expect(plan.refusal).toBe('3 of 6 keys in scope (50%) exceed max_cleanup_percent (25%)');

    await expect(runCleanup(scenario.deps(), enabledConfig({ max_cleanup_percent: 25 }), ref('breaker-1'))).rejects.toBeInstanceOf(CleanupRefusedError);

    for (const { account, user, key } of flagged) expect(await scenario.keysOf(account, user)).toHaveProperty(key, 'Active');
    expect(scenario.published.map((published) => published.event)).toEqual(['cleanup_refused']);
    expect(scenario.published[0]?.summary).toMatchObject({ refused: plan.refusal, deleted: 0 });
    expect((await scenario.node(flagged[0]!.key))?.metadata.cleaned).toBeUndefined();
    expect(await scenario.audit.pendingIntents()).toEqual([]);
  });

  it('keeps and unflags a key used after it was flagged', async () => {
    const scenario = await Scenario.create(emulator, 'used');
    const user = await scenario.user(HOME, 'db-runner');
    const usedKey = await scenario.key(HOME, user, 200);
    const idleKey = await scenario.key(HOME, user, 200);
    await scenario.collect();
    await scenario.flag([usedKey, idleKey], new Date(Date.now() - 60_000));
    await scenario.use(HOME, usedKey);

    const summary = await runCleanup(scenario.deps(), enabledConfig(), ref('used-1'));

    expect(summary).toMatchObject({ deleted: 1, skipped: 1, unflagged: 1 });
    expect(Object.keys(await scenario.keysOf(HOME, user))).toEqual([usedKey]);
    expect((await scenario.node(usedKey))?.desired.clean).toBe(false);
    expect((await scenario.audit.query({ runId: 'used-1' })).find((entry) => entry.access_key_id === usedKey)?.reason).toMatch(/after it was flagged/);
  });

  it('keeps a key in daily use that was flagged after its last use: the act-time floor', async () => {
    const scenario = await Scenario.create(emulator, 'floor');
    const user = await scenario.user(MEMBER_A, 'deployer');
    const dailyKey = await scenario.key(MEMBER_A, user, 200);
    const newKey = await scenario.key(MEMBER_A, user, 5);
    const other = await scenario.user(MEMBER_A, 'reporter');
    const idleKey = await scenario.key(MEMBER_A, other, 200, 120);
    await scenario.use(MEMBER_A, dailyKey, new Date(Date.now() - 60_000));
    await scenario.collect();
    await scenario.flag([dailyKey, newKey, idleKey]);

    const summary = await runCleanup(scenario.deps(), enabledConfig(), ref('floor-1'));

    expect(summary).toMatchObject({ deleted: 1, skipped: 2, unflagged: 2 });
    expect(Object.keys(await scenario.keysOf(MEMBER_A, user)).sort()).toEqual([dailyKey, newKey].sort());
    expect(await scenario.keysOf(MEMBER_A, other)).toEqual({});
    const reasons = Object.fromEntries((await scenario.audit.query({ runId: 'floor-1' })).map((entry) => [entry.access_key_id, entry.reason]));
    expect(reasons[dailyKey]).toMatch(/^below the act-time floor: IAM shows it last used at .*less than the minimum idle time of 30d/);
    expect(reasons[newKey]).toMatch(/^below the act-time floor: IAM shows it never used, created at/);
    expect((await scenario.node(dailyKey))?.desired.clean).toBe(false);
  });

  it('deactivates first under a grace period and deletes on a later run', async () => {
    const scenario = await Scenario.create(emulator, 'grace');
    const user = await scenario.user(MEMBER_B, 'test-max');
    const key = await scenario.key(MEMBER_B, user, 200);
    await scenario.collect();
    await scenario.flag([key]);
    const config = enabledConfig({ deactivate_grace: '7d' });
    const start = Date.now();

    const first = await runCleanup(scenario.deps(), config, ref('grace-1'));
    const afterFirst = await scenario.keysOf(MEMBER_B, user);
    const second = await runCleanup(scenario.deps({ clock: scenario.clockAt(new Date(start + 3 * DAY)) }), config, ref('grace-2'));
    const third = await runCleanup(scenario.deps({ clock: scenario.clockAt(new Date(start + 8 * DAY)) }), config, ref('grace-3'));

    expect(first).toMatchObject({ deactivated: 1, deleted: 0 });
    expect(afterFirst).toEqual({ [key]: 'Inactive' });
    expect(second).toMatchObject({ waiting: 1, candidates: 0, deleted: 0 });
    expect(third).toMatchObject({ deleted: 1 });
    expect(await scenario.keysOf(MEMBER_B, user)).toEqual({});
    expect((await scenario.audit.query({})).map((entry) => [entry.run_id, entry.action, entry.result])).toEqual([
      ['grace-1', 'deactivate', 'deactivated'],
      ['grace-3', 'delete', 'deleted'],
    ]);
  });

  it('counts a key deleted behind its back as done', async () => {
    const scenario = await Scenario.create(emulator, 'absent');
    const user = await scenario.user(MEMBER_A, 'ccm-sa');
    const key = await scenario.key(MEMBER_A, user, 200);
    await scenario.collect();
    await scenario.flag([key]);
    const { iam } = await scenario.iamIn(MEMBER_A);
    const { DeleteAccessKeyCommand } = await import('@aws-sdk/client-iam');
    await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: key }));

    const summary = await runCleanup(scenario.deps(), enabledConfig(), ref('absent-1'));

    expect(summary).toMatchObject({ already_absent: 1, failed: 0 });
    expect((await scenario.audit.query({ runId: 'absent-1' }))[0]).toMatchObject({ action: 'delete', result: 'already_absent' });
    expect((await scenario.node(key))?.metadata.cleaned).toBe(true);
  });

  it('survives throttling from the fault proxy with nothing lost', async () => {
    const scenario = await Scenario.create(emulator, 'throttle');
    const keys: { account: string; user: string; key: string }[] = [];
    for (const account of [HOME, MEMBER_A, MEMBER_B]) {
      for (const name of ['packer-ami', 'test-max']) {
        const user = await scenario.user(account, name); // IAM allows two keys per user
        for (let i = 0; i < 2; i += 1) keys.push({ account, user, key: await scenario.key(account, user, 200) });
      }
    }
    await scenario.collect();
    await scenario.flag(keys.map((key) => key.key));
    const proxy = await startFaultProxy({ target: emulator.endpoint, throttleRate: 0.1, seed: 7 });
    try {
      const throttled = cleanupDeps({ ...scenario.settings, endpoint: proxy.endpoint });

      const summary = await runCleanup(throttled, enabledConfig({ cleanup_pool_size: 8 }), ref('throttle-1'));

      expect(proxy.stats().throttled).toBeGreaterThan(0);
      expect(summary).toMatchObject({ deleted: 12, failed: 0 });
      for (const { account, user } of keys) expect(await scenario.keysOf(account, user)).toEqual({});
      const entries = await scenario.audit.query({ runId: 'throttle-1' });
      expect(entries.map((entry) => entry.result)).toEqual(Array(12).fill('deleted'));
      expect(await scenario.audit.pendingIntents()).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
