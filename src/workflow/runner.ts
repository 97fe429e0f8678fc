import { WORKFLOW_FAILED, WorkflowFailedSummary } from '../events/contracts';
import type { CleanupSummary, CollectSummary, JobRunResult, JobsSummary, PlanSummary, RunRef } from './step-payloads';
import { StepAction, stepsOf, WorkflowEvent, WorkflowName, WorkflowStep } from './declaration';
import { DEFAULT_LEASE_TIMING, holdLease, Lease, LeaseTiming } from './lease';
import type { EventPublisher } from './publisher';
import { abandonStaleRuns, newRunId, RunRecord, RunStore, StepRecord } from './runs';

/**
 * The in-process workflow runner: follows the declaration (src/workflow/declaration.ts) step by
 * step. At each event it publishes the event, runs the jobs subscribed to it to completion, then
 * performs the step's action. A failing job is recorded and the run goes on; a failing action
 * ends the run, publishes `workflow_failed` and leaves the run marked failed.
 */

/** What the workflow does at its action steps, injected: the real ones or test fakes. */
export interface StepActions {
  collect(ref: RunRef, progress: (line: string) => void): Promise<CollectSummary>;
  plan(ref: RunRef, progress: (line: string) => void): Promise<PlanSummary>;
  /** `previous`: this run's summary of its earlier cleanup invocations, when the step runs again. */
  cleanup(ref: RunRef, progress: (line: string) => void, previous?: CleanupSummary): Promise<CleanupSummary>;
}

export type RunProgress =
  | { type: 'run_started'; run: RunRecord }
  /** Runs left `running` by a process that was killed, marked abandoned by this run. */
  | { type: 'runs_abandoned'; runs: RunRecord[] }
  | { type: 'step_started'; step: WorkflowStep; index: number; total: number }
  | { type: 'jobs_finished'; step: WorkflowStep; jobs: JobRunResult[] }
  | { type: 'action_progress'; step: WorkflowStep; line: string }
  | { type: 'step_finished'; step: WorkflowStep; record: StepRecord }
  | { type: 'run_finished'; run: RunRecord };

export interface RunnerDeps {
  publisher: EventPublisher;
  runJobs(event: WorkflowEvent, ref: RunRef): Promise<JobsSummary>;
  actions: StepActions;
  runs: RunStore;
  lease: Lease;
  leaseTiming?: Partial<LeaseTiming>;
  clock: () => Date;
  /** Where this run executes (`host:pid`), shown to a run that finds the lease taken. */
  where: string;
  newRunId?: (now: Date) => string;
  onProgress?: (progress: RunProgress) => void;
}

export async function runWorkflow(deps: RunnerDeps, workflow: WorkflowName): Promise<RunRecord> {
  const startedAt = deps.clock();
  const ref: RunRef = { workflow, run_id: (deps.newRunId ?? newRunId)(startedAt) };
  const lease = await holdLease(
    deps.lease,
    { holder: ref.run_id, workflow, where: deps.where, acquired_at: startedAt.toISOString() },
    { ...DEFAULT_LEASE_TIMING, ...deps.leaseTiming },
  );
  const notify = deps.onProgress ?? (() => undefined);
  const run: RunRecord = { run_id: ref.run_id, workflow, mode: 'in-process', status: 'running', started_at: startedAt.toISOString(), steps: [] };
  try {
    await deps.runs.save(run);
    notify({ type: 'run_started', run });
    const abandoned = await abandonStaleRuns(deps.runs, ref.run_id, startedAt);
    if (abandoned.length > 0) notify({ type: 'runs_abandoned', runs: abandoned });
    const steps = stepsOf(workflow);
    const summaries: Partial<Record<StepAction, Record<string, unknown>>> = {};
    for (const [index, step] of steps.entries()) {
      notify({ type: 'step_started', step, index, total: steps.length });
      const record = await runStep(deps, ref, step, summaries, () => lease.lost, notify);
      run.steps.push(record);
      notify({ type: 'step_finished', step, record });
      if (record.status === 'failed') {
        run.status = 'failed';
        run.error = `${step.event}: ${record.error ?? 'failed'}`;
        const unpublished = await publishFailure(deps, ref, step, record.error ?? 'failed');
        if (unpublished) run.error += `; ${unpublished}`;
        break;
      }
      await deps.runs.save(run);
    }
    if (run.status === 'running') run.status = 'succeeded';
  } finally {
    const finished = deps.clock();
    run.finished_at = finished.toISOString();
    run.duration_ms = finished.getTime() - startedAt.getTime();
    if (run.status === 'running') {
      run.status = 'failed';
      run.error ??= 'the run was interrupted';
    }
    try {
      await deps.runs.save(run);
    } finally {
      await lease.release();
    }
  }
  notify({ type: 'run_finished', run });
  return run;
}

