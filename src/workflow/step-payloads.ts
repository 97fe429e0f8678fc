import * as z from 'zod/mini';
import { got } from '../schema-errors';
import { isWorkflowEvent, isWorkflowName, WorkflowEvent, WorkflowName } from './declaration';

/**
 * What the workflow's actions take and give back: the Lambda events of the state machine and the
 * functions the in-process runner calls are the same shapes, so both runners share one contract.
 * What the functions take is a schema (checked at the door, lambdas/shared/events.ts); its type
 * follows from it.
 */

const text = () => z.string({ error: (issue) => `expected a non-empty string, got ${got(issue.input)}` }).check(z.minLength(1, { error: (issue) => `expected a non-empty string, got ${got(issue.input)}` }));
const wholeNumber = (min: number, unit = '') => {
  const error = (issue: { input?: unknown }) => `expected a whole number${unit}, at least ${min}, got ${got(issue.input)}`;
  return z.int({ error }).check(z.minimum(min, { error }));
};

const RunRef = z.object({
  workflow: z.custom<WorkflowName>((value) => typeof value === 'string' && isWorkflowName(value), {
    error: (issue) => (typeof issue.input === 'string' && issue.input !== '' ? `unknown workflow ${got(issue.input)}` : `expected a non-empty string, got ${got(issue.input)}`),
  }),
  run_id: text(),
});
export type RunRef = z.infer<typeof RunRef>;

// --- the lease (src/workflow/lease.ts): one run at a time ---------------------------------------

/** Takes the lease for the run, for `ttl_seconds` (the state machine's timeout): it does not renew. */
const AcquireLeaseInput = z.extend(RunRef, { action: z.literal('acquire_lease'), ttl_seconds: wholeNumber(1, ' of seconds') });
export type AcquireLeaseInput = z.infer<typeof AcquireLeaseInput>;
/** The answer to acquire_lease is the lease taken (HeldLease); a busy one fails with LeaseBusyError. */
export type { HeldLease as LeaseTaken, LeaseRelease } from './lease';

/** Releases the run's lease if it still holds it; repeating it, or releasing another run's, changes nothing. */
const ReleaseLeaseInput = z.extend(RunRef, { action: z.literal('release_lease') });
export type ReleaseLeaseInput = z.infer<typeof ReleaseLeaseInput>;

/** How an execution can end without giving its lease up itself (its last stretch or its failure path). */
export const UNFINISHED_EXECUTION_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/**
 * An execution ended without a release of its own (stopped, timed out, failed outside a Catch):
 * EventBridge's "Step Functions Execution Status Change" event, cut down by the rule's input
 * transformer. Its lease is released, if it still holds it, so the next run need not wait for the
 * lease's lifetime (the workflow timeout) to pass.
 */
const ExecutionEndedInput = z.object({
  action: z.literal('execution_ended'),
  /** The execution's name, which is its run id. */
  run_id: text(),
  status: z.enum(UNFINISHED_EXECUTION_STATUSES, { error: (issue) => `expected one of ${UNFINISHED_EXECUTION_STATUSES.join(', ')}, got ${got(issue.input)}` }),
});
export type ExecutionEndedInput = z.infer<typeof ExecutionEndedInput>;

// --- collect ---------------------------------------------------------------------------------

export interface AccountRef {
  id: string;
  name: string;
  /** Absent for the home account, which is read with the function's own credentials. */
  role_arn?: string;
}

const ListAccountsInput = z.extend(RunRef, { action: z.literal('list_accounts') });
export type ListAccountsInput = z.infer<typeof ListAccountsInput>;
/** What `listAccounts` finds: the accounts of a collect, the home account first. */
export interface ListAccountsOutput {
  accounts: AccountRef[];
}
/**
 * The accounts listed, stored in batches in the runs table (src/collect/run-store.ts): the state
 * machine's Map iterates over the batch numbers, so its state never holds the accounts themselves.
 */
export interface CollectBatches {
  accounts: number;
  batches: number[];
}

