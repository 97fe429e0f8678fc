import { ACTION_RUNS, endsWorkflow, FailedStage, incompleteError, StepAction, stepFailedError, Stretch, WorkflowEvent, WorkflowStep } from './declaration';
import type { EventPublisher } from './publisher';
import type { JobRunResult, JobsSummary, RunRef } from './step-payloads';

/**
 * One stretch of steps (src/workflow/declaration.ts), run by the plan function for the state
 * machine and by the in-process runner alike. At each step, in order: publish the event with its
 * summary, run the jobs subscribed to it to completion, fail when the step says so and the summary
 * it reported is incomplete, do the action when it runs with the events (the plan). So the plan
 * published with post_cleanup_plan is the one this stretch drew.
 */

/** What a run has done so far: the action summaries and each step's jobs (the state machine's state data carries both). */
export interface RunState {
  summaries: Partial<Record<StepAction, Record<string, unknown>>>;
  jobs: Partial<Record<WorkflowEvent, StepJobs>>;
}

/** A step's jobs, with when the step began and how long its event and jobs (and an action run with them) took. */
export interface StepJobs extends JobsSummary {
  started_at: string;
  duration_ms: number;
}

export interface StretchDeps {
  publisher: EventPublisher;
  runJobs(event: WorkflowEvent, ref: RunRef): Promise<JobsSummary>;
  /** Does the step's action, one that runs with the events (ACTION_RUNS `with_events`): the plan. */
  act(step: WorkflowStep & { action: StepAction }, ref: RunRef): Promise<Record<string, unknown>>;
  clock: () => Date;
  /**
   * Gives the run's lease up, after the stretch that ends the workflow: the state machine's last
   * invocation does it, saving a state. The in-process runner, which renews its lease, gives it up
   * itself once the run is recorded.
   */
  releaseLease?: () => Promise<unknown>;
  /** Before each step: a step that must not start throws (the in-process runner's lease was lost). */
  stepStarted?: (step: WorkflowStep) => Promise<void>;
  jobsFinished?: (step: WorkflowStep, jobs: JobRunResult[]) => void;
}

/**
 * A stretch that failed at `stage`. Its name says where (`CleanupPlanFailed`, `CleanupIncomplete`,
 * `ReleaseLeaseFailed`): the state machine, which sees only a failed invocation's error name,
 * catches each name into the failure path of its step, so `workflow_failed` names the step.
 */
export class StepFailedError extends Error {
  private constructor(
    readonly stage: FailedStage,
    /** What went wrong, as the in-process runner reports it. */
    readonly reason: Error,
    name: string,
    message: string,
  ) {
    super(message, { cause: reason });
    this.name = name;
  }

  /** The step (or the lease's release) failed: the message keeps the original error's name. */
  static at(stage: FailedStage, error: unknown): StepFailedError {
    const reason = error instanceof Error ? error : new Error(String(error));
    const named = reason.name && reason.name !== 'Error' ? `${reason.name}: ${reason.message}` : reason.message;
    return new StepFailedError(stage, reason, stepFailedError(stage), named);
  }

  /** The step's reported summary is incomplete (`CleanupIncomplete`): the message is its text. */
  static incomplete(step: WorkflowStep, text: string): StepFailedError {
    return new StepFailedError(step.event, new Error(text), incompleteError(step) ?? stepFailedError(step.event), text);
  }
}

/**
 * Runs the stretch's steps; gives back the state with their jobs and summaries added (what else it
 * holds passed on as it was), or throws StepFailedError.
 */
export async function runStretch<S extends RunState>(deps: StretchDeps, ref: RunRef, stretch: Stretch, state: S): Promise<S> {
  const next: S = { ...state, summaries: { ...state.summaries }, jobs: { ...state.jobs } };
  for (const step of stretch) {
    const started = deps.clock();
    try {
      await deps.stepStarted?.(step);
      const summary = step.reports ? (next.summaries[step.reports] ?? {}) : {};
      await deps.publisher.publish(step.event, { workflow: ref.workflow, run_id: ref.run_id, summary });
      const { jobs } = await deps.runJobs(step.event, ref);
      deps.jobsFinished?.(step, jobs);
      next.jobs[step.event] = { event: step.event, jobs, started_at: started.toISOString(), duration_ms: 0 };
      const incomplete = step.failsWhenIncomplete ? summary.incomplete : undefined;
      if (typeof incomplete === 'string') throw StepFailedError.incomplete(step, incomplete);
      if (step.action && ACTION_RUNS[step.action] === 'with_events') next.summaries[step.action] = await deps.act({ ...step, action: step.action }, ref);
    } catch (error) {
      if (error instanceof StepFailedError) throw error;
      throw StepFailedError.at(step.event, error);
    }
    const jobs = next.jobs[step.event];
    if (jobs) jobs.duration_ms = deps.clock().getTime() - started.getTime();
  }
  if (deps.releaseLease && endsWorkflow(stretch, ref.workflow)) {
    try {
      await deps.releaseLease();
    } catch (error) {
      throw StepFailedError.at('release_lease', error);
    }
  }
  return next;
}
