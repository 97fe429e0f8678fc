import { invokeRunJob } from '../src/jobs/run-deployed';
import { CloudsweepError } from '../src/errors';
import type { JobRunResult } from '../src/workflow/step-payloads';
import { explainAwsError, Runtime } from './runtime';

/**
 * The CLI against a deployed stack, where a verb hands over when the stack's outputs name the
 * resource: `jobs run ID` through the plan function. (`workflow run|list|show` follow Step
 * Functions executions through src/executions/executions.ts, called from cli/workflow.ts.)
 */

/** `jobs run ID` with a deployed stack: the plan function runs the job, as the Scheduler would. */
export async function runJobDeployed(runtime: Runtime, planFunction: string, jobId: string): Promise<JobRunResult> {
  try {
    return await invokeRunJob(runtime.aws.lambda, planFunction, jobId);
  } catch (error) {
    if (error instanceof CloudsweepError) throw error;
    throw explainAwsError(error, `running job ${jobId} in ${planFunction} (lambda:InvokeFunction)`);
  }
}
