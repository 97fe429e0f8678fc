import type { ChangeRecord } from './audit-change';
import type { AuditEntry } from './audit-entry';

/**
 * Where cleanup decisions are kept (SPEC section 7: every decision is written before the run reports
 * success). An IAM write is bracketed by an intent: `recordIntent` before it, `resolveIntent` after,
 * so a process killed in between leaves an intent the next run finds and settles.
 */
export interface AuditStore {
  /** A decision that needs no IAM write (skip, dry run, already absent, failure). */
  record(entry: AuditEntry): Promise<void>;
  /**
   * The pending entry and its intent, atomically. Refused (IntentExistsError) when the key already
   * has an unresolved intent: a key is never acted on twice at once.
   */
  recordIntent(entry: AuditEntry): Promise<void>;
  /** The final entry (same run and key as the intent, result settled) and the intent's removal, atomically. */
  resolveIntent(entry: AuditEntry): Promise<void>;
  /** Intents not yet resolved, from any run. */
  pendingIntents(): Promise<AuditEntry[]>;
  /** Entries of one run and/or since a time, oldest first. */
  query(filter: AuditFilter): Promise<AuditEntry[]>;
  /** Who changed a job, the config or a flag (src/cleanup/audit-change.ts). */
  recordChanges(records: readonly ChangeRecord[]): Promise<void>;
  /** Change records since a time, oldest first; none for a run filter (changes belong to no run). */
  changes(filter: AuditFilter): Promise<ChangeRecord[]>;
}

export interface AuditFilter {
  runId?: string;
  since?: Date;
}

export class IntentExistsError extends Error {
  constructor(readonly accessKeyId: string) {
    super(`access key ${accessKeyId} already has an unresolved cleanup intent`);
    this.name = 'IntentExistsError';
  }
}
