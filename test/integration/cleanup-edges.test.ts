import { StatusType, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { Clock, runCleanup } from '../../src/cleanup/run';
import { startFaultProxy } from '../support/fault-proxy';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { executeSearch } from '../../src/query/execute';
import { cleanupDeps, enabledConfig, HOME, MEMBER_A, MEMBER_B, Scenario } from './cleanup.fixture';

const MINUTE = 60_000;
const ref = (run_id: string) => ({ workflow: 'cleanup' as const, run_id });
const iso = (ms: number) => new Date(ms).toISOString();

describe('cleanup at the edges', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  async function flaggedKey(name: string, account: string) {
    const scenario = await Scenario.create(emulator, name);
    const user = await scenario.user(account, 'test-max');
    const key = await scenario.key(account, user, 200);
    await scenario.collect();
    await scenario.flag([key]);
    return { scenario, user, key };
  }

  it('audits a key flagged by a search at the CLI with job_id null, and a job-flagged key with its job', async () => {
    const scenario = await Scenario.create(emulator, 'interactive');
    const user = await scenario.user(MEMBER_A, 'packer-ami');
    const byHand = await scenario.key(MEMBER_A, user, 200);
    const byJob = await scenario.key(MEMBER_A, user, 200);
    await scenario.collect();
    await scenario.flag([byJob]);
    const { graph } = await scenario.store.loadGraph();
    // What `cloudsweep search 'id(KEY) | clean'` writes.
    await scenario.store.updateNodes(executeSearch(`search id(${byHand}) | clean`, { graph, now: new Date() }).updates);

    await runCleanup(scenario.deps(), enabledConfig(), ref('interactive-1'));

    expect((await scenario.node(byHand))?.metadata.flagged_by).toBe('cli');
    const entries = await scenario.audit.query({ runId: 'interactive-1' });
    expect(entries.map((entry) => [entry.access_key_id, entry.result, entry.job_id]).sort()).toEqual(
      [[byHand, 'deleted', null], [byJob, 'deleted', 'clean_outdated_access_keys']].sort(),
    );
    expect(entries.find((entry) => entry.access_key_id === byHand)?.reason).toMatch(/^flagged by a search at the CLI/);
  });

  it('stops taking keys when its time runs short, and later invocations of the run finish the rest, each key decided once', async () => {
    const scenario = await Scenario.create(emulator, 'budget');
    const keys: { account: string; user: string; key: string }[] = [];
    for (const account of [HOME, MEMBER_A]) {
      for (const name of ['packer-ami', 'test-max']) {
        const user = await scenario.user(account, name);
        for (let i = 0; i < 2; i += 1) keys.push({ account, user, key: await scenario.key(account, user, 200) });
      }
    }
    const unreachable = await scenario.user(MEMBER_B, 'ci-bot');
    const stranded = await scenario.key(MEMBER_B, unreachable, 200);
    const guarded = await scenario.user(HOME, 'jenkins', { 'cloudsweep:protect': 'true' });
    const protectedKey = await scenario.key(HOME, guarded, 200);
    await scenario.collect();
    await scenario.flag([...keys.map((k) => k.key), stranded, protectedKey]);
    await emulator.denyAssumeRole([MEMBER_B]);
    // Each invocation has time for three keys: the first is always taken, then two checks find time left.
    const invocation = () => {
      let checks = 0;
      return () => (++checks <= 2 ? 10 * MINUTE : 0);
    };
    const config = enabledConfig({ cleanup_pool_size: 1 });
    const summaries = [];
    try {
      let summary = await runCleanup(scenario.deps({ remainingMs: invocation() }), config, ref('budget-1'));
      summaries.push(summary);
      while (summary.remaining > 0 && summaries.length < 10) {
        summary = await runCleanup(scenario.deps({ remainingMs: invocation() }), config, ref('budget-1'), undefined, summary);
        summaries.push(summary);
      }
    } finally {
      await emulator.denyAssumeRole([]);
    }

    expect(summaries.map((s) => [s.invocations, s.remaining])).toEqual([[1, 6], [2, 3], [3, 0]]);
    expect(summaries.at(-1)).toMatchObject({ flagged: 10, protected: 1, candidates: 9, deleted: 8, failed: 1, failed_accounts: [MEMBER_B] });
    expect(summaries.at(-1)?.account_failures).toEqual([expect.objectContaining({ account_id: MEMBER_B, keys: 1 })]);
    expect(summaries[0]?.incomplete).toContain('6 keys left when the time of 1 cleanup invocation ran out');
    expect(summaries.at(-1)?.incomplete).not.toContain('keys left when');
    for (const { account, user, key } of keys) expect(await scenario.keysOf(account, user)).not.toHaveProperty(key);
    const entries = await scenario.audit.query({ runId: 'budget-1' });
    expect(entries.map((entry) => entry.access_key_id).sort()).toEqual([...keys.map((k) => k.key), stranded, protectedKey].sort());
  });

  describe('the grace period', () => {
    it('runs from when IAM applied a throttled deactivation, not from the decision', async () => {
      const { scenario, user, key } = await flaggedKey('late', MEMBER_B);
      const proxy = await startFaultProxy({ target: emulator.endpoint, throttleRate: 1, throttleOperations: ['iam:UpdateAccessKey'], maxThrottlesPerCall: 2 });
      const start = Date.now();
      // Time moves ten minutes with each throttled attempt, and only then: no test waits on a real clock.
      const clock: Clock = { now: () => new Date(start + proxy.stats().throttled * 10 * MINUTE) };
      const config = enabledConfig({ deactivate_grace: '30m' });
      try {
        const first = await runCleanup(cleanupDeps({ ...scenario.settings, endpoint: proxy.endpoint }, { clock }), config, ref('late-1'));

        expect(first).toMatchObject({ deactivated: 1, failed: 0 });
        expect(proxy.stats().throttled).toBe(2);
      } finally {
        await proxy.stop();
      }
      const appliedAt = start + 20 * MINUTE;
      expect((await scenario.node(key))?.metadata.deactivated_at).toBe(iso(appliedAt));

      // 45 minutes after the decision, but only 25 after IAM deactivated the key: it waits.
      const early = await runCleanup(scenario.deps({ clock: scenario.clockAt(new Date(start + 45 * MINUTE)) }), config, ref('late-2'));
      expect(early).toMatchObject({ waiting: 1, deleted: 0 });
      expect(await scenario.keysOf(MEMBER_B, user)).toEqual({ [key]: 'Inactive' });

      const due = await runCleanup(scenario.deps({ clock: scenario.clockAt(new Date(appliedAt + 31 * MINUTE)) }), config, ref('late-3'));
      expect(due).toMatchObject({ deleted: 1 });
      expect((await scenario.audit.query({ runId: 'late-3' }))[0]?.reason).toContain(`inactive since ${iso(appliedAt)}`);
    });

    it('runs from when a settle saw the key inactive after a crashed deactivation', async () => {
      const { scenario, user, key } = await flaggedKey('settle', MEMBER_A);
      const crashedAt = Date.now() - 60 * MINUTE;
      await scenario.audit.recordIntent({
        run_id: 'settle-1',
        at: iso(crashedAt),
        account: MEMBER_A,
        user_name: user,
        access_key_id: key,
        action: 'deactivate',
        result: 'pending',
        dry_run: false,
        job_id: 'clean_outdated_access_keys',
        reason: 'flagged by clean_outdated_access_keys',
      });
      const { iam } = await scenario.iamIn(MEMBER_A);
      await iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: key, Status: StatusType.Inactive }));
      const config = enabledConfig({ deactivate_grace: '30m' });
      const settledAt = crashedAt + 60 * MINUTE;

      const settle = await runCleanup(scenario.deps({ clock: scenario.clockAt(new Date(settledAt)) }), config, ref('settle-2'));

      expect(settle).toMatchObject({ reconciled: 1, waiting: 1, deleted: 0 });
      expect((await scenario.node(key))?.metadata.deactivated_at).toBe(iso(settledAt));
      const early = await runCleanup(scenario.deps({ clock: scenario.clockAt(new Date(settledAt + 20 * MINUTE)) }), config, ref('settle-3'));
      expect(early).toMatchObject({ waiting: 1, deleted: 0 });
      expect(await scenario.keysOf(MEMBER_A, user)).toEqual({ [key]: 'Inactive' });
    });
  });
});
