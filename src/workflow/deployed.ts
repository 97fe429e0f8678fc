import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowName } from './declaration';

/**
 * `workflow run` against the deployed stack: one Step Functions execution of the state machine
 * generated from the same declaration, input `{"workflow": NAME}` (SPEC section 6). The execution
 * is named after the run id so `workflow show` and the console agree.
 */
export interface DeployedExecution {
  executionArn: string;
  run_id: string;
}

export async function startDeployedRun(sfn: SFNClient, stateMachineArn: string, workflow: WorkflowName, runId: string): Promise<DeployedExecution> {
  const answer = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify({ workflow, run_id: runId }) }),
  );
  return { executionArn: answer.executionArn ?? `${stateMachineArn}:${runId}`, run_id: runId };
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** Polls the execution until it ends, reporting each status change; resolves to the final status. */
export async function followDeployedRun(
  sfn: SFNClient,
  executionArn: string,
  options: { pollMs?: number; sleep?: (ms: number) => Promise<void>; onStatus?: (status: ExecutionStatus, detail?: string) => void } = {},
): Promise<{ status: ExecutionStatus; error?: string; cause?: string }> {
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  let last: string | undefined;
  for (;;) {
    const answer = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const status = (answer.status ?? 'RUNNING') as ExecutionStatus;
    if (status !== last) options.onStatus?.(status, answer.error);
    last = status;
    if (status !== 'RUNNING') {
      return { status, ...(answer.error ? { error: answer.error } : {}), ...(answer.cause ? { cause: answer.cause } : {}) };
    }
    await sleep(options.pollMs ?? 2000);
  }
}
