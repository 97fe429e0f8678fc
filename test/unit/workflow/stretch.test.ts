import { STRETCHES, stretchesOf, stretchFrom, Stretch, WorkflowEvent } from '../../../src/workflow/declaration';
import { RunState, runStretch, StepFailedError, StretchDeps } from '../../../src/workflow/stretch';
import type { CleanupSummary, PlanSummary, RunRef } from '../../../src/workflow/step-payloads';
import { RecordingPublisher } from '../../support/memory-stores';

const PLANNED: PlanSummary = { flagged: 2, protected: 0, candidates: 2, cleanup_enabled: true, dry_run: false };
const CLEANED: CleanupSummary = {
  flagged: 2, protected: 0, skipped: 0, deleted: 2, deactivated: 0, already_absent: 0, failed: 0, dry_run: false, cleanup_enabled: true,
  failed_accounts: [], account_failures: [], remaining: 0, invocations: 1,
};

function stretch(from: WorkflowEvent): Stretch {
  const found = stretchFrom(from);
  if (!found) throw new Error(`no stretch from ${from}`);
  return found;
}

function setup(overrides: Partial<StretchDeps> = {}) {
  const trace: string[] = [];
  const publisher = new RecordingPublisher();
  let tick = 0;
  const deps: StretchDeps = {
    publisher: { publish: async (event, detail) => (trace.push(`publish ${event}`), publisher.publish(event, detail)) },
    runJobs: async (event) => (trace.push(`jobs ${event}`), { event, jobs: [{ job_id: `at-${event}`, matched: 1, flagged: 1, duration_ms: 3 }] }),
    act: async (step) => (trace.push(`action ${step.action}`), PLANNED as unknown as Record<string, unknown>),
    clock: () => new Date(Date.UTC(2026, 10, 27, 8) + 100 * tick++),
    releaseLease: async () => void trace.push('release lease'),
    ...overrides,
  };
  return { deps, trace, publisher };
}

describe('stretches of steps', () => {
  it('group the steps between the actions of their own states and where workflows enter or leave', () => {
    expect(STRETCHES.map((s) => s.map((step) => step.event))).toEqual([
      ['pre_collect', 'collect'],
      ['post_collect'],
      ['pre_cleanup_plan', 'cleanup_plan', 'post_cleanup_plan', 'pre_cleanup', 'cleanup'],
      ['post_cleanup'],
    ]);
    expect(stretchesOf('collect').map((s) => s[0]?.event)).toEqual(['pre_collect', 'post_collect']);
    expect(stretchesOf('cleanup').map((s) => s[0]?.event)).toEqual(['pre_cleanup_plan', 'post_cleanup']);
    expect(stretchFrom('cleanup_plan')).toBeUndefined();
  });
});

