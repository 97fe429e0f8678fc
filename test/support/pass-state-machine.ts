import { StepAction, WORKFLOW_NAMES, WORKFLOW_STEPS, WORKFLOWS } from '../../src/workflow/declaration';

/**
 * A stand-in for the deployed state machine that moto can execute: the states, state names and
 * state data of lib/constructs/workflow-state-machine.ts (the lease taken before the steps and
 * released after them, one chain of steps entered at the workflow's first event, `After <event>`
 * choices to leave it, the failure path), with Pass states where the real machine invokes the
 * Lambdas and publishes events (moto cannot run Lambdas without Docker).
 * `failAt` fails the execution the way the real catch path does: at that event's action, or at
 * `acquire_lease` / `release_lease`.
 */
export interface PassMachineOptions {
  summaries: Partial<Record<StepAction, Record<string, unknown>>>;
  jobs?: Record<string, unknown[]>;
  failAt?: string;
  failure?: { error: string; cause: string };
}

const ACTION_STATE: Record<StepAction, string> = { collect: 'Summarize collect', plan: 'Draw cleanup plan', cleanup: 'Clean up' };

export function passStateMachineDefinition(options: PassMachineOptions): string {
  const states: Record<string, unknown> = {};
  /** Where `stage` goes: to the failure path when the execution should fail there, else to `next`. */
  const failingAt = (stage: string, next: string) => (options.failAt === stage ? `Failed during ${stage}` : next);

  let next = 'Release lease';
  for (let at = WORKFLOW_STEPS.length - 1; at >= 0; at--) {
    const step = WORKFLOW_STEPS[at];
    if (!step) continue;
    const leaving = WORKFLOW_NAMES.filter((name) => WORKFLOWS[name].last === step.event);
    let after = next;
    if (leaving.length > 0 && next !== 'Release lease') {
      after = `After ${step.event}`;
      states[after] = {
        Type: 'Choice',
        Choices: leaving.map((name) => ({ Variable: '$.workflow', StringEquals: name, Next: 'Release lease' })),
        Default: next,
      };
    }
    let afterJobs = after;
    if (step.action) {
      const actionState = ACTION_STATE[step.action];
      states[actionState] =
        options.failAt === step.event
          ? { Type: 'Pass', ResultPath: null, Next: `Failed during ${step.event}` }
          : { Type: 'Pass', Result: options.summaries[step.action] ?? {}, ResultPath: `$.summaries.${step.action}`, Next: after };
      afterJobs = actionState;
    }
    states[`Publish ${step.event}`] = {
      Type: 'Pass',
      Result: { event: step.event, jobs: options.jobs?.[step.event] ?? [] },
      ResultPath: `$.jobs.${step.event}`,
      Next: afterJobs,
    };
    next = `Publish ${step.event}`;
  }

  const choices = WORKFLOW_NAMES.map((name) => ({ Variable: '$.workflow', StringEquals: name, Next: `Start ${name}` }));
  for (const name of WORKFLOW_NAMES) {
    states[`Start ${name}`] = {
      Type: 'Pass',
      Parameters: { workflow: name, 'run_id.$': '$$.Execution.Name', summaries: {} },
      Next: 'Acquire lease',
    };
  }
  states['Choose workflow'] = { Type: 'Choice', Choices: choices, Default: 'Unknown workflow' };
  states['Unknown workflow'] = { Type: 'Fail', Error: 'UnknownWorkflow', Cause: 'unknown workflow' };
  states['Acquire lease'] = {
    Type: 'Pass',
    Parameters: { 'holder.$': '$.run_id', 'workflow.$': '$.workflow', where: 'step-functions', acquired_at: '2026-11-24T10:00:00.000Z', expires_at: 1795528800 },
    ResultPath: '$.lease',
    Next: failingAt('acquire_lease', 'Enter workflow'),
  };
  states['Enter workflow'] = {
    Type: 'Choice',
    Choices: WORKFLOW_NAMES.map((name) => ({ Variable: '$.workflow', StringEquals: name, Next: `Publish ${WORKFLOWS[name].first}` })),
    Default: 'Unknown workflow',
  };
  states['Release lease'] = { Type: 'Pass', ResultPath: null, Next: failingAt('release_lease', 'Done') };

  if (options.failAt) {
    states[`Failed during ${options.failAt}`] = { Type: 'Pass', Result: options.failAt, ResultPath: '$.failed_step', Next: 'Publish workflow_failed' };
  }
  states['Publish workflow_failed'] = { Type: 'Pass', ResultPath: null, Next: 'Release lease after failure' };
  states['Release lease after failure'] = { Type: 'Pass', ResultPath: null, Next: 'Workflow failed' };
  const failure = options.failure ?? { error: 'StepFailed', cause: 'failed' };
  states['Workflow failed'] = { Type: 'Fail', Error: failure.error, Cause: failure.cause };
  states.Done = { Type: 'Succeed' };
  return JSON.stringify({ StartAt: 'Choose workflow', States: states });
}
