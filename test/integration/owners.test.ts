import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand, TagUserCommand } from '@aws-sdk/client-iam';
import { CreateEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { AwsClients } from '../../src/aws/clients';
import { runCleanup } from '../../src/cleanup/run';
import { collectInventory } from '../../src/collect';
import { defaultFixWorkerConfig } from '../../src/config/fix-worker';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { CliResult, emulatorClients, emulatorEnv, runCli } from '../support/aws';
import { cleanupDeps, enabledConfig } from './cleanup.fixture';

const HOME = '123456789012';
const DAY = 24 * 3600 * 1000;

/** Owners in the loop (docs/owners.md) against moto: who owns a key, exemptions, restore. */
describe('owners (moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let env: NodeJS.ProcessEnv;
  const keys: Record<string, string> = {};

  const cli = (...argv: string[]): Promise<CliResult> => runCli(argv, env);

  async function userWithKey(name: string, tags: Record<string, string>): Promise<void> {
    await aws.iam.send(new CreateUserCommand({ UserName: name, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    const created = await aws.iam.send(new CreateAccessKeyCommand({ UserName: name }));
    keys[name] = created.AccessKey?.AccessKeyId ?? '';
    await emulator.setAccessKey({ accountId: HOME, accessKeyId: keys[name], createDate: new Date(Date.now() - 400 * DAY).toISOString(), lastUsed: null });
  }

  async function collect(): Promise<void> {
    const store = createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable);
    await collectInventory({ aws, store, sleep: async () => undefined }, defaultFixWorkerConfig().collector, `run-${Date.now()}`);
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = emulatorClients(emulator);
    env = emulatorEnv(emulator);
    expect((await cli('init')).code).toBe(0);
    await userWithKey('nancy', { Owner: 'Nancy <nancy@example.com>' });
    await userWithKey('ci', { team: 'platform' });
    await userWithKey('vendor', {});
    await collect();
  });
  afterAll(() => emulator.stop());

  it('lists each key\'s owner: the user\'s owner tag, else the account\'s contact from fix.worker', async () => {
    const before = await cli('search', '--output', 'json', 'is(access_key) | sort user_name | list user_name, owner');
    expect(JSON.parse(before.out)).toEqual([
      { user_name: 'ci', owner: null },
      { user_name: 'nancy', owner: 'nancy@example.com' },
      { user_name: 'vendor', owner: null },
    ]);
    expect((await cli('config', 'set', 'fix.worker', `notify.account_contacts={"${HOME}": home-team@example.com}`)).code).toBe(0);
    const after = await cli('search', '--output', 'json', 'is(access_key) | sort user_name | list user_name, owner');
    expect(JSON.parse(after.out)).toEqual([
      { user_name: 'ci', owner: 'home-team@example.com' },
      { user_name: 'nancy', owner: 'nancy@example.com' },
      { user_name: 'vendor', owner: 'home-team@example.com' },
    ]);
    const byTag = await cli('search', 'is(access_key) and /ancestors.user.reported.tags.Owner ~ nancy | count user_name');
    expect(byTag.out).toContain('nancy: 1');
  });

  it('keeps an exemption until its end; once ended, | protect no longer protects and an ended protect tag says to remove it', async () => {
    await aws.iam.send(new TagUserCommand({ UserName: 'ci', Tags: [{ Key: 'cloudsweep:protect', Value: 'until=2026-01-01; reason=old rotation' }] }));
    await collect();
    const protect = await cli('search', 'is(user) and name = vendor | protect --until 2027-03-31 --reason "vendor migration"');
    expect(protect.code).toBe(0);

    const listed = await cli('exemptions', '--output', 'json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({ user_name: 'ci', source: 'tag cloudsweep:protect', until: '2026-01-01', state: 'ended', reason: 'old rotation', owner: 'home-team@example.com', set_by: null }),
      expect.objectContaining({ user_name: 'vendor', source: 'metadata.protected', until: '2027-03-31', state: 'active', reason: 'vendor migration', owner: 'home-team@example.com', set_by: expect.stringMatching(/^arn:aws:/) }),
    ]);
    const expiring = await cli('exemptions', '--expiring', '30d');
    expect(expiring.out).toContain('ci');
    expect(expiring.out).not.toContain('vendor');
    expect(expiring.out).toContain('remove the tag from ci');

    expect((await cli('search', 'is(access_key) | clean')).code).toBe(0);
    const settings = { endpoint: emulator.endpoint, inventoryTable: DEFAULT_RESOURCE_NAMES.inventoryTable, auditTable: DEFAULT_RESOURCE_NAMES.auditTable };
    const during = await runCleanup(cleanupDeps(settings, { clock: { now: () => new Date('2027-03-31T23:00:00Z') } }), enabledConfig({ cleanup: false }), { workflow: 'cleanup', run_id: 'exempt-0' });
    expect(during.protected).toBe(2);
    const after = await runCleanup(cleanupDeps(settings, { clock: { now: () => new Date('2027-04-01T00:00:00Z') } }), enabledConfig(), { workflow: 'cleanup', run_id: 'exempt-1' });
    expect(after).toMatchObject({ deleted: 2, protected: 1 });
    const remaining = async (user: string) => (await aws.iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];
    expect(await remaining('vendor')).toEqual([]);
    expect(await remaining('nancy')).toEqual([]);
    expect(await remaining('ci')).toHaveLength(1);
    const audit = JSON.parse((await cli('audit', '--run', 'exempt-1', '--output', 'json')).out) as { user_name: string; reason: string }[];
    expect(audit.find((entry) => entry.user_name === 'ci')?.reason).toMatch(/exemption of user ci ended at 2026-01-01 .*remove the tag/);
  });

  it('restore brings back a key cloudsweep deactivated: Active, unflagged, protected for restore_protection, audited with who and why, its owner told', async () => {
    await userWithKey('batch', { owner: 'batch-team@example.com' });
    await userWithKey('gone', {});
    await userWithKey('unsent', { owner: 'unsent-team@example.com' });
    await collect();
    expect((await cli('search', 'is(access_key) and /ancestors.user.reported.name in [batch, gone, unsent] | clean')).code).toBe(0);
    const settings = { endpoint: emulator.endpoint, inventoryTable: DEFAULT_RESOURCE_NAMES.inventoryTable, auditTable: DEFAULT_RESOURCE_NAMES.auditTable };
    const deactivated = await runCleanup(cleanupDeps(settings), enabledConfig({ deactivate_grace: '7d' }), { workflow: 'cleanup', run_id: 'restore-1' });
    expect(deactivated.deactivated).toBe(3);
    const statusOf = async (user: string) => (await aws.iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata?.[0]?.Status;
    expect(await statusOf('batch')).toBe('Inactive');

    await aws.sesv2.send(new CreateEmailIdentityCommand({ EmailIdentity: 'cloudsweep@example.com' }));
    const restored = await cli('restore', keys.batch ?? '', '--reason', 'nightly export still uses it', '--notify-sender', 'cloudsweep@example.com');
    expect(restored.code).toBe(0);
    expect(restored.out).toMatch(/^restored \S+ of user batch in account 123456789012: Active again, unflagged, protected until 20\d\d-.*\ntold its owner batch-team@example.com\n?$/s);
    // The owner's message, as moto's SES recorded it (GET /moto-api/data.json, model ses.Message).
    const data = (await (await fetch(`${emulator.endpoint}/moto-api/data.json`)).json()) as { ses?: { Message?: { source: string; subject: string; body: string; destinations: { ToAddresses?: string[] } }[] } };
    const told = (data.ses?.Message ?? []).filter((message) => message.destinations.ToAddresses?.includes('batch-team@example.com'));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ source: 'cloudsweep@example.com', subject: `cloudsweep: access key ${keys.batch} of batch is active again` });
    expect(told[0]?.body).toContain('restored it: nightly export still uses it.');
    expect(told[0]?.body).toContain(`cloudsweep search 'id(${keys.batch}) | protect --until YYYY-MM-DD --reason "..."'`);
    expect(await statusOf('batch')).toBe('Active');
    const node = (await createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable).loadGraph()).graph.node(keys.batch ?? '');
    expect(node?.desired.clean).toBe(false);
    expect(node?.metadata).toMatchObject({ protected: true, protect_reason: expect.stringMatching(/^restored by arn:aws:.*: nightly export still uses it$/) });
    expect(node?.metadata.deactivated_at).toBeUndefined();
    const protectedFor = Date.parse(String(node?.metadata.protected_until)) - Date.now();
    expect(protectedFor).toBeGreaterThan(29 * DAY);
    expect(protectedFor).toBeLessThanOrEqual(30 * DAY);
    const audit = JSON.parse((await cli('audit', '--output', 'json')).out) as { access_key_id: string; action: string; result: string; reason: string }[];
    expect(audit.find((entry) => entry.access_key_id === keys.batch && entry.action === 'restore')).toMatchObject({ result: 'restored', reason: expect.stringContaining('nightly export still uses it') });

    // SES refuses a sender it has not verified: the key is restored all the same, and the command says who was not told.
    const unsent = await cli('restore', keys.unsent ?? '', '--notify-sender', 'unverified@example.com');
    expect(unsent.code).toBe(0);
    expect(await statusOf('unsent')).toBe('Active');
    expect(unsent.err).toMatch(/^warning: its owner unsent-team@example.com was not told: .+/);

    // The next run leaves it alone; the other key goes on to its deletion once the grace is over.
    const later = await runCleanup(cleanupDeps(settings, { clock: { now: () => new Date(Date.now() + 8 * DAY) } }), enabledConfig({ deactivate_grace: '7d' }), { workflow: 'cleanup', run_id: 'restore-2' });
    expect(later.deleted).toBe(1);
    expect(await statusOf('batch')).toBe('Active');

    const refused = await cli('restore', keys.gone ?? '');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${keys.gone} was deleted at`);
    expect(refused.err).toContain('cloudsweep audit --run restore-2');
    const never = await cli('restore', keys.ci ?? '');
    expect(never.code).toBe(1);
    expect(never.err).toContain('cloudsweep has not deactivated');
  });

  it('config: per-account overrides are validated, shown as effective settings, and an unknown account is a warning', async () => {
    const unknownKey = await cli('config', 'set', 'fix.worker', 'accounts.sandbox.protect_tag=keep');
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.err).toContain('unknown key accounts.sandbox.protect_tag; allowed keys per account: cleanup, cleanup_dry_run, deactivate_grace, notice_period, max_cleanup_per_run, max_cleanup_percent');
    const wrongType = await cli('config', 'set', 'fix.worker', 'accounts.sandbox.cleanup=yes please');
    expect(wrongType.code).toBe(2);
    expect(wrongType.err).toContain('accounts.sandbox.cleanup: string "yes please" is not a boolean');

    const byId = await cli('config', 'set', 'fix.worker', `accounts.${HOME}.cleanup=true`, `accounts.${HOME}.cleanup_dry_run=false`);
    expect(byId.code).toBe(0);
    expect(byId.err).toBe('');
    const byName = await cli('config', 'set', 'fix.worker', 'accounts.sandbox.cleanup=true');
    expect(byName.code).toBe(0);
    expect(byName.err).toMatch(/^warning: fix\.worker accounts: sandbox names no account of the inventory/);

    const shown = await cli('config', 'get', 'fix.worker');
    expect(shown.out).toContain('# Effective cleanup settings per account:');
    expect(shown.out).toContain(`#   ${HOME}: cleanup=true cleanup_dry_run=false deactivate_grace=0d notice_period=0d max_cleanup_per_run=100 max_cleanup_percent=25`);
    expect(shown.out).toContain('#   sandbox: cleanup=true cleanup_dry_run=true');
    expect(shown.out).toContain('#   every other account: cleanup=false cleanup_dry_run=true');
    expect((await cli('config', 'get', 'fix.worker', `accounts.${HOME}.cleanup_dry_run`)).out).toBe('false');
    expect((await cli('config', 'get', 'fix.worker', 'accounts.elsewhere.cleanup')).out).toBe('false');
    expect((await cli('config', 'validate', 'fix.worker')).code).toBe(0);

    expect((await cli('config', 'set', 'fix.worker', 'accounts.sandbox=null', `accounts.${HOME}=null`)).code).toBe(0);
    expect((await cli('config', 'get', 'fix.worker', '--output', 'json')).out).not.toContain('effective');
  });
});
