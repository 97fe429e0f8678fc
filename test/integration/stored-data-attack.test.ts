import { AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand, TagUserCommand } from '@aws-sdk/client-iam';
import { AwsClients } from '../../src/aws/clients';
import { ensureResources } from '../../src/aws/provision';
import { DynamoAuditStore } from '../../src/cleanup/dynamo-audit-store';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { inProcessRunner } from '../../src/workflow/in-process';
import { runWorkflow } from '../../src/workflow/runner';
import { emulatorClients, emulatorEnv, runCli } from '../support/aws';

const HOME = '123456789012';
const DAY = 86_400_000;
const names = DEFAULT_RESOURCE_NAMES;

/**
 * Issue 15's attack by someone who can write the DynamoDB tables and nothing else: four PutItems
 * (a config that disarms every setting it holds, a job that lifts every protection, a job that
 * flags every key), then the scheduled collect_and_cleanup. The guards that no table row can turn
 * off must hold: the act-time floor, the deployed protect tag, and jobs checked when they run.
 */
describe('four PutItems against the tables, then the scheduled cleanup (moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  const keys: Record<'protectedUser' | 'recentlyUsed' | 'markedProtected' | 'idle', string> = { protectedUser: '', recentlyUsed: '', markedProtected: '', idle: '' };
  const users: Record<keyof typeof keys, string> = { protectedUser: 'break-glass', recentlyUsed: 'deployer', markedProtected: 'packer', idle: 'old-ci' };

  async function user(name: string, tags: Record<string, string>, createdDaysAgo: number, usedAt: Date | null): Promise<string> {
    await aws.iam.send(new CreateUserCommand({ UserName: name }));
    if (Object.keys(tags).length > 0) await aws.iam.send(new TagUserCommand({ UserName: name, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    const id = (await aws.iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey?.AccessKeyId ?? '';
    await emulator.setAccessKey({
      accountId: HOME,
      accessKeyId: id,
      createDate: new Date(Date.now() - createdDaysAgo * DAY).toISOString(),
      lastUsed: usedAt ? { date: usedAt.toISOString(), service: 's3', region: 'us-east-1' } : null,
    });
    return id;
  }

  async function putItem(table: string, item: Record<string, AttributeValue>): Promise<void> {
    await aws.dynamodb.send(new PutItemCommand({ TableName: table, Item: item }));
  }

  const job = (id: string, command: string, createdAt: string): Record<string, AttributeValue> => ({
    pk: { S: 'job' },
    sk: { S: id },
    id: { S: id },
    trigger: { M: { event: { S: 'post_collect' } } },
    command: { S: command },
    timeout: { S: '10m' },
    active: { BOOL: true },
    created_at: { S: createdAt },
    updated_at: { S: createdAt },
  });

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = emulatorClients(emulator);
    await ensureResources(aws, names);
    keys.protectedUser = await user(users.protectedUser, { 'cloudsweep:protect': 'true' }, 300, null);
    keys.recentlyUsed = await user(users.recentlyUsed, {}, 200, new Date(Date.now() - 60_000));
    keys.markedProtected = await user(users.markedProtected, {}, 300, null);
    // The control: idle for a year, so the run deletes it, which shows cleanup really ran for real.
    keys.idle = await user(users.idle, {}, 400, new Date(Date.now() - 365 * DAY));

    expect((await runWorkflow(inProcessRunner(aws, names), 'collect')).status).toBe('succeeded');
    const marked = await runCli(['search', `id(${keys.markedProtected}) | protect`], emulatorEnv(emulator));
    expect(marked.code).toBe(0);
  });
  afterAll(() => emulator.stop());

  it('deletes no key of the protected user, the recently used key or the protected key', async () => {
    // 1. The config: cleanup on for real, a protect tag nobody carries, the breaker wide open.
    await putItem(names.configTable, {
      pk: { S: 'fix.worker' },
      sk: { S: 'current' },
      revision: { N: '1' },
      updated_at: { S: new Date().toISOString() },
      config: {
        M: {
          fixworker: {
            M: {
              cleanup: { BOOL: true },
              cleanup_dry_run: { BOOL: false },
              protect_tag: { S: 'nobody:has-this-tag' },
              max_cleanup_per_run: { N: '1000000' },
              max_cleanup_percent: { N: '100' },
            },
          },
        },
      },
    });
    // 2 and 3. Jobs that `jobs add` would refuse (unprotect) or that flag every key.
    await putItem(names.jobsTable, job('lift_protection', 'search all | unprotect', '2026-01-01T00:00:00.000Z'));
    await putItem(names.jobsTable, job('flag_everything', 'search is(access_key) | clean', '2026-01-01T00:00:01.000Z'));

    const run = await runWorkflow(inProcessRunner(aws, names), 'collect_and_cleanup');

    const remaining = async (name: string) => (await aws.iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata?.map((k) => k.AccessKeyId);
    expect(await remaining(users.protectedUser)).toEqual([keys.protectedUser]);
    expect(await remaining(users.recentlyUsed)).toEqual([keys.recentlyUsed]);
    expect(await remaining(users.markedProtected)).toEqual([keys.markedProtected]);
    expect(await remaining(users.idle)).toEqual([]);

    const jobs = run.steps.find((step) => step.event === 'post_collect')?.jobs ?? [];
    expect(jobs).toEqual([
      expect.objectContaining({ job_id: 'lift_protection', flagged: 0, error: expect.stringMatching(/^refused: a job may not use unprotect/) }),
      expect.objectContaining({ job_id: 'flag_everything', flagged: 4 }),
    ]);
    expect(run.steps.find((step) => step.event === 'cleanup')?.summary).toMatchObject({ deleted: 1, protected: 2, skipped: 1, unflagged: 1, failed: 0 });

    const audit = await new DynamoAuditStore(aws.documents, names.auditTable).query({ runId: run.run_id });
    const reasons = Object.fromEntries(audit.map((entry) => [entry.access_key_id, `${entry.result}: ${entry.reason}`]));
    expect(reasons).toEqual({
      [keys.protectedUser]: expect.stringMatching(/^skipped: protected: user break-glass carries the protect tag cloudsweep:protect=true/),
      [keys.markedProtected]: 'skipped: protected: the key is protected (metadata.protected)',
      [keys.recentlyUsed]: expect.stringMatching(/^skipped: below the act-time floor: IAM shows it last used at/),
      [keys.idle]: expect.stringMatching(/^deleted: flagged by flag_everything/),
    });
  });
});
