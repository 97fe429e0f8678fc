import { CreateScheduleGroupCommand, GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { AwsClients } from '../../src/aws/clients';
import { emulatorClients, emulatorEnv, runCli } from '../support/aws';
import { ensureResources } from '../../src/aws/provision';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { createInventoryStore } from '../../src/inventory/dynamo-store';
import { DEFAULT_RESOURCE_NAMES } from '../../src/resources';
import { smallInventory } from '../unit/jobs/fixture';

const SEED_JOB = 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean';
const SCHEDULER_ROLE = 'arn:aws:iam::123456789012:role/cloudsweep-scheduler';

describe('cloudsweep jobs (moto)', () => {
  let emulator: Emulator;
  let aws: AwsClients;
  let env: NodeJS.ProcessEnv;

  const cli = (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(argv, { ...env, ...extraEnv });

  const jobIds = async () => JSON.parse((await cli(['--output', 'json', 'jobs', 'list'])).out).map((job: { id: string }) => job.id);

  beforeAll(async () => {
    emulator = await startEmulator();
    aws = emulatorClients(emulator);
    env = emulatorEnv(emulator);
    await ensureResources(aws, DEFAULT_RESOURCE_NAMES);
    const graph = smallInventory();
    await createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable).replaceAccount({
      accountId: '123456789012',
      collectedAt: new Date().toISOString(),
      nodes: [...graph.nodes()],
      edges: graph.edges(),
    });
  });
  afterAll(() => emulator.stop());

  it("adds the seed's job as the seed shows, and lists it", async () => {
    const added = await cli(['jobs', 'add', '--id', 'clean_outdated_access_keys', '--wait-for-event', 'post_collect', SEED_JOB]);
    expect(added).toEqual({ code: 0, out: 'Job clean_outdated_access_keys added.', err: '' });
    const list = await cli(['jobs', 'list']);
    expect(list.out.split('\n')[0]).toMatch(/^id +trigger +active +last run +command$/);
    expect(list.out).toMatch(/clean_outdated_access_keys +event post_collect +yes +never +search is\(access_key\)/);
  });

  it.each([
    [['--wait-for-event', 'after_collect', SEED_JOB], 'unknown event "after_collect"'],
    [['--wait-for-event', 'post_collect', 'search is(access_key) and | clean'], 'job command does not parse'],
    [['--wait-for-event', 'post_collect', 'jobs list'], 'job command must be a search pipeline'],
    [['--schedule', '0 0 1 * 1', SEED_JOB], 'a day of month and a day of week together'],
    [[SEED_JOB], 'give --wait-for-event EVENT or --schedule CRON'],
  ])('refuses a bad job with exit 2 and stores nothing (%#: %s)', async (args, message) => {
    const before = await jobIds();
    const result = await cli(['jobs', 'add', '--id', 'refused', ...args]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(await jobIds()).toEqual(before);
  });

  it('refuses an id in use', async () => {
    const result = await cli(['jobs', 'add', '--id', 'clean_outdated_access_keys', '--wait-for-event', 'cleanup', 'search all | count']);
    expect(result).toMatchObject({ code: 2, err: expect.stringContaining('a job with id "clean_outdated_access_keys" already exists') });
    expect((await cli(['jobs', 'show', 'clean_outdated_access_keys'])).out).toContain('trigger:  event post_collect');
  });

  it('runs a job now, flags through the inventory store, and shows the result', async () => {
    const ran = await cli(['jobs', 'run', 'clean_outdated_access_keys']);
    expect(ran.code).toBe(0);
    expect(ran.out).toMatch(/^Job clean_outdated_access_keys: matched 1, flagged 1 in \d+\.\d+s\.$/);
    const { graph } = await createInventoryStore(aws, DEFAULT_RESOURCE_NAMES.inventoryTable).loadGraph();
    expect(graph.node('AKIANANCYOLD')?.desired.clean).toBe(true);
    expect(graph.node('AKIANANCYOLD')?.metadata.flagged_by).toBe('clean_outdated_access_keys');
    expect(graph.node('AKIAJENKINSOLD')?.desired.clean).toBeUndefined();
    const shown = await cli(['jobs', 'show', 'clean_outdated_access_keys']);
    expect(shown.out).toMatch(/last run:\n {2}started: {2}\S+ \(manual\)\n {2}result: {3}succeeded\n {2}matched: {2}1\n {2}flagged: {2}1/);
  });

  it('updates, deactivates, activates and deletes a job', async () => {
    expect((await cli(['jobs', 'add', '--id', 'counter', '--wait-for-event', 'pre_collect', 'search all | count'])).code).toBe(0);
    expect((await cli(['jobs', 'update', 'counter', '--wait-for-event', 'post_cleanup', 'search is(user) | count'])).out).toBe('Job counter updated.');
    expect((await cli(['jobs', 'update', 'counter', '--wait-for-event', 'whenever'])).code).toBe(2);
    expect((await cli(['jobs', 'deactivate', 'counter'])).out).toBe('Job counter deactivated.');
    const json = JSON.parse((await cli(['--output', 'json', 'jobs', 'show', 'counter'])).out);
    expect(json).toMatchObject({ id: 'counter', trigger: { event: 'post_cleanup' }, command: 'search is(user) | count', active: false });
    expect((await cli(['jobs', 'activate', 'counter'])).out).toBe('Job counter activated.');
    expect((await cli(['jobs', 'delete', 'counter'])).out).toBe('Job counter deleted.');
    expect(await cli(['jobs', 'show', 'counter'])).toMatchObject({ code: 2, err: expect.stringContaining('no job with id "counter"') });
  });

  it('stores a --schedule job in-process, and makes it a Scheduler schedule in a deployed stack', async () => {
    expect((await cli(['jobs', 'add', '--id', 'local_hourly', '--schedule', '@hourly', 'search all | count'])).code).toBe(0);
    expect((await cli(['jobs', 'show', 'local_hourly'])).out).toContain('trigger:  schedule @hourly');

    await aws.scheduler.send(new CreateScheduleGroupCommand({ Name: 'cloudsweep-jobs' }));
    const stack = { CLOUDSWEEP_SCHEDULER_ROLE_ARN: SCHEDULER_ROLE, CLOUDSWEEP_SCHEDULE_GROUP: 'cloudsweep-jobs', CLOUDSWEEP_PLAN_FUNCTION: 'cloudsweep-plan' };
    expect((await cli(['jobs', 'add', '--id', 'weekdays', '--schedule', '30 6 * * 1-5', SEED_JOB], stack)).code).toBe(0);
    const schedule = await aws.scheduler.send(new GetScheduleCommand({ Name: 'job-weekdays', GroupName: 'cloudsweep-jobs' }));
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(30 6 ? * 2,3,4,5,6 *)',
      State: 'ENABLED',
      Target: { Arn: 'arn:aws:lambda:us-east-1:123456789012:function:cloudsweep-plan', RoleArn: SCHEDULER_ROLE },
    });
    // Scheduler fills in the time it fired: a repeated delivery of that time runs the job once.
    expect(JSON.parse(schedule.Target?.Input ?? '{}')).toEqual({ action: 'run_job', job_id: 'weekdays', scheduled_time: '<aws.scheduler.scheduled-time>' });

    expect((await cli(['jobs', 'deactivate', 'weekdays'], stack)).code).toBe(0);
    expect((await aws.scheduler.send(new GetScheduleCommand({ Name: 'job-weekdays', GroupName: 'cloudsweep-jobs' }))).State).toBe('DISABLED');
    expect((await cli(['jobs', 'update', 'weekdays', '--schedule', 'rate(6 hours)'], stack)).code).toBe(0);
    expect((await aws.scheduler.send(new GetScheduleCommand({ Name: 'job-weekdays', GroupName: 'cloudsweep-jobs' }))).ScheduleExpression).toBe('rate(6 hours)');

    expect((await cli(['jobs', 'delete', 'weekdays'], stack)).code).toBe(0);
    await expect(aws.scheduler.send(new GetScheduleCommand({ Name: 'job-weekdays', GroupName: 'cloudsweep-jobs' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('names a malformed job read back from the table and its field, instead of failing later; jobs delete still removes it', async () => {
    const at = '2026-11-27T03:00:00.000Z';
    await aws.documents.send(
      new PutCommand({
        TableName: DEFAULT_RESOURCE_NAMES.jobsTable,
        Item: {
          pk: 'job', sk: 'hand_written', id: 'hand_written', trigger: { event: 'post_collect' }, command: 'search all | count', timeout: '10m', active: true,
          created_at: at, updated_at: at, last_run: { started_at: at, trigger: 'manual', matched: '3', flagged: 0, duration_ms: 5 },
        },
      }),
    );

    for (const argv of [['jobs', 'list'], ['jobs', 'show', 'hand_written']]) {
      const read = await cli(argv);
      expect({ code: read.code, err: read.err }).toEqual({ code: 2, err: expect.stringContaining(`the jobs table's job "hand_written" is malformed, last_run.matched: expected a number, got "3"`) });
    }
    expect((await cli(['jobs', 'delete', 'hand_written'])).code).toBe(0);
    expect(await jobIds()).not.toContain('hand_written');
  });
});

