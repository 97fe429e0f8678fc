import { ChangeLog, jobChangeRecord } from '../cleanup/audit';
import { changeJob, checkJobId, defineJob, Job, JobChanges, JobDefinition } from './job';
import type { JobScheduler } from './scheduler';
import { JobStore, noSuchJob } from './store';

/**
 * The `jobs add|update|delete|activate|deactivate` use cases: validate, store, and keep the
 * deployed schedule (when there is a scheduler) in step. A schedule that cannot be written
 * undoes the store change, so the job and its schedule never disagree. Each change that is made
 * is recorded in the audit with who made it, before and after (`changes`).
 */
export interface JobAdmin {
  store: JobStore;
  scheduler?: JobScheduler;
  clock: () => Date;
  changes?: ChangeLog;
}

export async function addJob(admin: JobAdmin, definition: JobDefinition): Promise<Job> {
  const job = defineJob(definition, admin.clock());
  await admin.store.create(job);
  if (admin.scheduler && 'schedule' in job.trigger) {
    await undoOnFailure(() => admin.scheduler?.sync(job), () => admin.store.delete(job.id));
  }
  await recordChange(admin, 'add', undefined, job);
  return job;
}

export async function updateJob(admin: JobAdmin, id: string, changes: JobChanges): Promise<Job> {
  const before = await getJob(admin.store, id);
  const after = changeJob(before, changes, admin.clock());
  await admin.store.replace(after);
  await syncSchedule(admin, before, after);
  await recordChange(admin, 'update', before, after);
  return after;
}

export async function setJobActive(admin: JobAdmin, id: string, active: boolean): Promise<Job> {
  const before = await getJob(admin.store, id);
  const after: Job = { ...before, active, updated_at: admin.clock().toISOString() };
  await admin.store.replace(after);
  await syncSchedule(admin, before, after);
  await recordChange(admin, active ? 'activate' : 'deactivate', before, after);
  return after;
}

export async function deleteJob(admin: JobAdmin, id: string): Promise<Job> {
  checkJobId(id);
  const job = await admin.store.delete(id);
  if (admin.scheduler && 'schedule' in job.trigger) await admin.scheduler.remove(id);
  await recordChange(admin, 'delete', job, undefined);
  return job;
}

export async function getJob(store: JobStore, id: string): Promise<Job> {
  checkJobId(id);
  const job = await store.get(id);
  if (!job) throw noSuchJob(id);
  return job;
}

async function recordChange(admin: JobAdmin, action: string, before: Job | undefined, after: Job | undefined): Promise<void> {
  await admin.changes?.record((author) => [jobChangeRecord(action, before, after, author)]);
}

async function syncSchedule(admin: JobAdmin, before: Job, after: Job): Promise<void> {
  if (!admin.scheduler) return;
  if (!('schedule' in before.trigger) && !('schedule' in after.trigger)) return;
  const scheduler = admin.scheduler;
  await undoOnFailure(() => scheduler.sync(after), () => admin.store.replace(before));
}

async function undoOnFailure(act: () => Promise<void> | undefined, undo: () => Promise<unknown>): Promise<void> {
  try {
    await act();
  } catch (error) {
    await undo();
    throw error;
  }
}
