import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { run } from '../../../cli/main';
import type { CliContext } from '../../../cli/context';
import { invokeRunJob } from '../../../src/jobs/run-deployed';
import { RuntimeError } from '../../../src/errors';

const lambda = mockClient(LambdaClient);
const cloudformation = mockClient(CloudFormationClient);
const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const RESULT = { job_id: 'clean_outdated_access_keys', matched: 9, flagged: 8, duration_ms: 120 };

function capture(env: NodeJS.ProcessEnv): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (t) => void lines.push(t), err: (t) => void errors.push(t), env, isTTY: false, color: false };
}

describe('running a job in the deployed plan function', () => {
  beforeEach(() => {
    lambda.reset();
    cloudformation.reset();
  });

  it('invokes the plan function with run_job and returns its result', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(RESULT) as never });
    const result = await invokeRunJob(new LambdaClient({ region: 'us-east-1' }), 'cloudsweep-plan', 'clean_outdated_access_keys');
    expect(result).toEqual(RESULT);
    const sent = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(sent?.FunctionName).toBe('cloudsweep-plan');
    expect(JSON.parse(new TextDecoder().decode(sent?.Payload as Uint8Array))).toEqual({ action: 'run_job', job_id: 'clean_outdated_access_keys' });
  });

  it("reports the function's own error message", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'ValidationError', errorMessage: 'no job "nope"' }) as never,
    });
    const invoking = invokeRunJob(new LambdaClient({ region: 'us-east-1' }), 'cloudsweep-plan', 'nope');
    await expect(invoking).rejects.toThrow(RuntimeError);
    await expect(invokeRunJob(new LambdaClient({ region: 'us-east-1' }), 'cloudsweep-plan', 'nope')).rejects.toThrow(
      'the plan function cloudsweep-plan failed running job nope: ValidationError: no job "nope"',
    );
  });

  it('refuses an answer that is not a job result', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ hello: 'world' }) as never });
    await expect(invokeRunJob(new LambdaClient({ region: 'us-east-1' }), 'f', 'x')).rejects.toThrow(/answered no job result/);
  });

  it('jobs run goes through the plan function named by the stack outputs', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'CloudSweep', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'PlanFunctionName', OutputValue: 'CloudSweep-Plan-abc' }] }],
    });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(RESULT) as never });
    const context = capture({ AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
    const code = await run(['jobs', 'run', 'clean_outdated_access_keys'], context);
    expect(context.errors).toEqual([]);
    expect(code).toBe(0);
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName).toBe('CloudSweep-Plan-abc');
    expect(context.lines.join('\n')).toMatch(/Job clean_outdated_access_keys: matched 9, flagged 8/);
  });
});
