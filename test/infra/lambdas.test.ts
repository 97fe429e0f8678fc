import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundlingOptions, FunctionName, PROJECT_ROOT } from '../../lib/constructs/cloudsweep-function';
import { ValidationError } from '../../src/errors';
import { RESOURCE_BINDINGS } from '../../src/resources';
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
    const options = bundlingOptions();
    const outfile = join(OUT, `${name}.js`);
    const result = await build({
      entryPoints: [join(PROJECT_ROOT, 'lambdas', name, 'index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: options.target,
      minify: options.minify,
      sourcemap: options.sourceMap,
      external: options.externalModules,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);

    const bundle = require(outfile) as { handler?: unknown };
    expect(typeof bundle.handler).toBe('function');
  });

  it.each(FUNCTIONS)('%s rejects an event with an unknown action, naming the field', async (name) => {
    const entry = (await import(`../../lambdas/${name}/index`)) as { handler: (event: unknown) => Promise<unknown> };

    await expect(entry.handler({ action: 'delete_everything', workflow: 'collect', run_id: 'r1' })).rejects.toThrow(/event\.action: expected one of/);
  });
});

describe('Lambda event parsing', () => {
  const ref = { workflow: 'collect_and_cleanup', run_id: 'run-1' };

  it('accepts every contract shape', () => {
    const account = { id: '222222222222', name: 'prod', role_arn: 'arn:aws:iam::222222222222:role/CloudSweepMemberRole' };
    expect(parseCollectEvent({ action: 'collect_account', ...ref, account })).toEqual({ action: 'collect_account', ...ref, account });
    expect(parsePlanEvent({ action: 'run_jobs', ...ref, event: 'post_collect' })).toEqual({ action: 'run_jobs', ...ref, event: 'post_collect' });
    expect(parsePlanEvent({ action: 'run_job', job_id: 'cleanup-old-keys' })).toEqual({ action: 'run_job', job_id: 'cleanup-old-keys' });
    expect(parseCleanupEvent({ action: 'cleanup', ...ref })).toEqual({ action: 'cleanup', ...ref });
    const results = [{ account_id: '123456789012', account_name: 'home', users: 1, keys: 2, calls: 3, duration_ms: 4, error: 'denied' }];
    expect(parseCollectEvent({ action: 'summarize', ...ref, results })).toEqual({ action: 'summarize', ...ref, results });
  });

  it.each([
    ['a missing run_id', () => parseCleanupEvent({ action: 'cleanup', workflow: 'cleanup' }), /event\.run_id/],
    ['an unknown workflow', () => parsePlanEvent({ action: 'plan', workflow: 'sweep', run_id: 'r' }), /event\.workflow: unknown workflow "sweep"/],
    ['an unknown event', () => parsePlanEvent({ action: 'run_jobs', ...ref, event: 'post_sweep' }), /event\.event: unknown workflow event "post_sweep"/],
    ['a bad account id', () => parseCollectEvent({ action: 'collect_account', ...ref, account: { id: '12', name: 'x' } }), /event\.account\.id/],
    ['a result without keys', () => parseCollectEvent({ action: 'summarize', ...ref, results: [{ account_id: '1', account_name: 'a' }] }), /event\.results\[0\]\.users/],
    ['a job without id', () => parsePlanEvent({ action: 'run_job' }), /event\.job_id/],
    ['no object at all', () => parseCollectEvent('list_accounts'), /event: expected an object/],
  ])('rejects %s', (_what, parse, message) => {
    expect(parse).toThrow(ValidationError);
    expect(parse).toThrow(message);
  });
});
