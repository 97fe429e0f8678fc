/**
 * The workflows, declared once (SPEC section 6). The in-process runner and the Step Functions
 * state machine are both generated from this declaration; neither lists the steps again.
 *
 * At each event a workflow, in this order:
 *   1. publishes the event on the bus (detail `{workflow, run_id, summary}`),
 *   2. runs the active jobs subscribed to it, to completion,
 *   3. performs the event's action, if it has one (again while it reports keys remaining, bounded),
 *   4. fails, if the step says so, when the summary it reported is `incomplete`.
 * So jobs subscribed to an event always finish before the workflow's next step, and the jobs of
 * `cleanup_plan` flag keys before the plan is drawn up.
 */

export const WORKFLOW_EVENTS = [
  'pre_collect',
  'collect',
  'post_collect',
  'pre_cleanup_plan',
  'cleanup_plan',
  'post_cleanup_plan',
  'pre_cleanup',
  'cleanup',
  'post_cleanup',
] as const;

export type WorkflowEvent = (typeof WORKFLOW_EVENTS)[number];

/** The work a workflow does at an event besides running jobs. */
export type StepAction = 'collect' | 'plan' | 'cleanup';

/**
 * Where each action runs. `with_events`: in the same invocation that publishes the events around it
 * (the plan is short and reads only the inventory). `own_states`: in states of its own, with its
 * own function (collect fans out over the accounts, cleanup runs again while keys remain), so a
 * stretch of steps ends at it.
 */
export const ACTION_RUNS: Record<StepAction, 'with_events' | 'own_states'> = { collect: 'own_states', plan: 'with_events', cleanup: 'own_states' };

export interface WorkflowStep {
  event: WorkflowEvent;
  action?: StepAction;
  /** The event whose summary this one carries (`post_collect` carries the collect summary). */
  reports?: StepAction;
  /**
   * Once this event is published and its jobs have run, the run fails when the reported summary
   * says `incomplete` (cleanup could not enter an account): the work that could be done is kept
   * and reported first, then the failure is visible (`workflow_failed`, a failed execution).
   */
  failsWhenIncomplete?: boolean;
  /**
   * The action runs again, given its summary so far, while that summary says keys `remaining`
   * (cleanup stops before its invocation's time runs out), at most this many times in all.
   */
  repeatWhileRemaining?: number;
}

/**
 * Cleanup invocations in one run at most: each may use a Lambda's 15 minutes, so six fit in the
 * default workflow timeout (2 hours) with collect before them. Keys still left fail the run
 * (incomplete) and the next run goes on with them.
 */
export const MAX_CLEANUP_INVOCATIONS = 6;

export const WORKFLOW_STEPS: readonly WorkflowStep[] = [
  { event: 'pre_collect' },
  { event: 'collect', action: 'collect' },
  { event: 'post_collect', reports: 'collect' },
  { event: 'pre_cleanup_plan' },
  { event: 'cleanup_plan', action: 'plan' },
  { event: 'post_cleanup_plan', reports: 'plan' },
  { event: 'pre_cleanup' },
  { event: 'cleanup', action: 'cleanup', repeatWhileRemaining: MAX_CLEANUP_INVOCATIONS },
  { event: 'post_cleanup', reports: 'cleanup', failsWhenIncomplete: true },
];

export const WORKFLOWS = {
  collect_and_cleanup: { first: 'pre_collect', last: 'post_cleanup' },
  collect: { first: 'pre_collect', last: 'post_collect' },
  cleanup: { first: 'pre_cleanup_plan', last: 'post_cleanup' },
} as const satisfies Record<string, { first: WorkflowEvent; last: WorkflowEvent }>;

export type WorkflowName = keyof typeof WORKFLOWS;

export const WORKFLOW_NAMES = Object.keys(WORKFLOWS) as WorkflowName[];

