import type { WorkflowEvent, WorkflowName } from './declaration';

/**
 * What the workflow's actions take and give back: the Lambda events of the state machine and the
 * functions the in-process runner calls are the same shapes, so both runners share one contract.
 */

export interface RunRef {
  workflow: WorkflowName;
  run_id: string;
}

// --- the lease (src/workflow/lease.ts): one run at a time ---------------------------------------

/** Takes the lease for the run, for `ttl_seconds` (the state machine's timeout): it does not renew. */
export interface AcquireLeaseInput extends RunRef {
  action: 'acquire_lease';
  ttl_seconds: number;
}
/** The answer to acquire_lease is the lease taken (HeldLease); a busy one fails with LeaseBusyError. */
export type { HeldLease as LeaseTaken, LeaseRelease } from './lease';

/** Releases the run's lease if it still holds it; repeating it, or releasing another run's, changes nothing. */
export interface ReleaseLeaseInput extends RunRef {
  action: 'release_lease';
}

/** How an execution can end without reaching its own `Release lease` state. */
export const UNFINISHED_EXECUTION_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/**
 * An execution ended without a release of its own (stopped, timed out, failed outside a Catch):
 * EventBridge's "Step Functions Execution Status Change" event, cut down by the rule's input
 * transformer. Its lease is released, if it still holds it, so the next run need not wait for the
 * lease's lifetime (the workflow timeout) to pass.
 */
export interface ExecutionEndedInput {
  action: 'execution_ended';
  /** The execution's name, which is its run id. */
  run_id: string;
  status: (typeof UNFINISHED_EXECUTION_STATUSES)[number];
}

// --- collect ---------------------------------------------------------------------------------

export interface AccountRef {
  id: string;
  name: string;
  /** Absent for the home account, which is read with the function's own credentials. */
  role_arn?: string;
}

export interface ListAccountsInput extends RunRef {
  action: 'list_accounts';
}
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

export interface CollectBatchInput extends RunRef {
  action: 'collect_batch';
  batch: number;
}
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
  /** Set when the account failed (access denied, throttled out): its previous snapshot stands. */
  error?: string;
}

export interface SummarizeCollectInput extends RunRef {
  action: 'summarize';
}
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
}

// --- plan (jobs and the cleanup plan) ----------------------------------------------------------

/** The state machine's step: publish the event with its summary, then run its jobs. */
export interface RunJobsInput extends RunRef {
  action: 'run_jobs';
  event: WorkflowEvent;
  /** The event's detail summary (`post_*` events carry their action's summary; others `{}`). */
  summary: Record<string, unknown>;
}
export interface JobRunResult {
  job_id: string;
  matched: number;
  flagged: number;
  duration_ms: number;
  error?: string;
}
export interface JobsSummary {
  event: WorkflowEvent;
  jobs: JobRunResult[];
}

export interface DrawPlanInput extends RunRef {
  action: 'plan';
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
export interface RunJobInput {
  action: 'run_job';
  job_id: string;
  /**
   * The time the schedule fired (Scheduler's `<aws.scheduler.scheduled-time>`), only on a
   * schedule's invocations: Scheduler delivers at least once, and a second delivery of the same
   * time is answered with the first one's result instead of running the job again.
   */
  scheduled_time?: string;
}

/** What a job's schedule sends: Scheduler fills in the time it fired. */
export const SCHEDULED_JOB_INPUT_TIME = '<aws.scheduler.scheduled-time>';

// --- cleanup -----------------------------------------------------------------------------------

export interface CleanupInput extends RunRef {
  action: 'cleanup';
  /** The summary of this run's earlier cleanup invocations (empty or absent for the first). */
  previous?: CleanupSummary;
}
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
