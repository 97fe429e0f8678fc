import { ValidationError } from '../../src/errors';
import { isWorkflowEvent, isWorkflowName, WorkflowEvent } from '../../src/workflow/declaration';
import type {
  AcquireLeaseInput,
  CleanupInput,
  CleanupSummary,
  CollectBatchInput,
  DrawPlanInput,
  ExecutionEndedInput,
  ListAccountsInput,
  ReleaseLeaseInput,
  RunJobInput,
  RunJobsInput,
  RunRef,
  SummarizeCollectInput,
} from '../../src/workflow/step-payloads';
import { UNFINISHED_EXECUTION_STATUSES } from '../../src/workflow/step-payloads';

/**
 * The Lambda events (src/workflow/step-payloads.ts), checked at the door: a malformed event is
 * rejected with the field it got wrong, before anything is read or written.
 */
export type CollectEvent = ListAccountsInput | CollectBatchInput | SummarizeCollectInput;
export type PlanEvent = RunJobsInput | DrawPlanInput | RunJobInput | AcquireLeaseInput | ReleaseLeaseInput | ExecutionEndedInput;
export type CleanupEvent = CleanupInput;

type Fields = Record<string, unknown>;

export function parseCollectEvent(event: unknown): CollectEvent {
  const fields = object(event, 'event');
  const action = oneOf(fields, 'action', ['list_accounts', 'collect_batch', 'summarize'] as const);
  const ref = runRef(fields);
  switch (action) {
    case 'list_accounts':
      return { action, ...ref };
    case 'collect_batch':
      return { action, ...ref, batch: whole(fields, 'batch', 0) };
    case 'summarize':
      return { action, ...ref };
  }
}

export function parsePlanEvent(event: unknown): PlanEvent {
  const fields = object(event, 'event');
  const action = oneOf(fields, 'action', ['run_jobs', 'plan', 'run_job', 'acquire_lease', 'release_lease', 'execution_ended'] as const);
  switch (action) {
    case 'run_jobs':
      return { action, ...runRef(fields), event: workflowEvent(fields), summary: fields.summary === undefined ? {} : object(fields.summary, 'event.summary') };
    case 'plan':
      return { action, ...runRef(fields) };
    case 'run_job':
      return { action, job_id: text(fields, 'job_id'), ...(fields.scheduled_time === undefined ? {} : { scheduled_time: text(fields, 'scheduled_time') }) };
    case 'acquire_lease':
      return { action, ...runRef(fields), ttl_seconds: seconds(fields, 'ttl_seconds') };
    case 'release_lease':
      return { action, ...runRef(fields) };
    case 'execution_ended':
      return { action, run_id: text(fields, 'run_id'), status: oneOf(fields, 'status', UNFINISHED_EXECUTION_STATUSES) };
  }
}

export function parseCleanupEvent(event: unknown): CleanupEvent {
  const fields = object(event, 'event');
  const action = oneOf(fields, 'action', ['cleanup'] as const);
  const previous = fields.previous === undefined ? {} : object(fields.previous, 'event.previous');
  // `{}` before the run's first invocation (the state machine's `Prepare cleanup`).
  return { action, ...runRef(fields), ...(Object.keys(previous).length > 0 ? { previous: earlierCleanup(previous) } : {}) };
}

/** This run's cleanup summary so far: the counts that decide whether, and how, it goes on. */
function earlierCleanup(fields: Fields): CleanupSummary {
  for (const key of ['invocations', 'remaining', 'flagged', 'deleted', 'failed']) {
    const n = fields[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ValidationError(`event.previous.${key}: expected a whole number of at least 0, got ${JSON.stringify(n)}`);
  }
  for (const key of ['failed_accounts', 'account_failures']) {
    if (!Array.isArray(fields[key])) throw new ValidationError(`event.previous.${key}: expected a list, got ${JSON.stringify(fields[key])}`);
  }
  return fields as unknown as CleanupSummary;
}

function runRef(fields: Fields): RunRef {
  const workflow = text(fields, 'workflow');
  if (!isWorkflowName(workflow)) throw new ValidationError(`event.workflow: unknown workflow ${JSON.stringify(workflow)}`);
  return { workflow, run_id: text(fields, 'run_id') };
}

function workflowEvent(fields: Fields): WorkflowEvent {
  const event = text(fields, 'event');
  if (!isWorkflowEvent(event)) throw new ValidationError(`event.event: unknown workflow event ${JSON.stringify(event)}`);
  return event;
}

function object(value: unknown, where: string): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(`${where}: expected an object, got ${JSON.stringify(value)}`);
  return value as Fields;
}

function text(fields: Fields, key: string, where = 'event'): string {
  const value = fields[key];
  if (typeof value !== 'string' || value === '') throw new ValidationError(`${where}.${key}: expected a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function seconds(fields: Fields, key: string): number {
  return whole(fields, key, 1, ' of seconds');
}

function whole(fields: Fields, key: string, min: number, unit = ''): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new ValidationError(`event.${key}: expected a whole number${unit}, at least ${min}, got ${JSON.stringify(value)}`);
  return value;
}

function oneOf<T extends string>(fields: Fields, key: string, allowed: readonly T[]): T {
  const value = fields[key];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(`event.${key}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
