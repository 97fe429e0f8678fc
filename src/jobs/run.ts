import type { InventoryGraph } from '../inventory/graph';
import type { InventoryStore, NodeUpdate } from '../inventory/store';
import { Deadline, executeSearch, SearchTimeoutError } from '../query';
import type { WorkflowEvent } from '../workflow/declaration';
import type { JobRunResult, JobsSummary, RunRef } from '../workflow/step-payloads';
import { ChangeUnderLease, LeaseBusyError, MANUAL_JOB_LEASE_ADVICE, SCHEDULED_JOB_LEASE_ADVICE, underLease } from '../workflow/lease';
import { checkJobCommand, jobNeedsLease } from './command';
import { Job, JobRunRecord, timeoutMs } from './job';
import { getJob } from './manage';
import type { JobStore } from './store';

/** Jobs read the inventory and write flags; nothing else. */
type JobInventory = Pick<InventoryStore, 'loadGraph' | 'updateNodes'>;

/** What running jobs needs: where jobs and the inventory live, and the clock. */
export interface JobRunDeps {
  jobs: JobStore;
  inventory: JobInventory;
  clock: () => Date;
  /** Epoch milliseconds for a job's timeout: the real elapsed time unless a test drives it. */
  elapsedClock?: () => number;
}

/**
 * Runs the active jobs subscribed to `event`, one after another in the order they were added, each
 * to completion: a later job sees the flags of an earlier one. A job that fails is recorded with
 * its error and the others still run. The plan Lambda and the in-process runner both call this.
 */
export async function runJobsForEvent(deps: JobRunDeps, event: WorkflowEvent, ref: RunRef): Promise<JobsSummary> {
  const jobs = (await deps.jobs.list()).filter((job) => job.active && 'event' in job.trigger && job.trigger.event === event);
  const inventory = new SharedInventory(deps.inventory);
  const results: JobRunResult[] = [];
  for (const job of jobs) results.push(await runJob(deps, job, { trigger: `event:${event}`, runId: ref.run_id, inventory }));
  return { event, jobs: results };
}

/**
 * `jobs run ID` and the Scheduler's `{action: 'run_job'}`: runs one job now, active or not. Outside
 * a workflow run, a job that flags (`clean`) takes the workflow lease, waiting as `lease` says; a
 * run that keeps it longer gets the job refused and recorded so, with what to do: a scheduled job
 * is run again by its schedule, a manual one is run again by hand. (Jobs of an event run inside
 * their workflow's lease.)
 */
export async function runJobById(
  deps: JobRunDeps,
  jobId: string,
  trigger: 'manual' | 'schedule' = 'manual',
  lease?: Omit<ChangeUnderLease, 'what'>,
): Promise<JobRunResult> {
  const job = await getJob(deps.jobs, jobId);
  const advice = trigger === 'schedule' ? SCHEDULED_JOB_LEASE_ADVICE : MANUAL_JOB_LEASE_ADVICE;
  return runJob(deps, job, { trigger, inventory: new SharedInventory(deps.inventory), ...(lease ? { lease: { advice, ...lease } } : {}) });
}

interface RunOptions {
  trigger: string;
  runId?: string;
  inventory: SharedInventory;
  lease?: Omit<ChangeUnderLease, 'what'>;
}

async function runJob(deps: JobRunDeps, job: Job, options: RunOptions): Promise<JobRunResult> {
  const started = deps.clock();
  const elapsed = deps.elapsedClock ?? Date.now;
  const startedMs = elapsed();
  let outcome: { matched: number; flagged: number; error?: string };
  try {
    // The stored command is checked again: the table may hold what `jobs add` would have refused.
    const command = refusedUnlessValid(job);
    // The timeout counts from when the search may start: waiting for the lease is not the job's time.
    const search = () => searchAndFlag({ ...job, command }, options.inventory, started, elapsed() + timeoutMs(job), elapsed);
    outcome = options.lease && jobNeedsLease(command) ? await underLease({ ...options.lease, what: `job:${job.id}` }, search) : await search();
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    outcome = { matched: 0, flagged: 0, error: error instanceof LeaseBusyError ? `refused: ${message}` : message };
  }
  const result: JobRunResult = { job_id: job.id, ...outcome, duration_ms: elapsed() - startedMs };
  const record: JobRunRecord = {
    started_at: started.toISOString(),
    trigger: options.trigger,
    ...(options.runId ? { run_id: options.runId } : {}),
    ...outcome,
    duration_ms: result.duration_ms,
  };
  await deps.jobs.recordRun(job.id, record);
  return result;
}

function refusedUnlessValid(job: Job): string {
  try {
    return checkJobCommand(typeof job.command === 'string' ? job.command : '');
  } catch (error) {
    throw new Error(`refused: ${(error as Error).message}`);
  }
}

/**
 * The job's timeout covers loading the inventory and the search, which checks it while it runs.
 * A job past it writes nothing, even when the inventory arrives afterwards; once its flags are
 * being written, the write is let finish, so a job never leaves half of them.
 */
async function searchAndFlag(job: Job, inventory: SharedInventory, now: Date, deadlineMs: number, clock: () => number): Promise<{ matched: number; flagged: number }> {
  const timedOut = `timed out after ${job.timeout}`;
  const graph = await withTimeout(inventory.graph(), deadlineMs - clock(), timedOut);
  let result;
  try {
    result = executeSearch(job.command, { graph, now, recordedAt: now, flaggedBy: job.id, deadline: new Deadline(deadlineMs, clock, timeoutMs(job)) });
  } catch (error) {
    if (error instanceof SearchTimeoutError) throw new Error(timedOut);
    throw error;
  }
  if (clock() > deadlineMs) throw new Error(timedOut);
  await inventory.write(result.updates);
  return { matched: result.matched, flagged: result.flagged };
}

/**
 * The inventory loaded once for all the jobs of an event; each job's writes are applied to the
 * loaded copy as well, so the next job sees them without loading everything again.
 */
class SharedInventory {
  private loaded?: Promise<InventoryGraph>;

  constructor(private readonly store: JobInventory) {}

  graph(): Promise<InventoryGraph> {
    this.loaded ??= this.store.loadGraph().then((inventory) => inventory.graph);
    return this.loaded;
  }

  async write(updates: readonly NodeUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await this.store.updateNodes(updates);
    const graph = await this.graph();
    for (const update of updates) {
      const node = graph.node(update.id);
      if (!node) continue;
      if (update.metadata) node.metadata = { ...update.metadata };
      if (update.desired) node.desired = { ...update.desired };
    }
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
