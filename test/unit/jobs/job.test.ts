import { ValidationError } from '../../../src/errors';
import { addJob, deleteJob, setJobActive, updateJob } from '../../../src/jobs/manage';
import { parseSchedule } from '../../../src/jobs/schedule';
import type { JobScheduler } from '../../../src/jobs/scheduler';
import type { Job } from '../../../src/jobs/job';
import { MemoryJobStore } from '../../support/memory-stores';

const SEED_JOB = "search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean";
const clock = () => new Date('2026-11-24T10:00:00Z');

describe('adding jobs', () => {
  let store: MemoryJobStore;
  beforeEach(() => (store = new MemoryJobStore()));

  it("stores the seed's job, active, with the default timeout", async () => {
    const job = await addJob({ store, clock }, { id: 'clean_outdated_access_keys', event: 'post_collect', command: SEED_JOB });
    expect(await store.get('clean_outdated_access_keys')).toEqual(job);
    expect(job).toMatchObject({ trigger: { event: 'post_collect' }, active: true, timeout: '10m', command: SEED_JOB });
  });

  it.each([
    [{ id: 'j', event: 'after_collect', command: SEED_JOB }, 'unknown event "after_collect"; events: pre_collect, collect, post_collect'],
    [{ id: 'j', event: 'post_collect', command: 'search is(access_key) and | clean' }, 'job command does not parse'],
    [{ id: 'j', event: 'post_collect', command: 'workflow run cleanup' }, 'job command must be a search pipeline'],
    [{ id: 'j', event: 'post_collect', command: 'search all | unprotect' }, 'a job may not use unprotect'],
    [{ id: 'j', event: 'post_collect', command: 'search is(access_key) | unclean' }, 'a job may not use unclean'],
    [{ id: 'j', event: 'post_collect', command: 'search is(nope)' }, 'nope'],
    [{ id: 'bad id!', event: 'post_collect', command: SEED_JOB }, 'invalid job id "bad id!"'],
    [{ id: 'cli', event: 'post_collect', command: SEED_JOB }, 'job id "cli" is reserved: it marks keys flagged by a search at the CLI'],
    [{ id: 'j', command: SEED_JOB }, 'give --wait-for-event EVENT or --schedule CRON'],
    [{ id: 'j', event: 'post_collect', schedule: '0 * * * *', command: SEED_JOB }, 'not both'],
    [{ id: 'j', schedule: '61 * * * *', command: SEED_JOB }, 'the minute field has 61, outside 0-59'],
    [{ id: 'j', event: 'post_collect', timeout: 'forever', command: SEED_JOB }, 'invalid --timeout "forever"'],
  ])('refuses %j and stores nothing', async (definition, message) => {
    const adding = addJob({ store, clock }, definition);
    await expect(adding).rejects.toBeInstanceOf(ValidationError);
    await expect(adding).rejects.toThrow(message);
    expect(await store.list()).toEqual([]);
  });

  it('refuses an id already in use, leaving the first job as it was', async () => {
    const first = await addJob({ store, clock }, { id: 'j', event: 'post_collect', command: SEED_JOB });
    await expect(addJob({ store, clock }, { id: 'j', event: 'pre_cleanup', command: 'search all | count' })).rejects.toThrow('a job with id "j" already exists');
    expect(await store.get('j')).toEqual(first);
  });
});

describe('changing jobs', () => {
  it('updates the trigger and command, validating them, and keeps the rest', async () => {
    const store = new MemoryJobStore();
    await addJob({ store, clock }, { id: 'j', event: 'post_collect', command: SEED_JOB });
    const updated = await updateJob({ store, clock }, 'j', { event: 'cleanup_plan', command: 'search is(access_key) | clean' });
    expect(updated).toMatchObject({ trigger: { event: 'cleanup_plan' }, command: 'search is(access_key) | clean', active: true });
    await expect(updateJob({ store, clock }, 'j', { event: 'nope' })).rejects.toBeInstanceOf(ValidationError);
    expect((await store.get('j'))?.trigger).toEqual({ event: 'cleanup_plan' });
    await expect(updateJob({ store, clock }, 'missing', { event: 'collect' })).rejects.toThrow('no job with id "missing"');
  });

  it('keeps the schedule in step and undoes the store change when the scheduler refuses', async () => {
    const store = new MemoryJobStore();
    const synced: Job[] = [];
    let refuse = false;
    const scheduler: JobScheduler = {
      sync: async (job) => {
        if (refuse) throw new Error('scheduler down');
        synced.push(job);
      },
      remove: async () => undefined,
    };
    await addJob({ store, clock, scheduler }, { id: 'hourly', schedule: '@hourly', command: SEED_JOB });
    await setJobActive({ store, clock, scheduler }, 'hourly', false);
    expect(synced.map((job) => job.active)).toEqual([true, false]);
    refuse = true;
    await expect(setJobActive({ store, clock, scheduler }, 'hourly', true)).rejects.toThrow('scheduler down');
    expect((await store.get('hourly'))?.active).toBe(false);
    await expect(addJob({ store, clock, scheduler }, { id: 'daily', schedule: '@daily', command: SEED_JOB })).rejects.toThrow('scheduler down');
    expect(await store.get('daily')).toBeUndefined();
  });

  it('deletes a job, and refuses to delete one that does not exist', async () => {
    const store = new MemoryJobStore();
    await addJob({ store, clock }, { id: 'j', event: 'post_collect', command: SEED_JOB });
    await deleteJob({ store, clock }, 'j');
    expect(await store.list()).toEqual([]);
    await expect(deleteJob({ store, clock }, 'j')).rejects.toThrow('no job with id "j"');
  });
});

describe('job schedules', () => {
  it.each([
    ['0 * * * *', 'cron(0 * * * ? *)'],
    ['*/15 9-17 * * 1-5', 'cron(*/15 9-17 ? * 2,3,4,5,6 *)'],
    ['30 2 * * 0', 'cron(30 2 ? * 1 *)'],
    ['0 6 * * SAT,SUN', 'cron(0 6 ? * 1,7 *)'],
    ['0 0 1 * *', 'cron(0 0 1 * ? *)'],
    ['@daily', 'cron(0 0 * * ? *)'],
    ['rate(1 hours)', 'rate(1 hour)'],
    ['rate(5 minutes)', 'rate(5 minutes)'],
    ['cron(0 12 * * ? *)', 'cron(0 12 * * ? *)'],
  ])('turns %s into the Scheduler expression %s', (text, scheduler) => {
    expect(parseSchedule(text).scheduler).toBe(scheduler);
  });

  it.each([
    ['0 * * *', 'expected 5 fields'],
    ['0 25 * * *', 'the hour field has 25'],
    ['0 0 1 * 1', 'a day of month and a day of week together'],
    ['rate(0 hours)', 'at least 1'],
    ['cron(0 12 * * * *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['5-1 * * * *', 'backwards range'],
  ])('refuses %s', (text, message) => {
    expect(() => parseSchedule(text)).toThrow(message);
  });
});
