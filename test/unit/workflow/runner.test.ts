import { CleanupRefusedError, emptyRunSummary } from '../../../src/cleanup/run';
import type { CleanupSummary, CollectSummary, JobsSummary, PlanSummary, RunRef } from '../../../src/workflow/step-payloads';
import { MAX_CLEANUP_INVOCATIONS, WorkflowEvent } from '../../../src/workflow/declaration';
import { LeaseBusyError } from '../../../src/workflow/lease';
import { RunnerDeps, runWorkflow, StepActions } from '../../../src/workflow/runner';
import { MemoryLease, MemoryRunStore, RecordingPublisher } from '../../support/memory-stores';

const COLLECTED: CollectSummary = { accounts: 1, users: 3, keys: 5, calls: 4, failed_accounts: [], duration_ms: 10, read_units: 1, write_units: 1 };
const PLANNED: PlanSummary = { flagged: 2, protected: 0, candidates: 2, cleanup_enabled: false, dry_run: true };
const CLEANED: CleanupSummary = {
  flagged: 2, protected: 0, skipped: 0, deleted: 0, deactivated: 0, already_absent: 0, failed: 0, dry_run: true, cleanup_enabled: false,
  failed_accounts: [], account_failures: [], remaining: 0, invocations: 1,
};

function setup(overrides: Partial<StepActions> = {}) {
  const trace: string[] = [];
  const publisher = new RecordingPublisher();
  const recordingPublisher = {
    publish: async (...args: Parameters<RecordingPublisher['publish']>) => {
      trace.push(`publish ${args[0]}`);
      await publisher.publish(...args);
    },
  };
  const actions: StepActions = {
    collect: async () => (trace.push('action collect'), COLLECTED),
    plan: async () => (trace.push('action plan'), PLANNED),
    cleanup: async () => (trace.push('action cleanup'), CLEANED),
    ...overrides,
  };
  const runs = new MemoryRunStore();
  const lease = new MemoryLease();
  let n = 0;
  const deps: RunnerDeps = {
    publisher: recordingPublisher,
    runJobs: async (event: WorkflowEvent, _ref: RunRef): Promise<JobsSummary> => {
      trace.push(`jobs ${event}`);
      return { event, jobs: event === 'post_collect' ? [{ job_id: 'broken', matched: 0, flagged: 0, duration_ms: 1, error: 'boom' }] : [] };
    },
    actions,
    runs,
    lease,
    clock: () => new Date('2026-11-24T10:00:00Z'),
    where: 'test:1',
    newRunId: () => `run-${++n}`,
  };
  return { deps, trace, publisher, runs, lease };
}

