import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { JobRunResult } from '../workflow/step-payloads';
import { isWorkflowEvent, lastOf, StepAction, stepsOf, Stretch, stretchFrom, WorkflowEvent, WorkflowName, WorkflowStep } from '../workflow/declaration';
import type { StepJobs } from '../workflow/stretch';
import type { RunProgress } from '../workflow/runner';
import type { RunRecord, StepRecord } from '../workflow/runs';

/**
 * Reads a Step Functions execution of the cloudsweep state machine (lib/constructs/
 * workflow-state-machine.ts) as a workflow run: the same `RunProgress` events and `RunRecord` the
 * in-process runner produces, so `workflow run|list|show` print deployed and in-process runs alike.
 *
 * It relies on the state names the construct generates from the workflow declaration: each
 * stretch of steps is one state, `Publish <event>` or `Publish <first> to <last>`, which leaves
 * each step's jobs (with when it began and how long it took) at `$.jobs.<event>` and the plan at
 * `$.summaries.plan`; the actions of their own states leave `$.summaries.<action>`
 * (`Summarize collect`, `Clean up`). A failure enters `Failed during <step>`: the steps of the
 * stretch before it succeeded. Around the steps, the lease: `Acquire lease for <workflow>` before
 * the first (no step of its own: a run that waits for it shows no step until it has it), given up
 * by the last stretch; a failure there enters `Failed during acquire_lease|release_lease`, and the
 * run's error names that stage instead of a step.
 */

const SUMMARY_STATES: Record<string, StepAction> = {
  'Summarize collect': 'collect',
  'Clean up': 'cleanup',
};
const PUBLISH = /^Publish (\w+)(?: to \w+)?$/;
const FAILED_DURING = /^Failed during (\w+)$/;
const LEASE_STAGES = ['acquire_lease', 'release_lease'];

export class ExecutionFollower {
  readonly run: RunRecord;
  private readonly steps: WorkflowStep[];
  private current: { step: WorkflowStep; record: StepRecord; startedMs: number } | undefined;
  /** The stretch of steps whose state was entered last. */
  private stretch: Stretch | undefined;
  private lastEventId = 0;
  private collectAccounts = { total: 0, done: 0, failed: 0 };
  /** Set when the execution failed taking or releasing the lease, outside any step. */
  private failedStage: string | undefined;

  constructor(
    workflow: WorkflowName,
    runId: string,
    startedAt: Date,
    private readonly notify: (progress: RunProgress) => void = () => undefined,
  ) {
    this.steps = stepsOf(workflow);
    this.run = { run_id: runId, workflow, mode: 'deployed', status: 'running', started_at: startedAt.toISOString(), steps: [] };
    this.notify({ type: 'run_started', run: this.run });
  }

  get finished(): boolean {
    return this.run.status !== 'running';
  }

  /** Feeds history events (any order, repeats ignored); returns whether the execution has ended. */
  consume(events: readonly HistoryEvent[]): boolean {
    const fresh = events.filter((event) => (event.id ?? 0) > this.lastEventId).sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    for (const event of fresh) {
      this.lastEventId = event.id ?? this.lastEventId;
      if (!this.finished) this.apply(event);
    }
    return this.finished;
  }

  private apply(event: HistoryEvent): void {
    const at = event.timestamp ?? new Date();
    const entered = event.stateEnteredEventDetails?.name;
    const exited = event.stateExitedEventDetails?.name;
    if (entered) this.entered(entered, at);
    if (exited) this.exited(exited, event.stateExitedEventDetails?.output);
    switch (event.type) {
      case 'MapStateStarted':
        this.collectAccounts = { total: event.mapStateStartedEventDetails?.length ?? 0, done: 0, failed: 0 };
        this.progress(`collecting ${this.collectAccounts.total} account(s)`);
        break;
      case 'MapIterationSucceeded':
        this.collectAccounts.done += 1;
        this.progress(`collected ${this.collectAccounts.done}/${this.collectAccounts.total} account(s)`);
        break;
      case 'MapIterationFailed':
        this.collectAccounts.done += 1;
        this.collectAccounts.failed += 1;
        break;
      case 'ExecutionSucceeded':
        this.finish('succeeded', at);
        break;
      case 'ExecutionFailed':
        this.finish('failed', at, describeFailure(event.executionFailedEventDetails?.error, event.executionFailedEventDetails?.cause));
        break;
      case 'ExecutionTimedOut':
        this.finish('failed', at, describeFailure(event.executionTimedOutEventDetails?.error ?? 'States.Timeout', event.executionTimedOutEventDetails?.cause ?? 'the execution timed out'));
        break;
      case 'ExecutionAborted':
        this.finish('failed', at, describeFailure(event.executionAbortedEventDetails?.error ?? 'Aborted', event.executionAbortedEventDetails?.cause ?? 'the execution was stopped'));
        break;
      default:
        break;
    }
  }

