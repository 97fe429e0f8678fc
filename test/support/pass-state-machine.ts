import { StepAction, WORKFLOW_NAMES, WORKFLOW_STEPS, WORKFLOWS } from '../../src/workflow/declaration';

/**
 * A stand-in for the deployed state machine that moto can execute: the states, state names and
 * state data of lib/constructs/workflow-state-machine.ts (one chain of steps entered at the
 * workflow's first event, `After <event>` choices to leave it), with Pass states where the real
 * machine invokes the Lambdas and publishes events (moto cannot run Lambdas without Docker).
 * `failAt` fails the execution at that event's action the way the real catch path does.
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
  let next = 'Done';
  for (let at = WORKFLOW_STEPS.length - 1; at >= 0; at--) {
    const step = WORKFLOW_STEPS[at];
    if (!step) continue;
    const leaving = WORKFLOW_NAMES.filter((name) => WORKFLOWS[name].last === step.event);
    let after = next;
    if (leaving.length > 0 && next !== 'Done') {
      after = `After ${step.event}`;
      states[after] = {
        Type: 'Choice',
        Choices: leaving.map((name) => ({ Variable: '$.workflow', StringEquals: name, Next: 'Done' })),
        Default: next,
      };
    }
    const failing = options.failAt === step.event;
    let afterJobs = after;
    if (step.action) {
      const actionState = ACTION_STATE[step.action];
      states[actionState] = failing
        ? { Type: 'Pass', Result: step.event, ResultPath: '$.failed_step', Next: 'Workflow failed' }
        : { Type: 'Pass', Result: options.summaries[step.action] ?? {}, ResultPath: `$.summaries.${step.action}`, Next: after };
      afterJobs = actionState;
    }
    states[`Run jobs ${step.event}`] = {
      Type: 'Pass',
      Result: { event: step.event, jobs: options.jobs?.[step.event] ?? [] },
      ResultPath: `$.jobs.${step.event}`,
      Next: afterJobs,
    };
    states[`Publish ${step.event}`] = { Type: 'Pass', ResultPath: null, Next: `Run jobs ${step.event}` };
    next = `Publish ${step.event}`;
  }
  const choices = WORKFLOW_NAMES.map((name) => ({ Variable: '$.workflow', StringEquals: name, Next: `Start ${name}` }));
  for (const name of WORKFLOW_NAMES) {
    states[`Start ${name}`] = {
      Type: 'Pass',
      Parameters: { workflow: name, 'run_id.$': '$$.Execution.Name', summaries: {} },
      Next: `Publish ${WORKFLOWS[name].first}`,
    };
  }
  states['Choose workflow'] = { Type: 'Choice', Choices: choices, Default: 'Unknown workflow' };
  states['Unknown workflow'] = { Type: 'Fail', Error: 'UnknownWorkflow', Cause: 'unknown workflow' };
  const failure = options.failure ?? { error: 'StepFailed', cause: 'failed' };
  states['Workflow failed'] = { Type: 'Fail', Error: failure.error, Cause: failure.cause };
  states.Done = { Type: 'Succeed' };
  return JSON.stringify({ StartAt: 'Choose workflow', States: states });
}
