import type { AccountFailure, CleanupSummary, PlanSummary } from '../workflow/contracts';

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
  duration_ms: number;
}

/** What the next cleanup will do, drawn from the inventory (no IAM calls). */
export interface CleanupPlan extends PlanSummary {
  waiting: number;
  keys_in_scope: number;
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

/** What fails the run after `post_cleanup` is published: each account cleanup could not enter, and why. */
export function incompleteText(failures: readonly AccountFailure[]): string | undefined {
  if (failures.length === 0) return undefined;
  const named = failures.map((f) => `${f.account_id} (${f.account_name}): ${f.error} [${f.keys} key${f.keys === 1 ? '' : 's'} left]`);
  return `cleanup could not enter ${failures.length} account${failures.length === 1 ? '' : 's'}: ${named.join('; ')}. The other accounts' keys were cleaned.`;
}
