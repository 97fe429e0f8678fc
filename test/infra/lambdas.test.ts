import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundlingOptions, FunctionName, PROJECT_ROOT } from '../../lib/constructs/cloudsweep-function';
import { ValidationError } from '../../src/errors';
import { AwsClients } from '../../src/aws/clients';
import { ensureResources } from '../../src/aws/provision';
import { Emulator, startEmulator } from '../../src/emulator/moto';
import { DEFAULT_RESOURCE_NAMES, RESOURCE_BINDINGS } from '../../src/resources';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { defineJob } from '../../src/jobs/job';
import { createJobStore } from '../../src/jobs/store';
import { DynamoRunStore } from '../../src/workflow/runs';
import { parseCleanupEvent, parseCollectEvent, parsePlanEvent } from '../../lambdas/shared/events';

const FUNCTIONS: FunctionName[] = ['collect', 'plan', 'cleanup'];
// Inside the project, so a bundle finds the AWS SDK (external, as in the Lambda runtime) in node_modules.
const OUT = join(PROJECT_ROOT, 'node_modules', '.cache', 'cloudsweep-bundles', String(process.pid));
const ENV = Object.fromEntries(
  (['inventoryTable', 'configTable', 'jobsTable', 'auditTable', 'runsTable', 'eventBus'] as const).map((role) => [RESOURCE_BINDINGS[role].env, `test-${role}`]),
);

describe('the Lambda bundles', () => {
  beforeAll(() => {
    mkdirSync(OUT, { recursive: true });
    Object.assign(process.env, ENV, { AWS_REGION: 'us-east-1' });
  });
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  it.each(FUNCTIONS)('builds %s with esbuild as CDK does, and the bundle exports handler', async (name) => {
    const { errors, bundle } = await buildBundle(name, `${name}.js`);
    expect(errors).toEqual([]);
    expect(typeof bundle.handler).toBe('function');
  });

  it.each(FUNCTIONS)('%s rejects an event with an unknown action, naming the field', async (name) => {
    const entry = (await import(`../../lambdas/${name}/index`)) as { handler: (event: unknown) => Promise<unknown> };

    await expect(entry.handler({ action: 'delete_everything', workflow: 'collect', run_id: 'r1' })).rejects.toThrow(/event\.action: expected one of/);
  });
});

/** Builds a function as CDK does (minified) and loads it; a new `file` gets a fresh module with the current environment. */
async function buildBundle(name: FunctionName, file: string): Promise<{ errors: unknown[]; bundle: { handler?: (event: unknown) => Promise<unknown> } }> {
  const options = bundlingOptions();
  const outfile = join(OUT, file);
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, 'lambdas', name, 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: options.target,
    minify: options.minify,
    keepNames: options.keepNames,
    sourcemap: options.sourceMap,
    external: options.externalModules,
    logLevel: 'silent',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle just written, loaded as Lambda loads it
  return { errors: result.errors, bundle: require(outfile) as { handler?: (event: unknown) => Promise<unknown> } };
}

/** The powertools logger and metrics of a handler run in the test: no output. */
const QUIET = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_NAMESPACE: 'CloudSweep', POWERTOOLS_METRICS_DISABLED: 'true' };