describe('running a stretch', () => {
  const ref: RunRef = { workflow: 'cleanup', run_id: 'run-1' };
  const start: RunState = { summaries: {}, jobs: {} };

  it('publishes each event, runs its jobs, and publishes post_cleanup_plan with the plan it drew', async () => {
    const { deps, trace, publisher } = setup();

    const state = await runStretch(deps, ref, stretch('pre_cleanup_plan'), start);

    expect(trace).toEqual([
      'publish pre_cleanup_plan', 'jobs pre_cleanup_plan',
      'publish cleanup_plan', 'jobs cleanup_plan', 'action plan',
      'publish post_cleanup_plan', 'jobs post_cleanup_plan',
      'publish pre_cleanup', 'jobs pre_cleanup',
      'publish cleanup', 'jobs cleanup',
    ]);
    expect(publisher.published.find((p) => p.event === 'post_cleanup_plan')?.detail).toEqual({ workflow: 'cleanup', run_id: 'run-1', summary: PLANNED });
    expect(publisher.published.find((p) => p.event === 'cleanup_plan')?.detail.summary).toEqual({});
    expect(state.summaries).toEqual({ plan: PLANNED });
    expect(state.jobs.cleanup_plan).toEqual({ event: 'cleanup_plan', jobs: [expect.objectContaining({ job_id: 'at-cleanup_plan' })], started_at: expect.any(String), duration_ms: 100 });
    expect(Object.keys(state.jobs)).toEqual(['pre_cleanup_plan', 'cleanup_plan', 'post_cleanup_plan', 'pre_cleanup', 'cleanup']);
  });

  it('keeps what it does not touch and does not change the state it was given', async () => {
    const { deps } = setup();
    const given = { ...start, summaries: { collect: { accounts: 1 } }, lease: { holder: 'run-1' } } as RunState & { lease: unknown };

    const state = await runStretch(deps, { workflow: 'collect_and_cleanup', run_id: 'run-1' }, stretch('post_collect'), given);

    expect(state).toMatchObject({ lease: { holder: 'run-1' }, summaries: { collect: { accounts: 1 } } });
    expect(given.jobs).toEqual({});
  });

  it('gives the lease up after the stretch that ends the workflow, and only then', async () => {
    const ending = setup();
    await runStretch(ending.deps, { workflow: 'collect', run_id: 'run-1' }, stretch('post_collect'), start);
    expect(ending.trace.at(-1)).toBe('release lease');

    const going = setup();
    await runStretch(going.deps, { workflow: 'collect_and_cleanup', run_id: 'run-1' }, stretch('post_collect'), start);
    expect(going.trace).not.toContain('release lease');
  });

  it('names the step it failed at in the error, with the original error in the message, and stops there', async () => {
    const failing = new Error('stored fix.worker is not valid');
    failing.name = 'ConfigError';
    const { deps, trace } = setup({ act: () => Promise.reject(failing) });

    const error = (await runStretch(deps, ref, stretch('pre_cleanup_plan'), start).catch((e: unknown) => e)) as StepFailedError;

    expect(error).toBeInstanceOf(StepFailedError);
    expect(error.name).toBe('CleanupPlanFailed');
    expect(error.stage).toBe('cleanup_plan');
    expect(error.message).toBe('ConfigError: stored fix.worker is not valid');
    expect(error.reason).toBe(failing);
    expect(trace.at(-1)).toBe('jobs cleanup_plan');
  });

  it('names a failed publish by its event', async () => {
    const { deps } = setup({ publisher: { publish: (event) => (event === 'pre_cleanup' ? Promise.reject(new Error('bus down')) : Promise.resolve()) } });
    await expect(runStretch(deps, ref, stretch('pre_cleanup_plan'), start)).rejects.toMatchObject({ name: 'PreCleanupFailed', stage: 'pre_cleanup', message: 'bus down' });
  });

  it('publishes post_cleanup and runs its jobs before failing with CleanupIncomplete, keeping the lease for the failure path', async () => {
    const incomplete = 'cleanup could not enter 1 account: 222222222222 (prod): AccessDenied [2 keys left]';
    const { deps, trace, publisher } = setup();

    const error = (await runStretch(deps, ref, stretch('post_cleanup'), { summaries: { cleanup: { ...CLEANED, incomplete } }, jobs: {} }).catch((e: unknown) => e)) as StepFailedError;

    expect(error).toMatchObject({ name: 'CleanupIncomplete', stage: 'post_cleanup', message: incomplete });
    expect(trace).toEqual(['publish post_cleanup', 'jobs post_cleanup']);
    expect(publisher.published[0]?.detail.summary).toMatchObject({ incomplete });
  });

  it('fails as release_lease when giving the lease up fails', async () => {
    const { deps } = setup({ releaseLease: () => Promise.reject(new Error('throttled')) });
    await expect(runStretch(deps, ref, stretch('post_cleanup'), { summaries: { cleanup: { ...CLEANED } }, jobs: {} })).rejects.toMatchObject({
      name: 'ReleaseLeaseFailed',
      stage: 'release_lease',
    });
  });
});
