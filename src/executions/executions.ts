import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  ExecutionListItem,
  HistoryEvent,
  ListExecutionsCommand,
  paginateGetExecutionHistory,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { RuntimeError, ValidationError } from '../errors';
import { isWorkflowName, WorkflowName } from '../workflow/declaration';
import type { RunProgress } from '../workflow/runner';
import type { RunRecord } from '../workflow/runs';
import { ExecutionFollower } from './execution-history';

/**
 * Workflow runs in a deployed stack: Step Functions executions of the cloudsweep state machine,
 * input `{"workflow": NAME}`, named by their run id (the state machine uses the execution name as
 * `run_id`, so deployed and in-process runs share one id scheme). Followed and read back here as
 * the same RunRecords the in-process runner stores.
 */
export interface ExecutionsDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  /** Between history polls; injected so tests need not wait (and a display can tick). */
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
}

export interface StartedExecution {
  executionArn: string;
  runId: string;
  startedAt: Date;
}

/** Starts the workflow's execution, named by the run id, with input `{"workflow": NAME}`. */
export async function startExecution(deps: ExecutionsDeps, workflow: WorkflowName, runId: string): Promise<StartedExecution> {
  const answer = await deps.sfn.send(
    new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name: runId, input: JSON.stringify({ workflow }) }),
  );
  if (!answer.executionArn) throw new RuntimeError('Step Functions StartExecution returned no execution ARN');
  return { executionArn: answer.executionArn, runId, startedAt: answer.startDate ?? new Date() };
}

/** Polls the execution's history until it ends, reporting each step as it happens. */
export async function followExecution(
  deps: ExecutionsDeps,
  started: StartedExecution,
  workflow: WorkflowName,
  notify?: (progress: RunProgress) => void,
): Promise<RunRecord> {
  const follower = new ExecutionFollower(workflow, started.runId, started.startedAt, notify);
  const wait = deps.sleep ?? sleep;
  while (!follower.consume(await history(deps.sfn, started.executionArn))) await wait(deps.pollMs ?? 1000);
  return follower.run;
}

/** One run, by its id (the execution name); undefined when the state machine has no such execution. */
export async function readExecution(deps: ExecutionsDeps, runId: string): Promise<RunRecord | undefined> {
  const executionArn = executionArnOf(deps.stateMachineArn, runId);
  let described;
  try {
    described = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
  const workflow = workflowOf(described.input);
  const follower = new ExecutionFollower(workflow, runId, described.startDate ?? new Date());
  // A running execution comes back as far as it got, its status `running`.
  follower.consume(await history(deps.sfn, executionArn));
  return follower.run;
}

/** The latest runs, newest first, with their workflow, status and times (no steps). */
export async function listExecutions(deps: ExecutionsDeps, limit: number): Promise<RunRecord[]> {
  const listed = await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn: deps.stateMachineArn, maxResults: limit }));
  const items = (listed.executions ?? []).slice(0, limit);
  return Promise.all(items.map((item) => summarize(deps, item)));
}

async function summarize(deps: ExecutionsDeps, item: ExecutionListItem): Promise<RunRecord> {
  const described = item.executionArn ? await deps.sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn })) : undefined;
  const startedAt = item.startDate ?? new Date(0);
  const run: RunRecord = {
    run_id: item.name ?? '',
    workflow: workflowOf(described?.input),
    mode: 'deployed',
    status: item.status === 'RUNNING' ? 'running' : item.status === 'SUCCEEDED' ? 'succeeded' : 'failed',
    started_at: startedAt.toISOString(),
    steps: [],
  };
  if (item.stopDate) {
    run.finished_at = item.stopDate.toISOString();
    run.duration_ms = item.stopDate.getTime() - startedAt.getTime();
  }
  if (described?.error || described?.cause) run.error = [described.error, described.cause].filter(Boolean).join(': ');
  return run;
}

/** `arn:aws:states:R:A:stateMachine:NAME` + run id -> `arn:aws:states:R:A:execution:NAME:RUN`. */
export function executionArnOf(stateMachineArn: string, runId: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine') {
    throw new ValidationError(`${stateMachineArn} is not a Step Functions state machine ARN`);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], runId].join(':');
}

function workflowOf(input: string | undefined): WorkflowName {
  try {
    const workflow = (JSON.parse(input ?? '{}') as { workflow?: unknown }).workflow;
    if (typeof workflow === 'string' && isWorkflowName(workflow)) return workflow;
  } catch {
    // not JSON: an execution someone started by hand
  }
  return 'collect_and_cleanup';
}

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 1000 }, { executionArn })) events.push(...(page.events ?? []));
  return events;
}