describe('the plan bundle against DynamoDB in moto: the workflow lease, scheduled job runs', () => {
  let emulator: Emulator;
  let handler: (event: unknown) => Promise<unknown>;
  let aws: AwsClients;
  const ref = (run: string) => ({ workflow: 'collect_and_cleanup', run_id: run });

  beforeAll(async () => {
    emulator = await startEmulator();
    mkdirSync(OUT, { recursive: true });
    Object.assign(process.env, ENV, QUIET, { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: emulator.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    aws = new AwsClients({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const tables = Object.fromEntries((['inventoryTable', 'configTable', 'jobsTable', 'auditTable', 'runsTable'] as const).map((role) => [role, String(ENV[RESOURCE_BINDINGS[role].env])]));
    await ensureResources(aws, { ...DEFAULT_RESOURCE_NAMES, ...tables, eventBus: 'default' });
    const { errors, bundle } = await buildBundle('plan', 'plan-lease.js');
    expect(errors).toEqual([]);
    handler = bundle.handler ?? (() => Promise.reject(new Error('no handler')));
  });
  afterAll(async () => {
    for (const name of ['AWS_ENDPOINT_URL', ...Object.keys(QUIET)]) delete process.env[name];
    await emulator?.stop();
  });

  it('takes the lease for a run, and refuses another run with an error named LeaseBusyError (the state machine retries on that name) that names the holder', async () => {
    const taken = await handler({ action: 'acquire_lease', ...ref('exec-a'), ttl_seconds: 7200 });
    expect(taken).toMatchObject({ holder: 'exec-a', workflow: 'collect_and_cleanup', where: 'step-functions:exec-a', expires_at: expect.any(Number) });

    const refusal = (await handler({ action: 'acquire_lease', ...ref('exec-b'), ttl_seconds: 7200 }).catch((error: unknown) => error)) as Error;
    // The Lambda runtime reports `name` as the errorType, which the Retry matches: minifying must not change it.
    expect(refusal.name).toBe('LeaseBusyError');
    expect(refusal.message).toMatch(/^another workflow run holds the lease: run exec-a \(collect_and_cleanup, started .* on step-functions:exec-a\), until .*An execution waits up to about 10 minutes/);
  });

  it('keeps the names of the typed errors it throws, so executions report them as written', async () => {
    const refusal = (await handler({ action: 'run_steps', ...ref('exec-c') }).catch((error: unknown) => error)) as Error;
    expect(refusal.name).toBe('ValidationError');
  });

  it('releases the lease only for its holder, and again is no error', async () => {
    expect(await handler({ action: 'release_lease', ...ref('exec-b') })).toEqual({ holder: 'exec-b', released: false });
    expect(await handler({ action: 'release_lease', ...ref('exec-a') })).toEqual({ holder: 'exec-a', released: true });
    expect(await handler({ action: 'release_lease', ...ref('exec-a') })).toEqual({ holder: 'exec-a', released: false });
    expect(await handler({ action: 'acquire_lease', ...ref('exec-b'), ttl_seconds: 60 })).toMatchObject({ holder: 'exec-b' });
    expect(await handler({ action: 'release_lease', ...ref('exec-b') })).toMatchObject({ released: true });
  });

  it('runs a stretch of steps for the state machine and gives the lease up after the workflow\'s last one', async () => {
    await aws.eventbridge.send(new CreateEventBusCommand({ Name: String(ENV[RESOURCE_BINDINGS.eventBus.env]) }));
    const taken = await handler({ action: 'acquire_lease', workflow: 'collect', run_id: 'exec-s', ttl_seconds: 60 });
    const collected = { accounts: 1, users: 2, keys: 3, calls: 4, failed_accounts: [], duration_ms: 5, read_units: 1, write_units: 1 };
    const state = { workflow: 'collect', run_id: 'exec-s', lease: taken, collect: { accounts: 1, batches: [0] }, summaries: { collect: collected }, jobs: {} };

    const answer = await handler({ action: 'run_steps', workflow: 'collect', run_id: 'exec-s', from: 'post_collect', state });

    // The state it was given, what it did not touch kept, with post_collect's jobs added.
    expect(answer).toEqual({ ...state, jobs: { post_collect: { event: 'post_collect', jobs: expect.any(Array), started_at: expect.any(String), duration_ms: expect.any(Number) } } });
    expect(await handler({ action: 'release_lease', workflow: 'collect', run_id: 'exec-s' })).toEqual({ holder: 'exec-s', released: false });
  });

  it('marks in-process runs a killed process left running abandoned when an execution takes the lease', async () => {
    const runs = new DynamoRunStore(aws, String(ENV[RESOURCE_BINDINGS.runsTable.env]));
    await runs.save({ run_id: '20261126T090000Z-dead02', workflow: 'cleanup', mode: 'in-process', status: 'running', started_at: '2026-11-26T09:00:00.000Z', steps: [] });

    await handler({ action: 'acquire_lease', ...ref('exec-after-kill'), ttl_seconds: 60 });
    await handler({ action: 'release_lease', ...ref('exec-after-kill') });

    expect(await runs.get('20261126T090000Z-dead02')).toMatchObject({
      status: 'abandoned',
      error: expect.stringContaining('still running when run exec-after-kill took the workflow lease'),
    });
  });

  it('releases the lease of an execution that ended without releasing it, and only of that one', async () => {
    await handler({ action: 'acquire_lease', ...ref('exec-stopped'), ttl_seconds: 7200 });
    expect(await handler({ action: 'execution_ended', run_id: 'exec-other', status: 'TIMED_OUT' })).toEqual({ holder: 'exec-other', released: false });
    expect(await handler({ action: 'execution_ended', run_id: 'exec-stopped', status: 'ABORTED' })).toEqual({ holder: 'exec-stopped', released: true });
    // The next run need not wait out the stopped one's lifetime.
    expect(await handler({ action: 'acquire_lease', ...ref('exec-next'), ttl_seconds: 7200 })).toMatchObject({ holder: 'exec-next' });
    await handler({ action: 'release_lease', ...ref('exec-next') });
  });

  describe('a job schedule delivered more than once (Scheduler delivers at least once)', () => {
    const jobsTable = String(ENV[RESOURCE_BINDINGS.jobsTable.env]);
    const lastRun = async () => (await createJobStore(aws, jobsTable).get('hourly-inventory'))?.last_run;
    /** Stands in for the run just recorded: a job that runs again records a run of its own over it. */
    const markLastRun = () =>
      aws.documents.send(
        new UpdateCommand({ TableName: jobsTable, Key: { pk: 'job', sk: 'hourly-inventory' }, UpdateExpression: 'SET last_run.#trigger = :marked', ExpressionAttributeNames: { '#trigger': 'trigger' }, ExpressionAttributeValues: { ':marked': 'marked-by-test' } }),
      );

    beforeAll(async () => {
      await createJobStore(aws, jobsTable).create(defineJob({ id: 'hourly-inventory', schedule: '0 * * * *', command: 'search is(access_key) | count' }, new Date('2026-11-27T02:00:00Z')));
    });

    it('runs the job once per scheduled time: a repeated delivery gets the first run\'s result', async () => {
      const delivery = { action: 'run_job', job_id: 'hourly-inventory', scheduled_time: '2026-11-27T03:00:00Z' };
      const first = await handler(delivery);
      expect(first).toMatchObject({ job_id: 'hourly-inventory', matched: 0 });
      expect(await lastRun()).toMatchObject({ trigger: 'schedule' });
      await markLastRun();

      expect(await handler(delivery)).toEqual(first);
      expect(await lastRun()).toMatchObject({ trigger: 'marked-by-test' });

      await handler({ ...delivery, scheduled_time: '2026-11-27T04:00:00Z' });
      expect(await lastRun()).toMatchObject({ trigger: 'schedule' });
    });

    it('runs every invocation that names no scheduled time (jobs run, a schedule written before it was sent)', async () => {
      await markLastRun();
      await handler({ action: 'run_job', job_id: 'hourly-inventory' });
      expect(await lastRun()).toMatchObject({ trigger: 'schedule' });
    });
  });
});

describe('Lambda event parsing', () => {
  const ref = { workflow: 'collect_and_cleanup', run_id: 'run-1' };

  it('accepts every contract shape', () => {
    expect(parseCollectEvent({ action: 'list_accounts', ...ref })).toEqual({ action: 'list_accounts', ...ref });
    expect(parseCollectEvent({ action: 'collect_batch', ...ref, batch: 0 })).toEqual({ action: 'collect_batch', ...ref, batch: 0 });
    const state = { workflow: 'collect', run_id: 'run-1', lease: { holder: 'run-1' }, summaries: { collect: { users: 3 } } };
    expect(parsePlanEvent({ action: 'run_steps', ...ref, from: 'post_collect', state })).toEqual({ action: 'run_steps', ...ref, from: 'post_collect', state: { ...state, jobs: {} } });
    expect(parsePlanEvent({ action: 'run_job', job_id: 'cleanup-old-keys' })).toEqual({ action: 'run_job', job_id: 'cleanup-old-keys' });
    expect(parsePlanEvent({ action: 'run_job', job_id: 'cleanup-old-keys', scheduled_time: '2026-11-27T03:00:00Z' })).toEqual({ action: 'run_job', job_id: 'cleanup-old-keys', scheduled_time: '2026-11-27T03:00:00Z' });
    expect(parsePlanEvent({ action: 'acquire_lease', ...ref, ttl_seconds: 7200 })).toEqual({ action: 'acquire_lease', ...ref, ttl_seconds: 7200 });
    expect(parsePlanEvent({ action: 'release_lease', ...ref })).toEqual({ action: 'release_lease', ...ref });
    expect(parsePlanEvent({ action: 'execution_ended', run_id: 'run-1', status: 'TIMED_OUT' })).toEqual({ action: 'execution_ended', run_id: 'run-1', status: 'TIMED_OUT' });
    expect(parseCleanupEvent({ action: 'cleanup', ...ref })).toEqual({ action: 'cleanup', ...ref });
    expect(parseCleanupEvent({ action: 'cleanup', ...ref, summaries: { plan: {} } })).toEqual({ action: 'cleanup', ...ref, summaries: { plan: {} } });
    expect(parseCollectEvent({ action: 'summarize', ...ref })).toEqual({ action: 'summarize', ...ref });
  });

  it.each([
    ['a missing run_id', () => parseCleanupEvent({ action: 'cleanup', workflow: 'cleanup' }), /event\.run_id/],
    ['an unknown workflow', () => parsePlanEvent({ action: 'release_lease', workflow: 'sweep', run_id: 'r' }), /event\.workflow: unknown workflow "sweep"/],
    ['an unknown event', () => parsePlanEvent({ action: 'run_steps', ...ref, from: 'post_sweep', state: { summaries: {} } }), /event\.from: unknown workflow event "post_sweep"/],
    ['a stretch without the run state', () => parsePlanEvent({ action: 'run_steps', ...ref, from: 'post_collect' }), /event\.state: expected an object, got undefined/],
    ['an earlier cleanup without its counts', () => parseCleanupEvent({ action: 'cleanup', ...ref, summaries: { cleanup: { remaining: 3 } } }), /event\.summaries\.cleanup\.invocations/],
    ['a batch without number', () => parseCollectEvent({ action: 'collect_batch', ...ref }), /event\.batch: expected a whole number, at least 0, got undefined/],
    ['a negative batch', () => parseCollectEvent({ action: 'collect_batch', ...ref, batch: -1 }), /event\.batch: .* got -1/],
    ['a job without id', () => parsePlanEvent({ action: 'run_job' }), /event\.job_id/],
    ['a scheduled time that is no text', () => parsePlanEvent({ action: 'run_job', job_id: 'j', scheduled_time: 1764212400 }), /event\.scheduled_time: expected a non-empty string, got 1764212400/],
    ['a lease without its lifetime', () => parsePlanEvent({ action: 'acquire_lease', ...ref }), /event\.ttl_seconds: expected a whole number of seconds, at least 1, got undefined/],
    ['a lease for no time', () => parsePlanEvent({ action: 'acquire_lease', ...ref, ttl_seconds: 0 }), /event\.ttl_seconds: .* got 0/],
    ['a lifetime given as text', () => parsePlanEvent({ action: 'acquire_lease', ...ref, ttl_seconds: '7200' }), /event\.ttl_seconds: .* got "7200"/],
    ['a release without run', () => parsePlanEvent({ action: 'release_lease', workflow: 'collect' }), /event\.run_id/],
    ['an execution that has not ended', () => parsePlanEvent({ action: 'execution_ended', run_id: 'r', status: 'RUNNING' }), /event\.status: expected one of ABORTED, TIMED_OUT, FAILED, got "RUNNING"/],
    ['no object at all', () => parseCollectEvent('list_accounts'), /event: expected an object/],
  ])('rejects %s', (_what, parse, message) => {
    expect(parse).toThrow(ValidationError);
    expect(parse).toThrow(message);
  });
});