  private entered(name: string, at: Date): void {
    const publish = PUBLISH.exec(name)?.[1];
    if (publish && isWorkflowEvent(publish)) {
      this.stretch = stretchFrom(publish);
      this.openStep(publish, at);
      return;
    }
    const failedDuring = FAILED_DURING.exec(name)?.[1];
    if (failedDuring && isWorkflowEvent(failedDuring)) this.advanceTo(failedDuring, at);
    if (failedDuring && LEASE_STAGES.includes(failedDuring)) {
      // Given up after the workflow's last step: the steps were done.
      if (this.stretch) this.advanceTo(lastOf(this.stretch).event, at);
      this.closeStep('succeeded', at);
      this.failedStage = failedDuring;
    }
    if (name === 'List accounts') this.progress('listing the accounts to collect');
  }

  private exited(name: string, output: string | undefined): void {
    const publish = PUBLISH.exec(name)?.[1];
    const stretch = publish && isWorkflowEvent(publish) ? stretchFrom(publish) : undefined;
    if (stretch) {
      this.stretchDone(stretch, output);
      return;
    }
    const action = SUMMARY_STATES[name];
    if (action && this.current) {
      const summary = readPath(output, ['summaries', action]);
      if (summary && typeof summary === 'object') this.current.record.summary = summary as Record<string, unknown>;
    }
  }

  /**
   * A stretch's state answered: each step's jobs and the plan drawn in it. Every step but the last
   * ends with its own time; the last goes on (its action follows, in states of its own) until the
   * next step begins or the run ends.
   */
  private stretchDone(stretch: Stretch, output: string | undefined): void {
    // A failed invocation that was caught leaves the state as it was, without this stretch's jobs.
    if (readPath(output, ['jobs', stretch[0]?.event ?? '']) === undefined) return;
    for (const [index, step] of stretch.entries()) {
      const ran = readPath(output, ['jobs', step.event]) as StepJobs | undefined;
      const began = ran?.started_at ? new Date(ran.started_at) : new Date();
      if (index > 0) this.openStep(step.event, began);
      if (this.current?.step.event !== step.event) return;
      const jobs: JobRunResult[] = Array.isArray(ran?.jobs) ? ran.jobs : [];
      this.current.record.jobs = jobs;
      this.notify({ type: 'jobs_finished', step: this.current.step, jobs });
      const summary = step.action ? readPath(output, ['summaries', step.action]) : undefined;
      if (summary && typeof summary === 'object') this.current.record.summary = summary as Record<string, unknown>;
      if (index < stretch.length - 1) this.closeStep('succeeded', new Date(began.getTime() + (ran?.duration_ms ?? 0)));
    }
  }

  /** Opens the steps after the current one up to this one, as a failure there shows the ones before it done. */
  private advanceTo(event: WorkflowEvent, at: Date): void {
    const target = this.steps.findIndex((step) => step.event === event);
    const current = this.current?.step.event;
    const from = current ? this.steps.findIndex((step) => step.event === current) : target - 1;
    for (let index = from + 1; index <= target; index++) {
      const step = this.steps[index];
      if (step) this.openStep(step.event, at);
    }
  }

  private openStep(event: WorkflowEvent, at: Date): void {
    this.closeStep('succeeded', at);
    const index = this.steps.findIndex((step) => step.event === event);
    const step = this.steps[index] ?? { event };
    const record: StepRecord = { event, ...(step.action ? { action: step.action } : {}), status: 'succeeded', started_at: at.toISOString(), duration_ms: 0, jobs: [] };
    this.current = { step, record, startedMs: at.getTime() };
    this.notify({ type: 'step_started', step, index: Math.max(index, 0), total: this.steps.length });
  }

  private closeStep(status: StepRecord['status'], at: Date, error?: string): void {
    if (!this.current) return;
    const { step, record, startedMs } = this.current;
    record.status = status;
    record.duration_ms = Math.max(0, at.getTime() - startedMs);
    if (error !== undefined) record.error = error;
    this.run.steps.push(record);
    this.current = undefined;
    this.notify({ type: 'step_finished', step, record });
  }

  private finish(status: RunRecord['status'], at: Date, error?: string): void {
    this.closeStep(status === 'succeeded' ? 'succeeded' : 'failed', at, error);
    this.run.status = status;
    this.run.finished_at = at.toISOString();
    this.run.duration_ms = Math.max(0, at.getTime() - Date.parse(this.run.started_at));
    if (error !== undefined) {
      const failedStep = this.failedStage ?? this.run.steps[this.run.steps.length - 1]?.event;
      this.run.error = failedStep ? `${failedStep}: ${error}` : error;
    }
    this.notify({ type: 'run_finished', run: this.run });
  }

  private progress(line: string): void {
    if (this.current) this.notify({ type: 'action_progress', step: this.current.step, line });
  }
}

/** `Error: cause`, with the cause's own message when it is a Lambda error in JSON. */
export function describeFailure(error: string | undefined, cause: string | undefined): string {
  let detail = cause ?? '';
  try {
    const parsed = JSON.parse(detail) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') detail = parsed.errorMessage;
  } catch {
    // a plain-text cause
  }
  return [error, detail].filter((part) => part !== undefined && part !== '').join(': ') || 'failed';
}

function readPath(output: string | undefined, path: string[]): unknown {
  if (!output) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    return undefined;
  }
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
