import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { RuntimeError } from '../errors';
import type { WorkflowName } from './declaration';

/**
 * `workflow run` against the deployed stack: one Step Functions execution of the state machine
 * generated from the same declaration, input `{"workflow": NAME}` (SPEC section 6). The execution
 * is named after the run id, which the state machine uses as `run_id`, so `workflow show` and the
 * console agree. Following it is src/deployed/executions.ts's `followExecution`.
 */
export interface DeployedExecution {
  executionArn: string;
  run_id: string;
  startedAt: Date;
}

export async function startDeployedRun(sfn: SFNClient, stateMachineArn: string, workflow: WorkflowName, runId: string): Promise<DeployedExecution> {
  const answer = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify({ workflow }) }));
  if (!answer.executionArn) throw new RuntimeError('Step Functions StartExecution returned no execution ARN');
  return { executionArn: answer.executionArn, run_id: runId, startedAt: answer.startDate ?? new Date() };
}
