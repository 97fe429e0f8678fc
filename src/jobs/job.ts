import * as z from 'zod/mini';
import { INTERACTIVE_FLAGGER } from '../inventory/flags';
import { got } from '../schema-errors';
import { parseDuration } from '../query/durations';
import { ValidationError } from '../errors';
import { isWorkflowEvent, WORKFLOW_EVENTS, WorkflowEvent } from '../workflow/declaration';
import { checkJobCommand } from './command';
import { parseSchedule } from './schedule';

/** What `jobs show` reports about a job's last run. */
const JobRunRecord = z.object({
  started_at: z.string(),
  /** `event:post_collect`, `manual` or `schedule`. */
  trigger: z.string(),
  run_id: z.optional(z.string()),
  matched: z.number(),
  flagged: z.number(),
  duration_ms: z.number(),
  error: z.optional(z.string()),
});
export type JobRunRecord = z.infer<typeof JobRunRecord>;

const JobTrigger = z.union([z.object({ event: z.enum(WORKFLOW_EVENTS) }), z.object({ schedule: z.string() })], {
  error: (issue) => `expected {"event": EVENT} or {"schedule": CRON}, got ${got(issue.input)}`,
});
export type JobTrigger = z.infer<typeof JobTrigger>;

/**
 * A job (SPEC section 5): a search pipeline that runs when a workflow emits an event, or on a
 * schedule. Jobs are how keys get flagged for cleanup without anyone typing `clean`. The schema
 * checks a job read back from the jobs table, which may hold what `jobs add` would never write;
 * its command is checked again when it runs.
 */
export const Job = z.object({
  id: z.string(),
  trigger: JobTrigger,
  command: z.string(),
  /** A duration such as `10m`; the job is recorded as failed when it runs longer. */
  timeout: z.string(),
  active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  last_run: z.optional(JobRunRecord),
});
export type Job = z.infer<typeof Job>;

export const DEFAULT_JOB_TIMEOUT = '10m';

/** Scheduler names are `job-<id>` (64 characters at most), so ids stay within 60. */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$/;

export function checkJobId(id: string): string {
  if (!JOB_ID.test(id)) {
    throw new ValidationError(
      `invalid job id ${JSON.stringify(id)}: use 1-60 letters, digits, '_', '-' or '.', starting with a letter or digit`,
    );
  }
  return id;
}

/** A new job's id: valid, and not the one that marks a user's own search as the flagger. */
function checkNewJobId(id: string): string {
  if (checkJobId(id) === INTERACTIVE_FLAGGER) {
    throw new ValidationError(`job id ${JSON.stringify(id)} is reserved: it marks keys flagged by a search at the CLI; choose another id`);
  }
  return id;
}

export function checkEvent(event: string): WorkflowEvent {
  if (!isWorkflowEvent(event)) {
    throw new ValidationError(`unknown event ${JSON.stringify(event)}; events: ${WORKFLOW_EVENTS.join(', ')}`);
  }
  return event;
}

export function checkTimeout(timeout: string): string {
  const ms = parseDuration(timeout);
  if (ms === undefined || ms <= 0) {
    throw new ValidationError(`invalid --timeout ${JSON.stringify(timeout)}: give a positive duration such as 30s, 10m or 1h`);
  }
  return timeout;
}

export function timeoutMs(job: Pick<Job, 'timeout'>): number {
  return parseDuration(job.timeout) ?? parseDuration(DEFAULT_JOB_TIMEOUT) ?? 600_000;
}

/** What `jobs add` and `jobs update` are given, before validation. */
export interface JobDefinition {
  id: string;
  event?: string;
  schedule?: string;
  timeout?: string;
  command: string;
}

/** Validates a new job: every field, so nothing invalid is ever stored. */
export function defineJob(definition: JobDefinition, now: Date): Job {
  const id = checkNewJobId(definition.id);
  const trigger = checkTrigger(definition.event, definition.schedule);
  if (!trigger) throw new ValidationError(`job ${id}: give --wait-for-event EVENT or --schedule CRON`);
  const at = now.toISOString();
  return {
    id,
    trigger,
    command: checkJobCommand(definition.command),
    timeout: checkTimeout(definition.timeout ?? DEFAULT_JOB_TIMEOUT),
    active: true,
    created_at: at,
    updated_at: at,
  };
}

export type JobChanges = Partial<Omit<JobDefinition, 'id'>>;

/** Applies `jobs update` changes to a stored job, validating what changes. */
export function changeJob(job: Job, changes: JobChanges, now: Date): Job {
  const trigger = checkTrigger(changes.event, changes.schedule);
  if (!trigger && changes.command === undefined && changes.timeout === undefined) {
    throw new ValidationError(`jobs update ${job.id}: nothing to change; give --wait-for-event, --schedule, --timeout or a command`);
  }
  return {
    ...job,
    ...(trigger ? { trigger } : {}),
    ...(changes.command !== undefined ? { command: checkJobCommand(changes.command) } : {}),
    ...(changes.timeout !== undefined ? { timeout: checkTimeout(changes.timeout) } : {}),
    updated_at: now.toISOString(),
  };
}

function checkTrigger(event: string | undefined, schedule: string | undefined): JobTrigger | undefined {
  if (event !== undefined && schedule !== undefined) {
    throw new ValidationError('give either --wait-for-event or --schedule, not both');
  }
  if (event !== undefined) return { event: checkEvent(event) };
  if (schedule !== undefined) return { schedule: parseSchedule(schedule).expression };
  return undefined;
}

export function describeTrigger(trigger: JobTrigger): string {
  return 'event' in trigger ? `event ${trigger.event}` : `schedule ${trigger.schedule}`;
}