describe('the in-process workflow runner', () => {
  it('publishes each event, then runs its jobs, then its action, in the declared order', async () => {
    const { deps, trace } = setup();
    const run = await runWorkflow(deps, 'collect_and_cleanup');
    expect(run.status).toBe('succeeded');
    expect(trace).toEqual([
      'publish pre_collect', 'jobs pre_collect',
      'publish collect', 'jobs collect', 'action collect',
      'publish post_collect', 'jobs post_collect',
      'publish pre_cleanup_plan', 'jobs pre_cleanup_plan',
      'publish cleanup_plan', 'jobs cleanup_plan', 'action plan',
      'publish post_cleanup_plan', 'jobs post_cleanup_plan',
      'publish pre_cleanup', 'jobs pre_cleanup',
      'publish cleanup', 'jobs cleanup', 'action cleanup',
      'publish post_cleanup', 'jobs post_cleanup',
    ]);
  });

  it('measures each step on the injected clock', async () => {
    const { deps } = setup();
    let ticks = 0;
    deps.clock = () => new Date(Date.UTC(2026, 10, 24, 10) + 250 * ticks++);
    const run = await runWorkflow(deps, 'collect');
    const durations = run.steps.map((step) => step.duration_ms);
    expect(durations.length).toBeGreaterThan(0);
    for (const duration of durations) expect(duration % 250).toBe(0);
    expect(durations.every((duration) => duration > 0)).toBe(true);
  });

  it('sends {workflow, run_id, summary}, with the action summary on the post_ event', async () => {
    const { deps, publisher } = setup();
    await runWorkflow(deps, 'collect');
    expect(publisher.published.map((p) => p.event)).toEqual(['pre_collect', 'collect', 'post_collect']);
    expect(publisher.published[0]?.detail).toEqual({ workflow: 'collect', run_id: 'run-1', summary: {} });
    expect(publisher.published[2]?.detail).toEqual({ workflow: 'collect', run_id: 'run-1', summary: COLLECTED });
  });

  it('publishes post_cleanup and runs its jobs before failing a cleanup that could not enter an account', async () => {
    const incomplete = 'cleanup could not enter 1 account: 222222222222 (prod): AccessDenied [2 keys left]';
    const { deps, trace, publisher } = setup({ cleanup: async () => (trace.push('action cleanup'), { ...CLEANED, failed_accounts: ['222222222222'], incomplete }) });

    const run = await runWorkflow(deps, 'cleanup');

    expect(run).toMatchObject({ status: 'failed', error: `post_cleanup: ${incomplete}` });
    expect(trace.slice(-4)).toEqual(['action cleanup', 'publish post_cleanup', 'jobs post_cleanup', 'publish workflow_failed']);
    expect(publisher.published.find((p) => p.event === 'post_cleanup')?.detail.summary).toMatchObject({ failed_accounts: ['222222222222'], incomplete });
    expect(run.steps.at(-1)).toMatchObject({ event: 'post_cleanup', status: 'failed', error: incomplete });
  });

  it('runs cleanup again with its summary so far while keys remain, at most as often as declared', async () => {
    const previous: (CleanupSummary | undefined)[] = [];
    const { deps } = setup({
      cleanup: async (_ref, _progress, earlier) => {
        previous.push(earlier);
        const invocations = (earlier?.invocations ?? 0) + 1;
        return { ...CLEANED, invocations, remaining: 100 - invocations };
      },
    });

    const run = await runWorkflow(deps, 'cleanup');

    expect(previous).toHaveLength(MAX_CLEANUP_INVOCATIONS);
    expect(previous[0]).toBeUndefined();
    expect(previous[1]).toMatchObject({ invocations: 1 });
    expect(run.steps.find((s) => s.event === 'cleanup')?.summary).toMatchObject({ invocations: MAX_CLEANUP_INVOCATIONS });
  });

  it('records a failed job on its step and goes on', async () => {
    const { deps, runs } = setup();
    const run = await runWorkflow(deps, 'collect');
    expect(run.status).toBe('succeeded');
    const stored = await runs.get(run.run_id);
    expect(stored?.steps.find((s) => s.event === 'post_collect')?.jobs).toEqual([expect.objectContaining({ job_id: 'broken', error: 'boom' })]);
  });

  it('stops at a failing action, publishes workflow_failed, and stores the run as failed', async () => {
    const { deps, trace, publisher, runs } = setup({ plan: async () => { throw new Error('inventory unreadable'); } });
    const run = await runWorkflow(deps, 'cleanup');
    expect(run).toMatchObject({ status: 'failed', error: 'cleanup_plan: inventory unreadable' });
    expect(trace).not.toContain('publish post_cleanup_plan');
    expect(publisher.published.at(-1)).toEqual({
      event: 'workflow_failed',
      detail: { workflow: 'cleanup', run_id: 'run-1', summary: { step: 'cleanup_plan', error: 'StepFailed', cause: 'inventory unreadable' } },
    });
    expect((await runs.get('run-1'))?.steps.map((s) => s.status)).toEqual(['succeeded', 'failed']);
  });

  it('fails visibly when the circuit breaker refused the cleanup', async () => {
    const refusal = '300 keys exceed max_cleanup_per_run (100)';
    const { deps } = setup({ cleanup: () => Promise.reject(new CleanupRefusedError(refusal, { ...emptyRunSummary('r', true, false), refused: refusal }, 'cloudsweep config set fix.worker fixworker.max_cleanup_per_run=300')) });
    const run = await runWorkflow(deps, 'cleanup');
    expect(run.status).toBe('failed');
    expect(run.error).toContain(refusal);
  });

  it('refuses a second run while the first holds the lease, naming the holder, and releases it at the end', async () => {
    const { deps } = setup();
    let inner: unknown;
    deps.actions.collect = async () => {
      inner = await runWorkflow({ ...deps, where: 'other:2' }, 'cleanup').catch((error: unknown) => error);
      return COLLECTED;
    };
    await runWorkflow(deps, 'collect');
    expect(inner).toBeInstanceOf(LeaseBusyError);
    expect((inner as Error).message).toContain('another workflow run holds the lease: run run-1 (collect, started 2026-11-24T10:00:00.000Z on test:1)');
    deps.actions.collect = async () => COLLECTED;
    expect((await runWorkflow(deps, 'collect')).status).toBe('succeeded');
  });
});