const CollectBatchInput = z.extend(RunRef, { action: z.literal('collect_batch'), batch: wholeNumber(0) });
export type CollectBatchInput = z.infer<typeof CollectBatchInput>;
/** One batch collected: each account's result is in the runs table, the state gets the counts. */
export interface BatchCollectResult {
  batch: number;
  accounts: number;
  failed: number;
}

export interface AccountCollectResult {
  account_id: string;
  account_name: string;
  users: number;
  keys: number;
  /** IAM (and STS) calls made for this account. */
  calls: number;
  duration_ms: number;
  /**
   * DynamoDB capacity units the account's inventory read and write consumed, as DynamoDB reported
   * them (absent from results stored before they were measured).
   */
  read_units?: number;
  write_units?: number;
  /** Set when the account failed (access denied, throttled out): its previous snapshot stands. */
  error?: string;
}

const SummarizeCollectInput = z.extend(RunRef, { action: z.literal('summarize') });
export type SummarizeCollectInput = z.infer<typeof SummarizeCollectInput>;
/**
 * A collect's totals, small at any number of accounts: it is published with `post_collect` and
 * kept in the workflow's state. Each account's result is logged and, for a deployed run, kept in
 * the runs table.
 */
export interface CollectSummary {
  accounts: number;
  users: number;
  keys: number;
  /** IAM (and STS) calls made for all accounts. */
  calls: number;
  failed_accounts: string[];
  duration_ms: number;
  /** DynamoDB capacity units the accounts' inventory reads and writes consumed (`ReturnConsumedCapacity`). */
  read_units: number;
  write_units: number;
}

// --- plan (jobs and the cleanup plan) ----------------------------------------------------------

const anObject = { error: (issue: { input?: unknown }) => `expected an object, got ${got(issue.input)}` };

const eventName = () =>
  z.custom<WorkflowEvent>((value) => typeof value === 'string' && isWorkflowEvent(value), {
    error: (issue) => (typeof issue.input === 'string' && issue.input !== '' ? `unknown workflow event ${got(issue.input)}` : `expected a non-empty string, got ${got(issue.input)}`),
  });

/**
 * The state machine's state for a stretch of steps (src/workflow/stretch.ts): the action summaries
 * so far and the jobs each step ran, checked; the rest (the lease, collect's batches) passed on.
 */
const StretchState = z.looseObject(
  {
    summaries: z.record(z.string(), z.record(z.string(), z.unknown(), anObject), anObject),
    jobs: z._default(z.record(z.string(), z.unknown(), anObject), {}),
  },
  anObject,
);

/**
 * The state machine's stretch of steps that begins at `from` (src/workflow/declaration.ts
 * STRETCHES): each event published with its summary, its jobs run, the plan drawn at cleanup_plan.
 * The answer is `state` with the stretch's jobs and summaries added.
 */
const RunStepsInput = z.extend(RunRef, {
  action: z.literal('run_steps'),
  from: eventName(),
  state: StretchState,
});
export type RunStepsInput = z.infer<typeof RunStepsInput>;
/** One job's run: returned by the plan function, kept in the run's step (src/workflow/runs.ts). */
export const JobRunResult = z.object({ job_id: z.string(), matched: z.number(), flagged: z.number(), duration_ms: z.number(), error: z.optional(z.string()) });
export type JobRunResult = z.infer<typeof JobRunResult>;
export interface JobsSummary {
  event: WorkflowEvent;
  jobs: JobRunResult[];
}

/** What the next cleanup will do: published with `post_cleanup_plan`. */
export interface PlanSummary {
  flagged: number;
  protected: number;
  candidates: number;
  cleanup_enabled: boolean;
  dry_run: boolean;
  /** Set when the circuit breaker would refuse this cleanup. */
  refusal?: string;
}