export function isWorkflowName(value: string): value is WorkflowName {
  return Object.prototype.hasOwnProperty.call(WORKFLOWS, value);
}

export function isWorkflowEvent(value: string): value is WorkflowEvent {
  return (WORKFLOW_EVENTS as readonly string[]).includes(value);
}

/** The steps a workflow runs, in order. */
export function stepsOf(workflow: WorkflowName): WorkflowStep[] {
  const { first, last } = WORKFLOWS[workflow];
  const from = WORKFLOW_EVENTS.indexOf(first);
  const to = WORKFLOW_EVENTS.indexOf(last);
  return WORKFLOW_STEPS.filter((step) => {
    const at = WORKFLOW_EVENTS.indexOf(step.event);
    return at >= from && at <= to;
  });
}

/** The error a run fails with after a step whose reported summary is incomplete. */
export function incompleteError(step: WorkflowStep): string | undefined {
  if (!step.failsWhenIncomplete || !step.reports) return undefined;
  return `${step.reports.charAt(0).toUpperCase()}${step.reports.slice(1)}Incomplete`;
}

/**
 * Consecutive steps that one invocation runs, each in order: publish the event, run its jobs, do
 * its action when the action runs with the events (the deployed state machine has one state for
 * them, as Standard workflows bill per state transition; the in-process runner follows the same
 * grouping). A stretch ends after a step whose action runs in its own states, where a workflow
 * leaves, and before a step where a workflow enters, so each workflow is made of whole stretches.
 */
export type Stretch = readonly WorkflowStep[];

export const STRETCHES: readonly Stretch[] = (() => {
  const firsts = new Set<WorkflowEvent>(Object.values(WORKFLOWS).map((w) => w.first));
  const lasts = new Set<WorkflowEvent>(Object.values(WORKFLOWS).map((w) => w.last));
  const stretches: WorkflowStep[][] = [];
  let current: WorkflowStep[] = [];
  for (const step of WORKFLOW_STEPS) {
    if (current.length > 0 && firsts.has(step.event)) {
      stretches.push(current);
      current = [];
    }
    current.push(step);
    if (lasts.has(step.event) || (step.action !== undefined && ACTION_RUNS[step.action] === 'own_states')) {
      stretches.push(current);
      current = [];
    }
  }
  if (current.length > 0) stretches.push(current);
  return stretches;
})();

/** The stretches a workflow runs, in order. */
export function stretchesOf(workflow: WorkflowName): Stretch[] {
  const events = new Set(stepsOf(workflow).map((step) => step.event));
  return STRETCHES.filter((stretch) => events.has(firstOf(stretch).event));
}

/** The stretch that begins at this event; undefined when none does. */
export function stretchFrom(event: WorkflowEvent): Stretch | undefined {
  return STRETCHES.find((stretch) => firstOf(stretch).event === event);
}

export function firstOf(stretch: Stretch): WorkflowStep {
  const first = stretch[0];
  if (!first) throw new Error('a stretch has at least one step');
  return first;
}

export function lastOf(stretch: Stretch): WorkflowStep {
  const last = stretch[stretch.length - 1];
  if (!last) throw new Error('a stretch has at least one step');
  return last;
}

/** Whether the workflow ends with this stretch. */
export function endsWorkflow(stretch: Stretch, workflow: WorkflowName): boolean {
  return stretch.some((step) => step.event === WORKFLOWS[workflow].last);
}

/** Where a run can fail besides its steps: taking or giving up the lease. */
export type FailedStage = WorkflowEvent | 'acquire_lease' | 'release_lease';

/**
 * The error a stretch's invocation throws when it fails at this step (or giving up the lease at
 * its end): `CleanupPlanFailed`, `ReleaseLeaseFailed`. The name tells the state machine, which
 * sees only the error's name, at which step the run failed.
 */
export function stepFailedError(stage: FailedStage): string {
  return `${stage.split('_').map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`).join('')}Failed`;
}
