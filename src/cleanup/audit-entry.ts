/**
 * One cleanup decision as the audit table keeps it and `cloudsweep audit` prints it (SPEC section 7).
 * The JSON shape is exactly these ten fields; scripts depend on it.
 */
/** `restore`: a person undid cloudsweep's deactivation (`cloudsweep restore`, docs/owners.md). */
export const AUDIT_ACTIONS = ['delete', 'deactivate', 'skip', 'restore'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_RESULTS = ['deleted', 'deactivated', 'already_absent', 'skipped', 'failed', 'dry_run', 'restored'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/**
 * `pending` is the intent recorded just before an IAM write. A finished run leaves none: the run
 * resolves each intent after the write, and the next run resolves those a crash left behind.
 */
export type EntryResult = AuditResult | 'pending';

export interface AuditEntry {
  run_id: string;
  /** When the decision was taken (ISO 8601, UTC). */
  at: string;
  /** The account id the key lives in. */
  account: string;
  user_name: string;
  access_key_id: string;
  action: AuditAction;
  result: EntryResult;
  dry_run: boolean;
  /** The job that flagged the key (`metadata.flagged_by`), null when unknown. */
  job_id: string | null;
  reason: string;
}

/** The fields in the order the JSON, CSV and text outputs print them. */
export const AUDIT_FIELDS = [
  'run_id',
  'at',
  'account',
  'user_name',
  'access_key_id',
  'action',
  'result',
  'dry_run',
  'job_id',
  'reason',
] as const satisfies readonly (keyof AuditEntry)[];

/** Exactly the public fields, whatever else a stored item carries. */
export function publicEntry(entry: AuditEntry): AuditEntry {
  return {
    run_id: entry.run_id,
    at: entry.at,
    account: entry.account,
    user_name: entry.user_name,
    access_key_id: entry.access_key_id,
    action: entry.action,
    result: entry.result,
    dry_run: entry.dry_run,
    job_id: entry.job_id,
    reason: entry.reason,
  };
}

/** Oldest first; one run's entries together, by key. */
export function compareEntries(a: AuditEntry, b: AuditEntry): number {
  return a.at.localeCompare(b.at) || a.run_id.localeCompare(b.run_id) || a.access_key_id.localeCompare(b.access_key_id);
}
