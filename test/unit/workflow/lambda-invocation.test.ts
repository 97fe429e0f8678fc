import type { Context } from 'aws-lambda';
import { DETAILED_METRICS_ENV } from '../../../lambdas/shared/metric-names';
import { invoke, lambdaRuntime } from '../../../lambdas/shared/runtime';
import { RESOURCE_BINDINGS } from '../../../src/resources';

/** What Lambda and the stack set; powertools reads its settings (and `on-demand`, for cold starts) from process.env. */
const ENV = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  POWERTOOLS_SERVICE_NAME: 'cloudsweep-plan',
  POWERTOOLS_METRICS_NAMESPACE: 'CloudSweep',
  ...Object.fromEntries((['inventoryTable', 'configTable', 'jobsTable', 'auditTable', 'runsTable', 'eventBus'] as const).map((role) => [RESOURCE_BINDINGS[role].env, `test-${role}`])),
};

function lambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'CloudSweep-PlanFunction',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:CloudSweep-PlanFunction',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/CloudSweep-PlanFunction',
    logStreamName: '2026/11/27/[$LATEST]0123',
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The JSON lines an invocation writes (to stdout, errors to stderr): its log lines and EMF metric documents. */
async function linesOf(work: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(record), jest.spyOn(process.stderr, 'write').mockImplementation(record)];
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

const metricNames = (lines: Array<Record<string, unknown>>) =>
  lines.flatMap((line) => ((line._aws as { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> } | undefined)?.CloudWatchMetrics ?? []).flatMap((d) => d.Metrics.map((m) => m.Name)));

describe('a Lambda invocation', () => {
  const saved = { ...process.env };
  beforeEach(() => Object.assign(process.env, ENV));
  afterEach(() => {
    for (const key of Object.keys(ENV)) if (!(key in saved)) delete process.env[key];
  });

  it('puts the request id and cold start on every log line, cold only on the first invocation', async () => {
    const runtime = lambdaRuntime(ENV);
    const [run1, run2] = [{ action: 'plan', run_id: 'r1' }, { action: 'plan', run_id: 'r2' }];
    const first = await linesOf(() => invoke(runtime, run1, lambdaContext('req-1'), async () => {
      runtime.logger.info('drawing the plan');
      return { flagged: 0 };
    }));
    const second = await linesOf(() => invoke(runtime, run2, lambdaContext('req-2'), async () => ({ flagged: 0 })));

    const logs = first.filter((line) => 'message' in line);
    expect(logs.map((line) => line.message)).toEqual(['drawing the plan', 'done']);
    for (const line of logs) expect(line).toMatchObject({ function_request_id: 'req-1', cold_start: true, action: 'plan', run_id: 'r1', service: 'cloudsweep-plan' });
    expect(second.filter((line) => 'message' in line)).toEqual([expect.objectContaining({ message: 'done', function_request_id: 'req-2', cold_start: false, run_id: 'r2' })]);
  });

  it('logs a failure with the request id and rethrows it', async () => {
    const runtime = lambdaRuntime(ENV);
    const failure = new Error('the jobs table is missing');
    let outcome: unknown;
    const lines = await linesOf(() => invoke(runtime, { action: 'run_job' }, lambdaContext('req-3'), () => Promise.reject(failure)).catch((error: unknown) => (outcome = error)));

    expect(outcome).toBe(failure);
    expect(lines).toEqual([expect.objectContaining({ level: 'ERROR', message: 'failed', function_request_id: 'req-3', error: expect.objectContaining({ message: 'the jobs table is missing' }) })]);
  });

  it('emits no custom metric by default, not even the cold start: each series costs $0.30 a month', async () => {
    const runtime = lambdaRuntime(ENV);
    const lines = await linesOf(() => invoke(runtime, { action: 'plan' }, lambdaContext('req-4'), async () => ({})));

    expect(metricNames(lines)).toEqual([]);
  });

  it('with detailedMetrics, counts the cold start once per container, by function', async () => {
    const runtime = lambdaRuntime({ ...ENV, [DETAILED_METRICS_ENV]: 'true' });
    const first = await linesOf(() => invoke(runtime, { action: 'plan' }, lambdaContext('req-5'), async () => ({})));
    const second = await linesOf(() => invoke(runtime, { action: 'plan' }, lambdaContext('req-6'), async () => ({})));

    expect(metricNames(first)).toEqual(['ColdStart']);
    expect(first.find((line) => '_aws' in line)).toMatchObject({ ColdStart: 1, service: 'cloudsweep-plan', function_name: 'CloudSweep-PlanFunction' });
    expect(metricNames(second)).toEqual([]);
  });
});
