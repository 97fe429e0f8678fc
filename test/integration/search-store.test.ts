import { CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { AwsClients } from '../../src/aws/clients';
import { createTable } from '../../src/aws/provision';
import { collectInventory } from '../../src/collect';
import { defaultFixWorkerConfig } from '../../src/config/fix-worker';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { DynamoAuditStore } from '../../src/cleanup/dynamo-audit-store';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { DynamoLease } from '../../src/workflow/lease';
import { CliResult, emulatorClients, emulatorEnv, runCli } from '../support/aws';

const HOME = '123456789012';
const NOW = '2026-11-24T12:00:00Z';

describe('cloudsweep search on the stored inventory (moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let env: NodeJS.ProcessEnv;
  const keys: Record<string, string> = {};

  async function userWithKey(name: string, lastUsedDaysAgo: number | null): Promise<void> {
    await aws.iam.send(new CreateUserCommand({ UserName: name }));
    const created = await aws.iam.send(new CreateAccessKeyCommand({ UserName: name }));
    const accessKeyId = created.AccessKey?.AccessKeyId ?? '';
    keys[name] = accessKeyId;
    const day = 24 * 3600 * 1000;
    await emulator.setAccessKey({
      accountId: HOME,
      accessKeyId,
      createDate: new Date(Date.parse(NOW) - 400 * day).toISOString(),
      lastUsed: lastUsedDaysAgo === null ? null : { date: new Date(Date.parse(NOW) - lastUsedDaysAgo * day).toISOString() },
    });
  }

  const cli = (...argv: string[]): Promise<CliResult> => runCli(argv, env);

  const stored = () => createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable).loadGraph();

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = emulatorClients(emulator);
    env = emulatorEnv(emulator);
    expect((await cli('init')).code).toBe(0);
    await userWithKey('nancy', 200);
    await userWithKey('jenkins', null);
    await userWithKey('ci', 3);
    const store = createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable);
    await collectInventory({ aws, store, sleep: async () => undefined }, defaultFixWorkerConfig().collector, 'run-search');
  });
  afterAll(() => emulator.stop());

  it('counts the unused keys by user as the seed does', async () => {
    const counted = await cli('search', '--now', NOW, 'is(access_key) and last_access > 90days <-- is(user) | count name');
    expect(counted.code).toBe(0);
    expect(counted.out).toBe('jenkins: 1\nnancy: 1\ntotal matched: 2\ntotal unmatched: 0');
  });

  it('clean flags the matched keys for the cli, once', async () => {
    const query = 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean';
    expect((await cli('search', '--now', NOW, query)).code).toBe(0);
    const first = (await stored()).graph.node(keys.nancy ?? '');
    expect(first).toMatchObject({ desired: { clean: true }, metadata: { flagged_by: 'cli' } });
    expect((await stored()).graph.node(keys.jenkins ?? '')?.desired.clean).toBeUndefined();

    expect((await cli('search', '--now', '2026-11-25T12:00:00Z', query)).code).toBe(0);
    expect((await stored()).graph.node(keys.nancy ?? '')?.metadata.flagged_at).toBe(first?.metadata.flagged_at);
  });

  it('protect and unprotect persist on the stored nodes', async () => {
    expect((await cli('search', 'is(user) and name = ci | protect')).code).toBe(0);
    const ciUser = [...(await stored()).graph.nodes()].find((n) => n.kind === 'aws_iam_user' && n.reported.name === 'ci');
    expect(ciUser?.metadata.protected).toBe(true);

    expect((await cli('search', 'is(user) and name = ci | unprotect')).code).toBe(0);
    const again = (await stored()).graph.node(ciUser?.id ?? '');
    expect(again?.metadata.protected).not.toBe(true);
  });

  it('refuses clean and unprotect while a workflow run holds the lease, naming it; protect goes through at once', async () => {
    const lease = new DynamoLease(aws, DEFAULT_RESOURCE_NAMES.runsTable);
    const run = { holder: 'run-cleaning', workflow: 'cleanup', where: 'step-functions:run-cleaning', acquired_at: new Date().toISOString() };
    expect(await lease.tryAcquire(run, 300)).toEqual({ acquired: true });
    try {
      const before = JSON.stringify([...(await stored()).graph.nodes()]);
      const refused = await cli('search', '--lease-wait', '0s', 'is(access_key) | clean');
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('another workflow run holds the lease: run run-cleaning (cleanup');
      expect((await cli('search', '--lease-wait', '0s', 'is(user) | unprotect')).code).toBe(1);
      expect(JSON.stringify([...(await stored()).graph.nodes()])).toBe(before);

      expect((await cli('search', 'is(user) and name = jenkins | protect')).code).toBe(0);
      expect([...(await stored()).graph.nodes()].find((n) => n.reported.name === 'jenkins')?.metadata.protected).toBe(true);
    } finally {
      await lease.release('run-cleaning');
    }
    // Free again: the search takes the lease for its write and gives it back.
    expect((await cli('search', 'is(user) and name = jenkins | unprotect')).code).toBe(0);
    expect(await lease.tryAcquire(run, 1)).toEqual({ acquired: true });
    await lease.release('run-cleaning');
  });

  it('leaves out the keys cleanup deleted unless asked, and shows a key it deactivated Inactive, before the next collect', async () => {
    const store = createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable);
    const nancy = (await stored()).graph.node(keys.nancy ?? '');
    const jenkins = (await stored()).graph.node(keys.jenkins ?? '');
    const at = new Date().toISOString();
    await store.updateNodes([
      { id: keys.nancy ?? '', accountId: HOME, metadata: { ...nancy?.metadata, cleaned: true, cleaned_at: at, cleaned_by: 'run-x', cleanup_result: 'deleted' } },
      { id: keys.jenkins ?? '', accountId: HOME, metadata: { ...jenkins?.metadata, deactivated_at: at, deactivated_by: 'run-x' } },
    ]);
    const listed = await cli('search', '--output', 'json', 'is(access_key) | sort /ancestors.user.reported.name | list /ancestors.user.reported.name as user, access_key_status');
    expect(JSON.parse(listed.out)).toEqual([
      { user: 'ci', access_key_status: 'Active' },
      { user: 'jenkins', access_key_status: 'Inactive' },
    ]);
    const all = await cli('search', '--include-deleted', 'is(access_key) | count');
    expect(all.out).toBe('total matched: 3\ntotal unmatched: 0');
    await store.updateNodes([
      { id: keys.nancy ?? '', accountId: HOME, metadata: nancy?.metadata ?? {} },
      { id: keys.jenkins ?? '', accountId: HOME, metadata: jenkins?.metadata ?? {} },
    ]);
  });

  it('says the inventory was never collected when its table is empty, rather than only finding nothing', async () => {
    await createTable(aws, 'never-collected');
    const result = await runCli(['search', 'is(access_key) | count'], { ...env, CLOUDSWEEP_INVENTORY_TABLE: 'never-collected' });
    expect(result).toEqual({
      code: 0,
      out: 'total matched: 0\ntotal unmatched: 0',
      err: 'warning: the inventory was never collected (table never-collected holds no account); collect first: cloudsweep workflow run collect',
    });
    expect((await cli('search', 'is(access_key) | count')).err).toBe('');
  });

  it('unclean clears the flag and its metadata, counts what it unflagged, and records who and why', async () => {
    const key = keys.nancy ?? '';
    expect((await cli('search', `id(${key}) | clean "unused for 90 days"`)).code).toBe(0);
    expect((await stored()).graph.node(key)?.desired.clean).toBe(true);

    const since = new Date();
    const undone = await cli('--output', 'json', 'search', `id(${key}) or is(user) | unclean "nancy's key runs the nightly export"`);
    expect(undone.code).toBe(0);
    expect(JSON.parse(undone.out)).toEqual({ matched: 4, unflagged: 1, not_flagged: 3 });
    const node = (await stored()).graph.node(key);
    expect(node?.desired.clean).toBeUndefined();
    expect(node?.metadata).not.toHaveProperty('flagged_by');
    expect(node?.metadata).not.toHaveProperty('flagged_at');
    expect(node?.metadata).not.toHaveProperty('clean_reason');

    const changes = await new DynamoAuditStore(aws.documents, DEFAULT_RESOURCE_NAMES.auditTable).changes({ since });
    expect(changes).toEqual([
      expect.objectContaining({
        subject: 'flag',
        action: 'unclean',
        target: key,
        before: 'flagged for cleanup',
        after: 'not flagged',
        reason: "nancy's key runs the nightly export",
        who: expect.stringMatching(/^arn:aws:(iam|sts)::123456789012:/),
      }),
    ]);
    const shown = await cli('audit', '--changes', '--since', '10m');
    expect(shown.out).toContain('flag unclean');
    expect(shown.out).toContain("nancy's key runs the nightly export");

    const again = await cli('--output', 'json', 'search', `id(${key}) | unclean`);
    expect(JSON.parse(again.out)).toEqual({ matched: 1, unflagged: 0, not_flagged: 1 });
  });

  it('changes no flag it cannot record: the audit write comes first', async () => {
    const before = JSON.stringify([...(await stored()).graph.nodes()]);
    const refused = await runCli(['search', 'is(access_key) | clean'], { ...env, CLOUDSWEEP_AUDIT_TABLE: 'no-such-audit-table' });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('recording the change in the audit table no-such-audit-table (nothing was changed)');
    expect(JSON.stringify([...(await stored()).graph.nodes()])).toBe(before);
  });

  it('stores the real time as flagged_at and in the change record, whatever --now says', async () => {
    const key = keys.jenkins ?? '';
    for (const now of ['1999-01-01T00:00:00Z', '2999-01-01T00:00:00Z']) {
      const before = Date.now();
      expect((await cli('search', '--now', now, `id(${key}) | clean`)).code).toBe(0);
      const flaggedAt = Date.parse(String((await stored()).graph.node(key)?.metadata.flagged_at));
      expect(flaggedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(flaggedAt).toBeLessThanOrEqual(Date.now() + 1000);
      const [change] = (await new DynamoAuditStore(aws.documents, DEFAULT_RESOURCE_NAMES.auditTable).changes({ since: new Date(before - 1000) })).filter((c) => c.target === key);
      expect(Date.parse(change?.at ?? '')).toBeGreaterThanOrEqual(before - 1000);
      expect(change).toMatchObject({ action: 'clean' });
      expect((await cli('search', '--now', now, `id(${key}) | unclean`)).code).toBe(0);
    }
  });

  it('refuses a malformed query with exit 2 and changes nothing', async () => {
    const before = JSON.stringify([...(await stored()).graph.nodes()]);
    const refused = await cli('search', 'is(access_key) and last_access >> 90days | clean');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/column/);
    expect(JSON.stringify([...(await stored()).graph.nodes()])).toBe(before);
  });
});
