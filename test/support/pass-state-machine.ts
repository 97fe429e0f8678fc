import { ACTION_RUNS, firstOf, lastOf, StepAction, STRETCHES, WORKFLOW_NAMES, WORKFLOWS } from '../../src/workflow/declaration';

/**
 * A stand-in for the deployed state machine that moto can execute: the states, state names and
 * state data of lib/constructs/workflow-state-machine.ts (the lease taken for the workflow, one
 * chain of stretches of steps entered at the workflow's first event, `After <event>` choices to
 * leave it, the failure path), with Pass states where the real machine invokes the Lambdas and
 * publishes events (moto cannot run Lambdas without Docker). Each stretch's Pass adds its jobs and
 * the summaries drawn in it to the state, as plan's answer does.
 * `failAt` fails the execution the way the real catch path does: at that event, or at
 * `acquire_lease` / `release_lease`.
 */
export interface PassMachineOptions {
  summaries: Partial<Record<StepAction, Record<string, unknown>>>;
  jobs?: Record<string, unknown[]>;
  failAt?: string;
  failure?: { error: string; cause: string };
}

const ACTION_STATE: Partial<Record<StepAction, string>> = { collect: 'Summarize collect', cleanup: 'Clean up' };

export function passStateMachineDefinition(options: PassMachineOptions): string {
  const states: Record<string, unknown> = {};
  /** Where `stage` goes: to the failure path when the execution should fail there, else to `next`. */
  const failingAt = (stage: string, next: string) => (options.failAt === stage ? `Failed during ${stage}` : next);
  /** What each stretch's invocation answers, kept in the state from the start (Pass states cannot merge a literal). */
  const answers: Record<string, { summaries: Record<string, unknown>; jobs: Record<string, unknown> }> = {};

  // Where a run leaves: the last stretch gives the lease up (or fails to).
  const done = failingAt('release_lease', 'Done');
  let next = done;
  for (let at = STRETCHES.length - 1; at >= 0; at--) {
    const stretch = STRETCHES[at];
    if (!stretch) continue;
    const first = firstOf(stretch);
    const last = lastOf(stretch);
    const leaving = WORKFLOW_NAMES.filter((name) => WORKFLOWS[name].last === last.event);
    let after = next;
    if (leaving.length > 0 && next !== done) {
      after = `After ${last.event}`;
      states[after] = {
        Type: 'Choice',
        Choices: leaving.map((name) => ({ Variable: '$.workflow', StringEquals: name, Next: done })),
        Default: next,
      };
    }
    let afterSteps = after;
    const ownAction = last.action && ACTION_RUNS[last.action] === 'own_states' ? last.action : undefined;
    if (ownAction) {
      const actionState = ACTION_STATE[ownAction] ?? ownAction;
      states[actionState] =
        options.failAt === last.event
          ? { Type: 'Pass', ResultPath: null, Next: `Failed during ${last.event}` }
          : { Type: 'Pass', Result: options.summaries[ownAction] ?? {}, ResultPath: `$.summaries.${ownAction}`, Next: after };
      afterSteps = actionState;
    }
    const failing = stretch.find((step) => step.event === options.failAt && (step !== last || !ownAction));
    answers[first.event] = {
      summaries: Object.fromEntries(stretch.flatMap((step) => (step.action && ACTION_RUNS[step.action] === 'with_events' ? [[step.action, options.summaries[step.action] ?? {}]] : []))),
      jobs: Object.fromEntries(stretch.map((step) => [step.event, { event: step.event, jobs: options.jobs?.[step.event] ?? [], started_at: '2026-11-24T10:00:00.000Z', duration_ms: 20 }])),
    };
    const name = stretch.length === 1 ? `Publish ${first.event}` : `Publish ${first.event} to ${last.event}`;
    // A failing invocation answers nothing: the state goes on to the failure path as it was.
    states[name] = failing
      ? { Type: 'Pass', ResultPath: null, Next: `Failed during ${failing.event}` }
      : {
          Type: 'Pass',
          Parameters: {
            'workflow.$': '$.workflow',
            'run_id.$': '$.run_id',
            'lease.$': '$.lease',
            'answers.$': '$.answers',
            'summaries.$': `States.JsonMerge($.summaries, $.answers.${first.event}.summaries, false)`,
            'jobs.$': `States.JsonMerge($.jobs, $.answers.${first.event}.jobs, false)`,
          },
          Next: afterSteps,
        };
    next = name;
  }

  const entry = (event: string) => Object.keys(states).find((name) => name === `Publish ${event}` || name.startsWith(`Publish ${event} to `)) ?? 'Done';
  for (const name of WORKFLOW_NAMES) {
    states[`Acquire lease for ${name}`] = {
      Type: 'Pass',
      Parameters: {
        workflow: name,
        'run_id.$': '$$.Execution.Name',
        lease: { 'holder.$': '$$.Execution.Name', workflow: name, where: 'step-functions', acquired_at: '2026-11-24T10:00:00.000Z', expires_at: 1795528800 },
        summaries: {},
        jobs: {},
        answers,
      },
      Next: failingAt('acquire_lease', entry(WORKFLOWS[name].first)),
    };
  }
  states['Choose workflow'] = {
    Type: 'Choice',
    Choices: WORKFLOW_NAMES.map((name) => ({ Variable: '$.workflow', StringEquals: name, Next: `Acquire lease for ${name}` })),
    Default: 'Unknown workflow',
  };
  states['Unknown workflow'] = { Type: 'Fail', Error: 'UnknownWorkflow', Cause: 'unknown workflow' };

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
