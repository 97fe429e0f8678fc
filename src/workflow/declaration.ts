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
