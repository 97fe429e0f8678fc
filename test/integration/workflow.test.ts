import { CreateStateMachineCommand } from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AwsClients } from '../../src/aws/clients';
import { emulatorClients, emulatorEnv, runCli, subscribeQueue } from '../support/aws';
import { ensureResources } from '../../src/aws/provision';
import { createConfigStore } from '../../src/config/store';
import { DemoOrganization, keysTheSeedSearchFlags, seedDemoOrganization } from '../../src/demo/organization';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { DynamoJobStore } from '../../src/jobs/store';
import { DEFAULT_RESOURCE_NAMES, ResourceNames } from '../../src/resources';
import { inProcessRunner } from '../../src/workflow/in-process';
import { DynamoLease } from '../../src/workflow/lease';
import { runWorkflow } from '../../src/workflow/runner';
import { DynamoRunStore, RunRecord } from '../../src/workflow/runs';
import { passStateMachineDefinition } from '../support/pass-state-machine';

const SEED_JOB = 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean';

interface Received {
  'detail-type': string;
  source: string;
  detail: { workflow: string; run_id: string; summary: Record<string, unknown> };
}

describe('workflows in-process with jobs, events and the lease (moto)', () => {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  let emulator: Emulator;
  let aws: AwsClients;
  let sqs: SQSClient;
  let queueUrl: string;
  let organization: DemoOrganization;
  const names: ResourceNames = DEFAULT_RESOURCE_NAMES;
  let env: NodeJS.ProcessEnv;

  const cli = (...argv: string[]) => runCli(argv, env);

  /**
   * The next `expected` messages on the test queue, in the order the runs published them. Waits for
   * them by a deadline, not a number of polls, so a busy machine delays the test instead of failing it.
   */
  async function drainEvents(expected: number, waitMs = 30_000): Promise<Received[]> {
    const events: Received[] = [];
    const deadline = Date.now() + waitMs;
    while (events.length < expected && Date.now() < deadline) {
      const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      for (const message of answer.Messages ?? []) {
        events.push(JSON.parse(message.Body ?? '{}') as Received);
        // Deleted once read: otherwise it comes back after the visibility timeout (30 s), into a later test's drain.
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
      if ((answer.Messages ?? []).length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return events;
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = emulatorClients(emulator);
    env = emulatorEnv(emulator);
    await ensureResources(aws, names);
    organization = await seedDemoOrganization(aws, emulator, now);

    // A subscriber to the bus, as a user would attach one: a rule on the source, an SQS target.
    ({ sqs, queueUrl } = await subscribeQueue(emulator, aws, names.eventBus, 'cloudsweep-events'));

    const configured = await cli('config', 'set', 'fix.worker', 'collector.accounts=organization');
    expect(configured).toMatchObject({ code: 0, out: 'fix.worker saved (revision 1).' });
  });
  afterAll(() => emulator.stop());

  let seedRun: RunRecord;

  it("flags exactly the seed's keys with the seed's job on post_collect, jobs of other events at their step", async () => {
    expect(await cli('jobs', 'add', '--id', 'clean_outdated_access_keys', '--wait-for-event', 'post_collect', SEED_JOB)).toMatchObject({
      code: 0,
      out: 'Job clean_outdated_access_keys added.',
    });
    // Runs at cleanup_plan, after the seed's job: it counts what that job flagged.
    expect((await cli('jobs', 'add', '--id', 'count_flagged', '--wait-for-event', 'cleanup_plan', 'search /desired.clean == true | count')).code).toBe(0);
    // Runs before collect: nothing is in the inventory yet.
    expect((await cli('jobs', 'add', '--id', 'count_before', '--wait-for-event', 'pre_collect', 'search all | count')).code).toBe(0);
    // A job stored before the search language changed: it no longer parses, and fails at its step.
    const jobs = new DynamoJobStore(aws, names.jobsTable);
    await jobs.create({
      id: 'stale', trigger: { event: 'post_collect' }, command: 'search is(access_key) and', timeout: '1m', active: true,
      created_at: new Date(now.getTime() + 60_000).toISOString(), updated_at: now.toISOString(),
    });

    // The ages of the demo keys are exact at `now` (one sits on the 90-day boundary): run at `now`.
    seedRun = await runWorkflow(inProcessRunner(aws, names, { clock: () => now }), 'collect_and_cleanup');

    expect(seedRun.status).toBe('succeeded');
    const expected = keysTheSeedSearchFlags(organization).map((key) => key.accessKeyId).sort();
    const { graph } = await createInventoryStore(aws, names.inventoryTable).loadGraph();
    const flagged = [...graph.nodes()].filter((node) => node.desired.clean === true);
    expect(flagged.map((node) => node.id).sort()).toEqual(expected);
    expect(new Set(flagged.map((node) => node.metadata.flagged_by))).toEqual(new Set(['clean_outdated_access_keys']));

    const jobsAt = (event: string) => seedRun.steps.find((step) => step.event === event)?.jobs ?? [];
    expect(jobsAt('pre_collect')).toEqual([expect.objectContaining({ job_id: 'count_before', matched: 0 })]);
    expect(jobsAt('post_collect')).toEqual([
      expect.objectContaining({ job_id: 'clean_outdated_access_keys', flagged: expected.length }),
      expect.objectContaining({ job_id: 'stale', error: expect.stringContaining('expected') }),
    ]);
    expect(jobsAt('cleanup_plan')).toEqual([expect.objectContaining({ job_id: 'count_flagged', matched: expected.length })]);
    // cleanup is off by default: the step reports what is flagged and touches nothing.
    expect(seedRun.steps.find((step) => step.event === 'cleanup')?.summary).toMatchObject({ cleanup_enabled: false, flagged: expected.length, deleted: 0 });
  });

  it('publishes every event on the bus with {workflow, run_id, summary}', async () => {
    const events = await drainEvents(9);
    expect(events.map((event) => event['detail-type'])).toEqual([
      'pre_collect', 'collect', 'post_collect', 'pre_cleanup_plan', 'cleanup_plan', 'post_cleanup_plan', 'pre_cleanup', 'cleanup', 'post_cleanup',
    ]);
    for (const event of events) {
      expect(event.source).toBe('cloudsweep');
      expect(Object.keys(event.detail).sort()).toEqual(['run_id', 'summary', 'workflow']);
      expect(event.detail).toMatchObject({ workflow: 'collect_and_cleanup', run_id: seedRun.run_id });
    }
    const postCollect = events[2]?.detail.summary;
    expect(postCollect).toMatchObject({ users: organization.users.length, keys: organization.keys.length, failed_accounts: [] });
    expect(events[5]?.detail.summary).toMatchObject({ flagged: keysTheSeedSearchFlags(organization).length, cleanup_enabled: false });
  });

  it('records each job run on the job, and the run in the runs table', async () => {
    const shown = await cli('jobs', 'show', 'clean_outdated_access_keys');
    expect(shown.out).toContain(`(event:post_collect, run ${seedRun.run_id})`);
    expect(shown.out).toMatch(/result: {3}succeeded\n {2}matched: {2}\d+\n {2}flagged: {2}\d+/);
    expect((await cli('jobs', 'show', 'stale')).out).toContain('result:   failed');

    const list = await cli('workflow', 'list');
    expect(list.out).toContain(seedRun.run_id);
    expect(list.out).toContain('stale');
    const show = await cli('workflow', 'show', seedRun.run_id);
    expect(show.code).toBe(0);
    expect(show.out).toContain('status:   succeeded');
    expect(show.out).toMatch(/post_collect +succeeded/);
    expect(show.out).toContain('job stale failed');
    expect(show.out).toMatch(/collect: 3 accounts, \d+ users, \d+ keys/);
    expect((await cli('workflow', 'show', 'nope')).code).toBe(2);
  });

  it('runs a workflow from the CLI with progress per step, and exits 0 although a job failed', async () => {
    const result = await cli('workflow', 'run', 'collect', '--in-process');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Workflow collect started: run \S+\n\[1\/3\] pre_collect/);
    expect(result.out).toMatch(/\[2\/3\] collect\n {2}collecting 3 accounts/);
    expect(result.out).toMatch(/\n {2}account \d{12} \(master\): \d+ users, \d+ keys, \d+ calls, \d+\.\d+s\n/);
    expect(result.out).toMatch(/\n {2}collect: 3 accounts, \d+ users, \d+ keys, \d+ calls in \d+\.\d+s\n\[3\/3\] post_collect/);
    expect(result.out).toContain('job stale failed');
    expect(result.out).toMatch(/Workflow collect succeeded in \d+\.\d+s \(run \S+\)\. 1 job failed: stale\./);
    await drainEvents(3);
  });

  it('refuses a run while another holds the lease, naming it, and runs once it is released', async () => {
    const lease = new DynamoLease(aws, names.runsTable);
    await lease.tryAcquire({ holder: 'run-elsewhere', workflow: 'cleanup', where: 'lambda:plan', acquired_at: now.toISOString() }, 60);
    const refused = await cli('workflow', 'run', 'cleanup', '--in-process');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('another workflow run holds the lease: run run-elsewhere (cleanup, started');
    expect(refused.err).toContain('on lambda:plan');

    setTimeout(() => void lease.release('run-elsewhere'), 300);
    const waited = await cli('workflow', 'run', 'cleanup', '--in-process', '--lease-wait', '10s');
    expect(waited.code).toBe(0);
    await drainEvents(6);
  });

  it('takes over a lease its holder let expire, and the old holder can neither renew nor release it', async () => {
    let at = new Date('2030-01-01T00:00:00Z');
    const lease = new DynamoLease(aws, names.runsTable, () => at);
    const holder = (id: string) => ({ holder: id, workflow: 'cleanup', where: 'test', acquired_at: at.toISOString() });
    expect(await lease.tryAcquire(holder('crashed'), 60)).toEqual({ acquired: true });
    at = new Date(at.getTime() + 30_000);
    expect(await lease.tryAcquire(holder('next'), 60)).toMatchObject({ acquired: false, heldBy: { holder: 'crashed' } });
    at = new Date(at.getTime() + 31_000);
    expect(await lease.tryAcquire(holder('next'), 60)).toEqual({ acquired: true });
    expect(await lease.renew('crashed', 60)).toBe(false);
    await lease.release('crashed');
    expect(await lease.tryAcquire(holder('third'), 60)).toMatchObject({ acquired: false, heldBy: { holder: 'next' } });
    await lease.release('next');
  });

  it('never lets two runs started together interleave', async () => {
    const [a, b] = await Promise.all([cli('workflow', 'run', 'cleanup', '--in-process'), cli('workflow', 'run', 'cleanup', '--in-process')]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 1]);
    const loser = a.code === 1 ? a : b;
    const winner = a.code === 0 ? a : b;
    const winnerRun = /run (\S+)\n/.exec(winner.out)?.[1];
    expect(loser.err).toContain(`another workflow run holds the lease: run ${winnerRun} (cleanup`);
    const runs = await new DynamoRunStore(aws, names.runsTable).list(10);
    expect(runs.filter((r) => r.workflow === 'cleanup').every((r) => r.status === 'succeeded')).toBe(true);
    expect((await drainEvents(6)).map((e) => e.detail.run_id)).toEqual(Array(6).fill(winnerRun));
  });

  it('refuses a cleanup above the circuit breaker with the numbers compared and the exact command to raise it', async () => {
    expect((await cli('config', 'set', 'fix.worker', 'fixworker.cleanup=true', 'fixworker.max_cleanup_per_run=1')).code).toBe(0);
    const result = await cli('workflow', 'run', 'cleanup', '--in-process');
    expect(result.code).toBe(1);
    const candidates = Number(/plan: \d+ flagged, \d+ protected, (\d+) to clean/.exec(result.out)?.[1]);
    expect(candidates).toBeGreaterThan(1);
    const raise = `cloudsweep config set fix.worker fixworker.max_cleanup_per_run=${candidates}`;
    expect(result.out).toContain(`cleanup refused by the circuit breaker: ${candidates} keys to clean exceed max_cleanup_per_run (1). Nothing was changed.`);
    const outcome = result.out.split('\n').find((line) => line.startsWith('Workflow cleanup failed')) ?? '';
    expect(outcome.endsWith(`to let this run through, raise the limit: ${raise}`)).toBe(true);
    expect(result.out).not.toContain('..');
    expect((await cli('config', 'set', 'fix.worker', 'fixworker.cleanup=false', 'fixworker.max_cleanup_per_run=100')).code).toBe(0);
    await drainEvents(7);
  });

  it('fails the workflow visibly when an action fails, and publishes workflow_failed', async () => {
    // A stored config the plan step cannot use: written behind the validation's back.
    const store = createConfigStore(aws, names.configTable);
    const { revision } = await store.read();
    await aws.documents.send(
      new (await import('@aws-sdk/lib-dynamodb')).PutCommand({
        TableName: names.configTable,
        Item: { pk: 'fix.worker', sk: 'current', revision: revision + 1, config: { fixworker: { cleanup_pool_size: 'many' } } },
      }),
    );
    const result = await cli('workflow', 'run', 'cleanup', '--in-process');
    expect(result.code).toBe(1);
    expect(result.out).toContain('cleanup_plan failed: stored fix.worker');
    const events = await drainEvents(3);
    expect(events.map((e) => e['detail-type'])).toEqual(['pre_cleanup_plan', 'cleanup_plan', 'workflow_failed']);
    expect(events[2]?.detail.summary).toMatchObject({ step: 'cleanup_plan', error: 'StepFailed' });
  });

  it('runs the deployed state machine without --in-process, follows it, and lists it with the in-process runs', async () => {
    expect(await cli('workflow', 'run', 'cleanup')).toMatchObject({ code: 1, err: expect.stringContaining('--in-process') });

    await emulator.motoApi('/moto-api/config', { stepfunctions: { execute_state_machine: true } });
    const summary = { flagged: 1, protected: 0, skipped: 0, deleted: 1, deactivated: 0, already_absent: 0, failed: 0, dry_run: false, cleanup_enabled: true };
    const created = await aws.sfn.send(
      new CreateStateMachineCommand({
        name: 'cloudsweep',
        roleArn: 'arn:aws:iam::123456789012:role/sfn',
        definition: passStateMachineDefinition({ summaries: { plan: { flagged: 1, protected: 0, candidates: 1, cleanup_enabled: true, dry_run: false }, cleanup: summary } }),
      }),
    );
    env = { ...env, CLOUDSWEEP_STATE_MACHINE_ARN: created.stateMachineArn ?? '' };
    const result = await cli('workflow', 'run', 'cleanup');
    expect(result.code).toBe(0);
    const runId = /started: run (\S+) \(Step Functions execution/.exec(result.out)?.[1] ?? '';
    expect(result.out).toContain('[6/6] post_cleanup');
    expect(result.out).toContain('cleanup: 1 flagged, 0 protected, 0 skipped, 1 deleted');
    expect(result.out).toContain(`Workflow cleanup succeeded`);

    const list = await cli('workflow', 'list');
    expect(list.out).toContain(runId);
    expect(list.out).toContain(seedRun.run_id);
    expect((await cli('workflow', 'show', runId)).out).toContain('workflow: cleanup (deployed)');
  });
});
