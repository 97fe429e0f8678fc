import type { CleanupSummary, PlanSummary } from '../workflow/contracts';

/**
 * The cleanup step's summary: the contract's fields plus what explains them. Every candidate ends
 * in exactly one of deleted, deactivated, already_absent, skipped, failed, would_delete or
 * would_deactivate; flagged = protected + waiting + candidates.
 */
export interface CleanupRunSummary extends CleanupSummary {
  run_id: string;
  candidates: number;
  /** Deactivated and inside `deactivate_grace`: nothing done this run. */
  waiting: number;
  /** Of the skipped: used or reactivated since flagged, so the flag was withdrawn. */
  unflagged: number;
  /** Dry run: what a real run would have done. */
  would_delete: number;
  would_deactivate: number;
  /** Intents of an interrupted earlier run settled by this one. */
  reconciled: number;
  /** Flagged, unprotected keys in accounts where cleanup is off (fix.worker `accounts`): left alone. */
  not_enabled?: number;
  duration_ms: number;
}

/** What the next cleanup will do, drawn from the inventory (no IAM calls). */
export interface CleanupPlan extends PlanSummary {
  waiting: number;
  keys_in_scope: number;
  /** Flagged keys in accounts where cleanup is off (fix.worker `accounts`). */
  not_enabled?: number;
}

export function emptyRunSummary(runId: string, cleanupEnabled: boolean, dryRun: boolean): CleanupRunSummary {
  return {
    run_id: runId,
    flagged: 0,
    protected: 0,
    waiting: 0,
    candidates: 0,
    skipped: 0,
    unflagged: 0,
    deleted: 0,
    deactivated: 0,
    already_absent: 0,
    failed: 0,
    would_delete: 0,
    would_deactivate: 0,
    reconciled: 0,
    failed_accounts: [],
    account_failures: [],
    remaining: 0,
    invocations: 1,
    dry_run: dryRun,
    cleanup_enabled: cleanupEnabled,
    duration_ms: 0,
  };
}

/** Counts one key of an account cleanup could not enter, naming the account and why once. */
export function noteAccountFailure(summary: CleanupRunSummary, accountId: string, accountName: string, error: string): void {
  let failure = summary.account_failures.find((known) => known.account_id === accountId);
  if (!failure) {
    failure = { account_id: accountId, account_name: accountName, error, keys: 0 };
    summary.account_failures.push(failure);
    summary.failed_accounts.push(accountId);
  }
  failure.keys += 1;
}

/**
 * What fails the run after `post_cleanup` is published: each account cleanup could not enter and
 * why, and keys the time budget left. Undefined when the step did all it was asked.
 */
export function incompleteText(summary: Pick<CleanupSummary, 'account_failures' | 'remaining' | 'invocations'>): string | undefined {
  const parts: string[] = [];
  const failures = summary.account_failures;
  if (failures.length > 0) {
    const named = failures.map((f) => `${f.account_id} (${f.account_name}): ${f.error} [${f.keys} key${f.keys === 1 ? '' : 's'} left]`);
    parts.push(`cleanup could not enter ${failures.length} account${failures.length === 1 ? '' : 's'}: ${named.join('; ')}. The other accounts' keys were cleaned.`);
  }
  if (summary.remaining > 0) {
    parts.push(
      `${summary.remaining} key${summary.remaining === 1 ? '' : 's'} left when the time of ${summary.invocations} cleanup invocation${summary.invocations === 1 ? '' : 's'} ran out; the next run goes on with them.`,
    );
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** The counts that add up over a run's cleanup invocations: each key is decided by one of them. */
const PER_KEY_COUNTS = [
  'skipped',
  'unflagged',
  'deleted',
  'deactivated',
  'already_absent',
  'failed',
  'would_delete',
  'would_deactivate',
  'reconciled',
  'duration_ms',
] as const satisfies readonly (keyof CleanupRunSummary)[];

/**
 * One run's summary over its invocations: what the first one selected (flagged, protected, waiting,
 * candidates), the sum of what each decided, what the last one left.
 */
export function mergeSummaries(previous: CleanupSummary, current: CleanupRunSummary): CleanupRunSummary {
  const merged: CleanupRunSummary = { ...current, invocations: previous.invocations + 1, failed_accounts: [...previous.failed_accounts], account_failures: [] };
  for (const field of ['flagged', 'protected', 'waiting', 'candidates'] as const) {
    const earlier = (previous as Partial<CleanupRunSummary>)[field];
    if (typeof earlier === 'number') merged[field] = earlier;
  }
  for (const field of PER_KEY_COUNTS) {
    const earlier = (previous as Partial<CleanupRunSummary>)[field];
    merged[field] = current[field] + (typeof earlier === 'number' ? earlier : 0);
  }
  for (const failure of [...previous.account_failures, ...current.account_failures]) {
    const known = merged.account_failures.find((f) => f.account_id === failure.account_id);
    if (known) known.keys += failure.keys;
    else merged.account_failures.push({ ...failure });
    if (!merged.failed_accounts.includes(failure.account_id)) merged.failed_accounts.push(failure.account_id);
  }
  const incomplete = incompleteText(merged);
  if (incomplete === undefined) delete merged.incomplete;
  else merged.incomplete = incomplete;
  return merged;
}
