import { accessKeyNode } from '../../../src/inventory/model';
import { addJob } from '../../../src/jobs/manage';
import { runJobById, runJobsForEvent } from '../../../src/jobs/run';
import { NOW, smallInventory } from './fixture';
import { MemoryInventoryStore, MemoryJobStore, MemoryLease } from '../../support/memory-stores';

const REF = { workflow: 'collect_and_cleanup' as const, run_id: 'run-1' };

async function setup() {
  const graph = smallInventory();
  const inventory = new MemoryInventoryStore(graph);
  const jobs = new MemoryJobStore();
  let tick = 0;
  // Jobs are added a second apart: the order they run in is the order they were added.
  const admin = { store: jobs, clock: () => new Date(NOW.getTime() + 1000 * tick++) };
  return { graph, inventory, jobs, admin, deps: { jobs, inventory, clock: () => NOW } };
}

describe('running the jobs of an event', () => {
  it("flags exactly the old keys of users other than jenkins with the seed's job", async () => {
    const { graph, deps, admin } = await setup();
    await addJob(admin, {
      id: 'clean_outdated_access_keys',
      event: 'post_collect',
      command: 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean',
    });
    const summary = await runJobsForEvent(deps, 'post_collect', REF);
    expect(summary).toEqual({ event: 'post_collect', jobs: [expect.objectContaining({ job_id: 'clean_outdated_access_keys', matched: 1, flagged: 1 })] });
    const flagged = [...graph.nodes()].filter((node) => node.desired.clean === true);
    expect(flagged.map((node) => node.id)).toEqual(['AKIANANCYOLD']);
    expect(flagged[0]?.metadata).toMatchObject({ flagged_by: 'clean_outdated_access_keys', flagged_at: NOW.toISOString() });
  });

  it('runs only active jobs of that event, in the order they were added, each seeing the flags before it', async () => {
    const { deps, admin, jobs } = await setup();
    await addJob(admin, { id: 'b_flag_all_old', event: 'cleanup_plan', command: 'search is(access_key) and age > 90days | clean' });
    await addJob(admin, { id: 'a_count_flagged', event: 'cleanup_plan', command: 'search /desired.clean == true | count' });
    await addJob(admin, { id: 'other_event', event: 'post_collect', command: 'search all | clean' });
    await addJob(admin, { id: 'inactive', event: 'cleanup_plan', command: 'search all | clean' });
    await jobs.replace({ ...(await jobs.get('inactive'))!, active: false });
    const summary = await runJobsForEvent(deps, 'cleanup_plan', REF);
    expect(summary.jobs.map((job) => [job.job_id, job.matched, job.flagged])).toEqual([
      ['b_flag_all_old', 2, 2],
      ['a_count_flagged', 2, 0],
    ]);
    expect((await jobs.get('other_event'))?.last_run).toBeUndefined();
    expect((await jobs.get('a_count_flagged'))?.last_run).toMatchObject({ trigger: 'event:cleanup_plan', run_id: 'run-1', matched: 2 });
  });

  it('refuses a stored job that unprotects, records why, writes nothing for it, and runs the others', async () => {
    const { graph, deps, admin, jobs } = await setup();
    graph.node('AKIAJENKINSOLD')!.metadata.protected = true;
    await addJob(admin, { id: 'lift', event: 'post_collect', command: 'search all | count' });
    // Written straight into the table: jobs add would have refused it.
    await jobs.replace({ ...(await jobs.get('lift'))!, command: 'search all | unprotect' });
    await addJob(admin, { id: 'works', event: 'post_collect', command: 'search is(access_key) | clean' });

    const summary = await runJobsForEvent(deps, 'post_collect', REF);

    expect(summary.jobs[0]).toMatchObject({ job_id: 'lift', matched: 0, flagged: 0, error: expect.stringMatching(/^refused: a job may not use unprotect/) });
    expect(summary.jobs[1]).toMatchObject({ job_id: 'works', flagged: 3 });
    expect(graph.node('AKIAJENKINSOLD')?.metadata.protected).toBe(true);
    expect((await jobs.get('lift'))?.last_run?.error).toMatch(/^refused: .*unprotect/);
  });

  describe('run by id, outside a workflow run', () => {
    const runHolding = (lease: MemoryLease) =>
      lease.tryAcquire({ holder: 'run-42', workflow: 'cleanup', where: 'step-functions:run-42', acquired_at: NOW.toISOString() }, 600);

    it('refuses a flagging job while a workflow run holds the lease, records why, and flags nothing', async () => {
      const { graph, deps, admin, jobs } = await setup();
      await addJob(admin, { id: 'flagger', event: 'post_collect', command: 'search is(access_key) | clean' });
      const lease = new MemoryLease(() => NOW);
      await runHolding(lease);

      const result = await runJobById(deps, 'flagger', 'schedule', { lease, where: 'test', waitMs: 0 });

      expect(result).toMatchObject({ flagged: 0, error: expect.stringMatching(/^refused: another workflow run holds the lease: run run-42 \(cleanup/) });
      expect([...graph.nodes()].filter((node) => node.desired.clean === true)).toEqual([]);
      expect((await jobs.get('flagger'))?.last_run?.error).toMatch(/^refused: /);
    });

    it('tells a scheduled job its schedule runs it again, a manual one to run it again, neither about --lease-wait', async () => {
      const { deps, admin } = await setup();
      await addJob(admin, { id: 'flagger', event: 'post_collect', command: 'search is(access_key) | clean' });
      const lease = new MemoryLease(() => NOW);
      await runHolding(lease);

      const scheduled = await runJobById(deps, 'flagger', 'schedule', { lease, where: 'lambda:plan', waitMs: 0 });
      expect(scheduled.error).toMatch(/ The job did not run; its schedule runs it again next time\.$/);
      const manual = await runJobById(deps, 'flagger', 'manual', { lease, where: 'host:1', waitMs: 0 });
      expect(manual.error).toMatch(/ The job did not run; run it again once that run has finished\.$/);
      for (const error of [scheduled.error, manual.error]) expect(error).not.toContain('--lease-wait');
    });

    it('runs a flagging job holding the lease when it is free, and gives it back', async () => {
      const { deps, admin } = await setup();
      await addJob(admin, { id: 'flagger', event: 'post_collect', command: 'search is(access_key) | clean' });
      const lease = new MemoryLease(() => NOW);

      expect(await runJobById(deps, 'flagger', 'schedule', { lease, where: 'test', waitMs: 0 })).toMatchObject({ flagged: 3 });
      expect(await runHolding(lease)).toEqual({ acquired: true });
    });

    it('lets a job that only reads or protects run while a workflow run holds the lease', async () => {
      const { deps, admin } = await setup();
      await addJob(admin, { id: 'keeper', event: 'post_collect', command: 'search name = jenkins | protect' });
      const lease = new MemoryLease(() => NOW);
      await runHolding(lease);

      expect((await runJobById(deps, 'keeper', 'manual', { lease, where: 'test', waitMs: 0 })).error).toBeUndefined();
    });
  });

  it('refuses a stored job whose command is not a search pipeline at all', async () => {
    const { deps, admin, jobs } = await setup();
    await addJob(admin, { id: 'odd', event: 'post_collect', command: 'search all | count' });
    await jobs.replace({ ...(await jobs.get('odd'))!, command: { $: 'not text' } as unknown as string });

    const summary = await runJobsForEvent(deps, 'post_collect', REF);

    expect(summary.jobs[0]).toMatchObject({ job_id: 'odd', error: expect.stringMatching(/^refused: job command must be a search pipeline/) });
  });

  it('records a failing job with its error and still runs the others', async () => {
    const { deps, admin, jobs } = await setup();
    await addJob(admin, { id: 'broken', event: 'post_collect', command: 'search all | count' });
    // A command stored before the language changed: it no longer parses at run time.
    await jobs.replace({ ...(await jobs.get('broken'))!, command: 'search is(access_key) and' });
    await addJob(admin, { id: 'works', event: 'post_collect', command: 'search is(access_key) | clean' });
    const summary = await runJobsForEvent(deps, 'post_collect', REF);
    expect(summary.jobs[0]).toMatchObject({ job_id: 'broken', matched: 0, flagged: 0, error: expect.stringContaining('expected') });
    expect(summary.jobs[1]).toMatchObject({ job_id: 'works', flagged: 3 });
    expect((await jobs.get('broken'))?.last_run?.error).toContain('expected');
  });

  it('does not move flagged_at when a job flags the same keys again', async () => {
    const { graph, inventory, admin, jobs } = await setup();
    await addJob(admin, { id: 'j', event: 'post_collect', command: 'search is(access_key) | clean' });
    await runJobsForEvent({ jobs, inventory, clock: () => NOW }, 'post_collect', REF);
    const later = new Date(NOW.getTime() + 3_600_000);
    const again = await runJobsForEvent({ jobs, inventory, clock: () => later }, 'post_collect', REF);
    expect(again.jobs[0]).toMatchObject({ matched: 3, flagged: 0 });
    expect(graph.node('AKIANANCYOLD')?.metadata.flagged_at).toBe(NOW.toISOString());
  });
});

describe('running one job', () => {
  it('runs an inactive job on request and records it as manual', async () => {
    const { deps, admin, jobs } = await setup();
    await addJob(admin, { id: 'j', event: 'post_collect', command: 'search is(user) | count' });
    await jobs.replace({ ...(await jobs.get('j'))!, active: false });
    expect(await runJobById(deps, 'j')).toMatchObject({ job_id: 'j', matched: 2, flagged: 0 });
    expect((await jobs.get('j'))?.last_run).toMatchObject({ trigger: 'manual', matched: 2 });
    await expect(runJobById(deps, 'missing')).rejects.toThrow('no job with id "missing"');
  });

  it('fails a job that runs past its timeout', async () => {
    jest.useFakeTimers({ now: NOW });
    try {
      const { admin, jobs } = await setup();
      await addJob(admin, { id: 'slow', event: 'post_collect', timeout: '1s', command: 'search all | count' });
      const stalled = { loadGraph: () => new Promise<never>(() => undefined), updateNodes: async () => undefined };
      const running = runJobById({ jobs, inventory: stalled, clock: () => NOW }, 'slow');
      await jest.advanceTimersByTimeAsync(1000);
      expect((await running).error).toBe('timed out after 1s');
    } finally {
      jest.useRealTimers();
    }
  });

  it('interrupts a search that runs past the timeout while it evaluates, and writes nothing', async () => {
    const { admin, jobs, graph } = await setup();
    for (let i = 0; i < 3000; i += 1) {
      graph.addNode(accessKeyNode({ id: `AKIAMANY${i}`, name: `AKIAMANY${i}`, user_name: 'nancy', ctime: '2020-01-01T00:00:00Z', atime: null, access_key_status: 'Active', access_key_last_used: { last_used: null, service_name: null, region: null } }));
      graph.addEdge('AIDANANCY', `AKIAMANY${i}`);
    }
    await addJob(admin, { id: 'slow_clean', event: 'post_collect', timeout: '1m', command: 'search is(access_key) and name ~ "^akia" | clean' });
    const written: unknown[] = [];
    const inventory = { loadGraph: async () => ({ graph }), updateNodes: async (updates: readonly unknown[]) => void written.push(...updates) };
    // Elapsed time as the job reads it: the start, the load, then an hour later, mid-search.
    let reads = 0;
    const elapsedClock = () => (reads++ < 2 ? 0 : 3_600_000);
    const result = await runJobById({ jobs, inventory, clock: () => NOW, elapsedClock }, 'slow_clean');
    expect(result).toMatchObject({ error: 'timed out after 1m', flagged: 0 });
    expect(written).toEqual([]);
    expect([...graph.nodes()].filter((node) => node.desired.clean === true)).toEqual([]);
  });

  it('writes no flag for a job past its timeout, even when the inventory arrives afterwards', async () => {
    jest.useFakeTimers({ now: NOW });
    try {
      const { admin, jobs, graph } = await setup();
      await addJob(admin, { id: 'late', event: 'post_collect', timeout: '1s', command: 'search all | clean' });
      const written: unknown[] = [];
      const late = {
        loadGraph: () => new Promise<{ graph: typeof graph }>((resolve) => setTimeout(() => resolve({ graph }), 1500)),
        updateNodes: async (updates: readonly unknown[]) => void written.push(...updates),
      };
      const running = runJobById({ jobs, inventory: late, clock: () => NOW }, 'late');
      await jest.advanceTimersByTimeAsync(2000);
      expect(await running).toMatchObject({ error: 'timed out after 1s', flagged: 0 });
      expect(written).toEqual([]);
      expect((await jobs.get('late'))?.last_run).toMatchObject({ error: 'timed out after 1s' });
    } finally {
      jest.useRealTimers();
    }
  });
});
