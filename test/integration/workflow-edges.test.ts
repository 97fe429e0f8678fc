import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { clientsForAccount } from '../../src/aws/accounts';
import type { AwsClients } from '../../src/aws/clients';
import { ensureResources } from '../../src/aws/provision';
import { DemoOrganization, keysCleanupDeletes, seedDemoOrganization } from '../../src/demo/organization';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { inProcessRunner } from '../../src/workflow/in-process';
import { runWorkflow } from '../../src/workflow/runner';
import { DynamoRunStore } from '../../src/workflow/runs';
import { emulatorClients, emulatorEnv, runCli, subscribeQueue } from '../support/aws';

const SEED_JOB = 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean';

/** Workflow runs in-process at the edges: an account cleanup cannot enter, a run killed outright. */
describe('workflow runs at the edges (moto)', () => {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const names = DEFAULT_RESOURCE_NAMES;
  let emulator: Emulator;
  let aws: AwsClients;
  let sqs: SQSClient;
  let queueUrl: string;
  let organization: DemoOrganization;
  let env: NodeJS.ProcessEnv;
  const cli = (...argv: string[]) => runCli(argv, env);

  async function drainEvents(): Promise<{ 'detail-type': string; detail: { summary: Record<string, unknown> } }[]> {
    const events = [];
    for (;;) {
      const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if ((answer.Messages ?? []).length === 0) return events;
      for (const message of answer.Messages ?? []) events.push(JSON.parse(message.Body ?? '{}'));
    }
  }

  async function keysIn(accountId: string, userName: string): Promise<string[]> {
    const account = organization.accounts.find((a) => a.id === accountId);
    const clients = account?.roleArn ? await clientsForAccount(aws, { id: accountId, name: account.name, role_arn: account.roleArn }, 'test') : aws;
    const listed = await clients.iam.send(new ListAccessKeysCommand({ UserName: userName }));
    return (listed.AccessKeyMetadata ?? []).map((key) => key.AccessKeyId ?? '');
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = emulatorClients(emulator);
    env = emulatorEnv(emulator);
    await ensureResources(aws, names);
    organization = await seedDemoOrganization(aws, emulator, now);
    ({ sqs, queueUrl } = await subscribeQueue(emulator, aws, names.eventBus, 'edges-events'));
    const configured = await cli(
      'config', 'set', 'fix.worker', 'collector.accounts=organization', 'fixworker.cleanup=true', 'fixworker.cleanup_dry_run=false',
      'fixworker.max_cleanup_percent=100', 'fixworker.max_cleanup_per_run=1000',
    );
    expect(configured.code).toBe(0);
    expect((await cli('jobs', 'add', '--id', 'clean_outdated_access_keys', '--wait-for-event', 'post_collect', SEED_JOB)).code).toBe(0);
    // The demo's ages are exact at `now`: collect and flag at `now`.
    const collected = await runWorkflow(inProcessRunner(aws, names, { clock: () => now }), 'collect');
    expect(collected.status).toBe('succeeded');
    await drainEvents();
  }, 240_000);
  afterAll(async () => {
    sqs?.destroy();
    await emulator?.stop();
  });

  it('cleans the accounts it can enter, names the one it cannot, publishes post_cleanup, then fails (exit 1)', async () => {
    const deletes = keysCleanupDeletes(organization);
    const denied = deletes.find((key) => organization.accounts.find((a) => a.id === key.accountId)?.roleArn !== undefined)?.accountId ?? '';
    const reachable = deletes.filter((key) => key.accountId !== denied);
    const stranded = deletes.filter((key) => key.accountId === denied);
    expect(reachable.length).toBeGreaterThan(0);
    expect(stranded.length).toBeGreaterThan(0);
    await emulator.denyAssumeRole([denied]);
    let result;
    try {
      result = await cli('workflow', 'run', 'cleanup', '--in-process');
    } finally {
      await emulator.denyAssumeRole([]);
    }

    expect(result.code).toBe(1);
    expect(result.out).toContain(`Workflow cleanup failed`);
    expect(result.out).toMatch(new RegExp(`cleanup could not enter 1 account: ${denied} \\([^)]+\\): .*AccessDenied.*\\[${stranded.length} keys? left\\]`));
    for (const key of reachable) expect(await keysIn(key.accountId, key.userName)).not.toContain(key.accessKeyId);
    for (const key of stranded) expect(await keysIn(key.accountId, key.userName)).toContain(key.accessKeyId);

    const events = await drainEvents();
    expect(events.map((event) => event['detail-type']).slice(-2)).toEqual(['post_cleanup', 'workflow_failed']);
    expect(events.at(-2)?.detail.summary).toMatchObject({
      deleted: reachable.length,
      failed: stranded.length,
      failed_accounts: [denied],
      account_failures: [{ account_id: denied, keys: stranded.length, error: expect.stringContaining('AccessDenied') }],
    });
    expect(events.at(-1)?.detail.summary).toMatchObject({ step: 'post_cleanup', cause: expect.stringContaining(denied) });
    const [run] = await new DynamoRunStore(aws, names.runsTable).list(1);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringContaining(`post_cleanup: cleanup could not enter 1 account: ${denied}`) });
  }, 120_000);

  it('marks a run left running by a killed process abandoned when the next run takes the lease, and says so', async () => {
    // What a SIGKILLed run leaves: its record `running`, its lease expired (no handler could run).
    const runs = new DynamoRunStore(aws, names.runsTable);
    const killed = { run_id: '20261126T090000Z-dead01', workflow: 'collect' as const, mode: 'in-process' as const, status: 'running' as const, started_at: '2026-11-26T09:00:00.000Z', steps: [] };
    await runs.save(killed);

    const next = await cli('workflow', 'run', 'cleanup', '--in-process');

    expect(next.out).toContain(`Marked run ${killed.run_id} (collect, started ${killed.started_at}) abandoned`);
    const stored = await runs.get(killed.run_id);
    expect(stored).toMatchObject({ status: 'abandoned', abandoned_at: expect.any(String), error: expect.stringContaining('abandoned: still running when run') });
    expect(Date.parse(stored?.abandoned_at ?? '')).toBeGreaterThan(Date.parse(killed.started_at));
    expect((await cli('workflow', 'show', killed.run_id)).out).toContain('status:   abandoned');
    expect((await cli('workflow', 'list')).out).toMatch(new RegExp(`${killed.run_id}.*abandoned`));
  }, 120_000);

  it('names a malformed run read back from the runs table and its field', async () => {
    const runs = new DynamoRunStore(aws, names.runsTable);
    await aws.documents.send(
      new PutCommand({ TableName: names.runsTable, Item: { pk: 'run', sk: '20261127T030000Z-bad001', run_id: '20261127T030000Z-bad001', workflow: 'sweep', mode: 'in-process', status: 'succeeded', started_at: '2026-11-27T03:00:00.000Z', steps: [] } }),
    );
    try {
      await expect(runs.get('20261127T030000Z-bad001')).rejects.toThrow(
        `the runs table's run "20261127T030000Z-bad001" is malformed, workflow: expected one of "collect_and_cleanup", "collect", "cleanup", got "sweep"`,
      );
      const shown = await cli('workflow', 'show', '20261127T030000Z-bad001');
      expect(shown).toMatchObject({ code: 2, err: expect.stringContaining('workflow: expected one of') });
    } finally {
      await aws.documents.send(new DeleteCommand({ TableName: names.runsTable, Key: { pk: 'run', sk: '20261127T030000Z-bad001' } }));
    }
  });
});