/** `jobs run ID` and Scheduler-triggered jobs. */
const RunJobInput = z.object({
  action: z.literal('run_job'),
  job_id: text(),
  /**
   * The time the schedule fired (Scheduler's `<aws.scheduler.scheduled-time>`), only on a
   * schedule's invocations: Scheduler delivers at least once, and a second delivery of the same
   * time is answered with the first one's result instead of running the job again.
   */
  scheduled_time: z.optional(text()),
});
export type RunJobInput = z.infer<typeof RunJobInput>;

/** What a job's schedule sends: Scheduler fills in the time it fired. */
export const SCHEDULED_JOB_INPUT_TIME = '<aws.scheduler.scheduled-time>';

// --- cleanup -----------------------------------------------------------------------------------

/** This run's cleanup summary so far: the counts that decide whether, and how, it goes on, checked; the rest passed on. */
const count = () => {
  const error = (issue: { input?: unknown }) => `expected a whole number of at least 0, got ${got(issue.input)}`;
  return z.int({ error }).check(z.minimum(0, { error }));
};
const list = () => z.array(z.unknown(), { error: (issue) => `expected a list, got ${got(issue.input)}` });
const EarlierCleanup = z.pipe(
  z.looseObject(
    { invocations: count(), remaining: count(), flagged: count(), deleted: count(), failed: count(), failed_accounts: list(), account_failures: list() },
    anObject,
  ),
  z.transform((summary) => summary as unknown as CleanupSummary),
);

const CleanupInput = z.extend(RunRef, {
  action: z.literal('cleanup'),
  /** The run's summaries so far: `cleanup` is the summary of this run's earlier cleanup invocations, absent for the first. */
  summaries: z.optional(z.looseObject({ cleanup: z.optional(EarlierCleanup) }, anObject)),
});
export type CleanupInput = z.infer<typeof CleanupInput>;
export interface CleanupSummary {
  flagged: number;
  protected: number;
  skipped: number;
  deleted: number;
  deactivated: number;
  already_absent: number;
  failed: number;
  /** In a dry run, what it would have done (summaries stored before they were counted lack them). */
  would_delete?: number;
  would_deactivate?: number;
  dry_run: boolean;
  cleanup_enabled: boolean;
  /** Set when the circuit breaker refused the run before any write. */
  refused?: string;
  /** Accounts cleanup could not enter (AssumeRole denied, ...): their keys are counted as failed. */
  failed_accounts: string[];
  /** Each failed account, named, with why and how many of its keys were left. */
  account_failures: AccountFailure[];
  /** Candidates not taken before the invocation's time ran out: the step runs again for them. */
  remaining: number;
  /** Cleanup invocations in this run so far (the step runs again while keys remain, up to a bound). */
  invocations: number;
  /**
   * Set when the step did the work it could but not all of it (an account it could not enter, keys
   * still remaining after the last invocation allowed):
   * the run publishes `post_cleanup` with this summary, then fails with this text.
   */
  incomplete?: string;
}

export interface AccountFailure {
  account_id: string;
  account_name: string;
  error: string;
  /** The account's keys this run could not act on. */
  keys: number;
}

// --- the functions' events --------------------------------------------------------------------

function actions<const T extends readonly [z.ZodMiniObject, ...z.ZodMiniObject[]]>(...options: T) {
  const names = options.map((option) => (option.shape as { action: z.ZodMiniLiteral<string> }).action.def.values[0]);
  return z.discriminatedUnion('action', options, {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `expected one of ${names.join(', ')}, got ${got((issue.input as Record<string, unknown> | undefined)?.action)}`
        : `expected an object, got ${got(issue.input)}`,
  });
}

/** What each function is invoked with: the state machine's tasks, the Scheduler, the execution-ended rule. */
export const CollectEvent = actions(ListAccountsInput, CollectBatchInput, SummarizeCollectInput);
export type CollectEvent = z.infer<typeof CollectEvent>;
export const PlanEvent = actions(RunStepsInput, RunJobInput, AcquireLeaseInput, ReleaseLeaseInput, ExecutionEndedInput);
export type PlanEvent = z.infer<typeof PlanEvent>;
export const CleanupEvent = actions(CleanupInput);
export type CleanupEvent = z.infer<typeof CleanupEvent>;

