import { WORKFLOW_FAILED, WorkflowFailedSummary } from '../events/contracts';
import type { CleanupSummary, CollectSummary, JobRunResult, JobsSummary, PlanSummary, RunRef } from './step-payloads';
import { ACTION_RUNS, lastOf, StepAction, stepsOf, stretchesOf, WorkflowEvent, WorkflowName, WorkflowStep } from './declaration';
import { DEFAULT_LEASE_TIMING, holdLease, Lease, LeaseTiming } from './lease';
import type { EventPublisher } from './publisher';
import { abandonStaleRuns, newRunId, RunRecord, RunStore, StepRecord } from './runs';
import { RunState, runStretch, StepFailedError, StretchDeps } from './stretch';

/**
 * The in-process workflow runner: follows the declaration (src/workflow/declaration.ts) stretch by
 * stretch, as the state machine does (src/workflow/stretch.ts). At each event it publishes the
 * event, runs the jobs subscribed to it to completion, then performs the step's action. A failing
 * job is recorded and the run goes on; a failing action ends the run, publishes `workflow_failed`
 * and leaves the run marked failed.
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
    const failure = await runSteps(deps, ref, run, () => lease.lost, notify);
    if (failure) {
      run.status = 'failed';
      run.error = `${failure.step.event}: ${failure.error}`;
      const unpublished = await publishFailure(deps, ref, failure.step, failure.error);
      if (unpublished) run.error += `; ${unpublished}`;
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

/**
 * The workflow's stretches in order (src/workflow/stretch.ts, as the state machine's plan
 * invocations run them), each followed by the action that runs in states of its own, if any.
 * Each step is recorded on the run as it finishes; gives the step that failed, if one did.
 */
async function runSteps(
  deps: RunnerDeps,
  ref: RunRef,
  run: RunRecord,
  leaseLost: () => boolean,
  notify: (progress: RunProgress) => void,
): Promise<{ step: WorkflowStep; error: string } | undefined> {
  const steps = stepsOf(ref.workflow);
  let current: { step: WorkflowStep; record: StepRecord; startedMs: number } | undefined;
  const close = async (status: StepRecord['status'], error?: string) => {
    if (!current) return;
    const { step, record, startedMs } = current;
    current = undefined;
    record.status = status;
    record.duration_ms = deps.clock().getTime() - startedMs;
    if (error !== undefined) record.error = error;
    run.steps.push(record);
    notify({ type: 'step_finished', step, record });
    if (status === 'succeeded') await deps.runs.save(run);
  };
  /** The action of the step under way, its summary recorded on the step. */
  const act = async (step: WorkflowStep & { action: StepAction }, actionRef: RunRef) => {
    const summary = await runAction(deps.actions, step, actionRef, (line) => notify({ type: 'action_progress', step, line }));
    if (current?.step.event === step.event) current.record.summary = summary;
    return summary;
  };
  const stretchDeps: StretchDeps = {
    publisher: deps.publisher,
    runJobs: (event, jobsRef) => deps.runJobs(event, jobsRef),
    act,
    clock: deps.clock,
    stepStarted: async (step) => {
      await close('succeeded');
      const started = deps.clock();
      current = { step, startedMs: started.getTime(), record: { event: step.event, ...(step.action ? { action: step.action } : {}), status: 'succeeded', started_at: started.toISOString(), duration_ms: 0, jobs: [] } };
      notify({ type: 'step_started', step, index: steps.indexOf(step), total: steps.length });
      if (leaseLost()) throw new Error('the workflow lease was lost (another run took it after a renewal failed); stopping before this step');
    },
    jobsFinished: (step, jobs) => {
      if (current) current.record.jobs = jobs;
      notify({ type: 'jobs_finished', step, jobs });
    },
  };
  let state: RunState = { summaries: {}, jobs: {} };
  for (const stretch of stretchesOf(ref.workflow)) {
    const last = lastOf(stretch);
    try {
      state = await runStretch(stretchDeps, ref, stretch, state);
      // The action that runs in states of its own when deployed (collect, cleanup) comes after the stretch.
      if (last.action && ACTION_RUNS[last.action] === 'own_states') state.summaries[last.action] = await act({ ...last, action: last.action }, ref);
    } catch (error) {
      const failed = current?.step ?? last;
      const message = error instanceof StepFailedError ? error.reason.message : ((error as Error).message ?? String(error));
      await close('failed', message);
      return { step: failed, error: message };
    }
  }
  await close('succeeded');
  return undefined;
}

/** The step's action, run again while it reports keys remaining, as the declaration bounds it. */
async function runAction(actions: StepActions, step: WorkflowStep & { action: StepAction }, ref: RunRef, progress: (line: string) => void): Promise<Record<string, unknown>> {
  if (step.action !== 'cleanup') return (step.action === 'collect' ? actions.collect(ref, progress) : actions.plan(ref, progress)) as unknown as Promise<Record<string, unknown>>;
  let summary = await actions.cleanup(ref, progress);
  const most = step.repeatWhileRemaining ?? 1;
  while (summary.remaining > 0 && summary.invocations < most) {
    progress(`${summary.remaining} keys left: cleanup runs again (invocation ${summary.invocations + 1} of at most ${most})`);
    summary = await actions.cleanup(ref, progress, summary);
  }
  return summary as unknown as Record<string, unknown>;
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
