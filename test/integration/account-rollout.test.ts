import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { runCleanup } from '../../src/cleanup/run';
import { validateFixWorkerConfig } from '../../src/config/schema';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { HOME, MEMBER_A, MEMBER_B, Scenario } from './cleanup.fixture';

const ref = (run_id: string) => ({ workflow: 'cleanup' as const, run_id });

/** Rollout account by account (fix.worker `accounts`, docs/owners.md) against moto. */
describe('per-account cleanup settings (moto)', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  async function keyIn(scenario: Scenario, account: string, name: string): Promise<{ user: string; key: string }> {
    const user = await scenario.user(account, name);
    return { user, key: await scenario.key(account, user, 200) };
  }

  const keysOf = async (scenario: Scenario, account: string, user: string) =>
    (await (await scenario.iamIn(account)).iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];

  it('acts live in one account, dry in another, and not at all where cleanup stays off', async () => {
    const scenario = await Scenario.create(emulator, 'rollout');
    const home = await keyIn(scenario, HOME, 'home-ci');
    const live = await keyIn(scenario, MEMBER_A, 'sandbox-ci');
    const dry = await keyIn(scenario, MEMBER_B, 'staging-ci');
    await scenario.collect();
    await scenario.flag([home.key, live.key, dry.key]);
    // Off everywhere but in the two accounts named, one by id and one by name (the fixture names MEMBER_B member-222).
    const config = validateFixWorkerConfig({
      fixworker: { max_cleanup_percent: 100 },
      accounts: { [MEMBER_A]: { cleanup: true, cleanup_dry_run: false }, 'member-222': { cleanup: true } },
    });

    const summary = await runCleanup(scenario.deps(), config, ref('rollout-1'));

    expect(summary).toMatchObject({ cleanup_enabled: true, dry_run: false, deleted: 1, would_delete: 1, not_enabled: 1, candidates: 2 });
    expect(await keysOf(scenario, MEMBER_A, live.user)).toEqual([]);
    expect(await keysOf(scenario, MEMBER_B, dry.user)).toHaveLength(1);
    expect(await keysOf(scenario, HOME, home.user)).toHaveLength(1);
    const entries = await scenario.audit.query({ runId: 'rollout-1' });
    expect(entries.map((entry) => [entry.account, entry.result, entry.dry_run]).sort()).toEqual([
      [MEMBER_A, 'deleted', false],
      [MEMBER_B, 'dry_run', true],
    ]);
  });

  it('measures an account with its own breaker limits on its own keys, and says which setting to raise', async () => {
    const scenario = await Scenario.create(emulator, 'limits');
    const user = await scenario.user(MEMBER_A, 'packer');
    const keys = [await scenario.key(MEMBER_A, user, 200), await scenario.key(MEMBER_A, user, 200)];
    const other = await keyIn(scenario, HOME, 'other');
    await scenario.collect();
    await scenario.flag([...keys, other.key]);
    const config = validateFixWorkerConfig({
      fixworker: { cleanup: true, cleanup_dry_run: false, max_cleanup_percent: 100 },
      accounts: { [MEMBER_A]: { max_cleanup_per_run: 1 } },
    });

    const refused = runCleanup(scenario.deps(), config, ref('limits-1'));

    await expect(refused).rejects.toThrow(`account member-111: 2 keys to clean exceed max_cleanup_per_run (1)`);
    await expect(runCleanup(scenario.deps(), config, ref('limits-2'))).rejects.toMatchObject({
      raise: `cloudsweep config set fix.worker accounts.${MEMBER_A}.max_cleanup_per_run=2`,
    });
    expect(await keysOf(scenario, HOME, other.user)).toHaveLength(1);
  });
});