async function runStep(
  deps: RunnerDeps,
  ref: RunRef,
  step: WorkflowStep,
  summaries: Partial<Record<StepAction, Record<string, unknown>>>,
  leaseLost: () => boolean,
  notify: (progress: RunProgress) => void,
): Promise<StepRecord> {
  const started = deps.clock();
  const record: StepRecord = { event: step.event, ...(step.action ? { action: step.action } : {}), status: 'succeeded', started_at: started.toISOString(), duration_ms: 0, jobs: [] };
  try {
    if (leaseLost()) throw new Error('the workflow lease was lost (another run took it after a renewal failed); stopping before this step');
    const summary = step.reports ? (summaries[step.reports] ?? {}) : {};
    await deps.publisher.publish(step.event, { workflow: ref.workflow, run_id: ref.run_id, summary });
    record.jobs = (await deps.runJobs(step.event, ref)).jobs;
    notify({ type: 'jobs_finished', step, jobs: record.jobs });
    const incomplete = step.failsWhenIncomplete ? summary.incomplete : undefined;
    if (typeof incomplete === 'string') throw new Error(incomplete);
    if (step.action) {
      const progress = (line: string) => notify({ type: 'action_progress', step, line });
      const result = (await runAction(deps.actions, step, ref, progress)) as unknown as Record<string, unknown>;
      summaries[step.action] = result;
      record.summary = result;
    }
  } catch (error) {
    record.status = 'failed';
    record.error = (error as Error).message ?? String(error);
  }
  record.duration_ms = deps.clock().getTime() - started.getTime();
  return record;
}

/** The step's action, run again while it reports keys remaining, as the declaration bounds it. */
async function runAction(actions: StepActions, step: WorkflowStep, ref: RunRef, progress: (line: string) => void) {
  if (step.action !== 'cleanup') return step.action === 'collect' ? actions.collect(ref, progress) : actions.plan(ref, progress);
  let summary = await actions.cleanup(ref, progress);
  const most = step.repeatWhileRemaining ?? 1;
  while (summary.remaining > 0 && summary.invocations < most) {
    progress(`${summary.remaining} keys left: cleanup runs again (invocation ${summary.invocations + 1} of at most ${most})`);
    summary = await actions.cleanup(ref, progress, summary);
  }
  return summary;
}

/** Publishes `workflow_failed`; a bus that is down must not hide the step's own error, so it is returned. */
async function publishFailure(deps: RunnerDeps, ref: RunRef, step: WorkflowStep, error: string): Promise<string | undefined> {
  const summary: WorkflowFailedSummary = { step: step.event, error: 'StepFailed', cause: error };
  try {
    await deps.publisher.publish(WORKFLOW_FAILED, { workflow: ref.workflow, run_id: ref.run_id, summary: { ...summary } });
    return undefined;
  } catch (publishError) {
    return `${WORKFLOW_FAILED} could not be published: ${(publishError as Error).message}`;
  }
}
