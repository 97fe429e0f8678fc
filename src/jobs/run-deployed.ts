import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { RuntimeError } from '../errors';
import type { JobRunResult, RunJobInput } from '../workflow/step-payloads';

/**
 * `jobs run ID` against a deployed stack: the plan function runs the job where the Scheduler runs
 * it, with the function's own role and tables, and answers the job's result.
 */
export async function invokeRunJob(lambda: LambdaClient, functionName: string, jobId: string): Promise<JobRunResult> {
  const input: RunJobInput = { action: 'run_job', job_id: jobId };
  const answer = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(input)) }),
  );
  const text = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  if (answer.FunctionError) {
    throw new RuntimeError(`the plan function ${functionName} failed running job ${jobId}: ${errorMessage(text) ?? answer.FunctionError}`);
  }
  let result: unknown;
  try {
    result = JSON.parse(text);
  } catch {
    throw new RuntimeError(`the plan function ${functionName} answered something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!isJobRunResult(result)) {
    throw new RuntimeError(`the plan function ${functionName} answered no job result: ${text.slice(0, 200)}`);
  }
  return result;
}

function errorMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return typeof parsed.errorType === 'string' ? `${parsed.errorType}: ${parsed.errorMessage}` : parsed.errorMessage;
  } catch {
    // not a Lambda error document
  }
  return text.trim() === '' ? undefined : text.slice(0, 300);
}

function isJobRunResult(value: unknown): value is JobRunResult {
  if (value === null || typeof value !== 'object') return false;
  const result = value as Record<string, unknown>;
  return typeof result.job_id === 'string' && typeof result.matched === 'number' && typeof result.flagged === 'number';
}
