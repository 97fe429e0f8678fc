import { renderCsv } from '../tabular';

// --- cleanup decisions -----------------------------------------------------------------------

/**
 * One cleanup decision as the audit table keeps it and `cloudsweep audit` prints it (SPEC section 7).
 * The JSON shape is exactly these ten fields; scripts depend on it.
 */
/** `restore`: a person undid cloudsweep's deactivation (`cloudsweep restore`, docs/owners.md). */
/** `notice`: the key's owner was told, cleanup acts after the notice period (docs/owners.md). */
export const AUDIT_ACTIONS = ['delete', 'deactivate', 'skip', 'restore', 'notice'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** `noticed`: a notice recorded on the key; `kept`: a noticed key used since, so unflagged. */
export const AUDIT_RESULTS = ['deleted', 'deactivated', 'already_absent', 'skipped', 'failed', 'dry_run', 'restored', 'noticed', 'kept'] as const;
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

// --- changes to what cloudsweep may do -------------------------------------------------------

/**
 * Who changed what cloudsweep may do: a job, the config, or a key's flag. Kept in the audit table
 * next to cleanup's decisions and printed by `cloudsweep audit` (`--changes` for these alone).
 * A change is recorded after it is made, by whoever made it; `who` is the caller's STS identity.
 */
export const CHANGE_SUBJECTS = ['job', 'config', 'flag'] as const;
export type ChangeSubject = (typeof CHANGE_SUBJECTS)[number];

export interface ChangeRecord {
  /** When the change was made: the real time (ISO 8601, UTC), never a search's `--now`. */
  at: string;
  /** The caller's ARN (GetCallerIdentity), or `unknown (...)` saying why it could not be read. */
  who: string;
  subject: ChangeSubject;
  /** job: add, update, delete, activate, deactivate; config: set, edit; flag: clean, unclean, protect, unprotect. */
  action: string;
  /** The job id, `fix.worker`, or the ids of the nodes whose flag changed. */
  target: string;
  /** What it was and what it became: the job or the changed config keys as JSON, or the flag's state. */
  before: string | null;
  after: string | null;
  reason: string;
}

/** The fields in the order the JSON, CSV and text outputs print them. */
export const CHANGE_FIELDS = ['at', 'who', 'subject', 'action', 'target', 'before', 'after', 'reason'] as const satisfies readonly (keyof ChangeRecord)[];

/** Oldest first. */
export function compareChanges(a: ChangeRecord, b: ChangeRecord): number {
  return a.at.localeCompare(b.at) || a.target.localeCompare(b.target);
}

/** Who and when, the same for every record of one command. */
export interface ChangeAuthor {
  who: string;
  at: string;
}

/** One flag-changing command of a search: the nodes it changed. */
export interface FlagChangeInput {
  command: 'clean' | 'unclean' | 'protect' | 'unprotect';
  reason?: string;
  nodes: readonly { id: string }[];
}

/** Node ids per record: a search that flags 10,000 keys writes 100 records, each well under DynamoDB's item size. */
export const NODES_PER_CHANGE = 100;

const FLAG_STATES: Record<FlagChangeInput['command'], [string, string]> = {
  clean: ['not flagged', 'flagged for cleanup'],
  unclean: ['flagged for cleanup', 'not flagged'],
  protect: ['not protected', 'protected'],
  unprotect: ['protected', 'not protected'],
};

/** The records of a search's flag changes, the nodes of each command in chunks of NODES_PER_CHANGE. */
export function flagChangeRecords(changes: readonly FlagChangeInput[], author: ChangeAuthor): ChangeRecord[] {
  const records: ChangeRecord[] = [];
  for (const change of changes) {
    const [before, after] = FLAG_STATES[change.command];
    for (let i = 0; i < change.nodes.length; i += NODES_PER_CHANGE) {
      const ids = change.nodes.slice(i, i + NODES_PER_CHANGE).map((node) => node.id);
      records.push({ ...author, subject: 'flag', action: change.command, target: ids.join(' '), before, after, reason: change.reason ?? '' });
    }
  }
  return records;
}

/** A job as a change shows it: what it does, not its last run. */
export interface JobState {
  id: string;
  command: string;
  trigger: unknown;
  timeout: string;
  active: boolean;
}

export function jobChangeRecord(action: string, before: JobState | undefined, after: JobState | undefined, author: ChangeAuthor): ChangeRecord {
  const id = after?.id ?? before?.id ?? '';
  return { ...author, subject: 'job', action, target: id, before: jobText(before), after: jobText(after), reason: '' };
}

function jobText(job: JobState | undefined): string | null {
  if (!job) return null;
  return JSON.stringify({ command: job.command, trigger: job.trigger, timeout: job.timeout, active: job.active });
}

/**
 * A config change shows only the keys that changed (`{"fixworker.cleanup": false}` ->
 * `{"fixworker.cleanup": true}`); a save that changed no value has both empty.
 */
export function configChangeRecord(action: string, name: string, before: object, after: object, author: ChangeAuthor): ChangeRecord {
  const old = flatten(before);
  const now = flatten(after);
  const changed = [...new Set([...old.keys(), ...now.keys()])].filter((key) => JSON.stringify(old.get(key)) !== JSON.stringify(now.get(key))).sort();
  const pick = (values: Map<string, unknown>) => JSON.stringify(Object.fromEntries(changed.map((key) => [key, values.get(key) ?? null])));
  return { ...author, subject: 'config', action, target: name, before: pick(old), after: pick(now), reason: '' };
}

/** Dotted paths to leaves; lists are leaves. */
function flatten(value: object, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, child] of Object.entries(value)) {
    const path = `${prefix}${key}`;
    if (child !== null && typeof child === 'object' && !Array.isArray(child)) flatten(child as object, `${path}.`, into);
    else into.set(path, child);
  }
  return into;
}

/** Where change records go: the audit store. */
export interface ChangeSink {
  recordChanges(records: readonly ChangeRecord[]): Promise<void>;
}

/**
 * Records changes with their author: `who` is asked once per change (the CLI remembers the
 * caller's identity), `at` is the clock's real time.
 */
export class ChangeLog {
  constructor(
    private readonly sink: ChangeSink,
    private readonly who: () => Promise<string>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(build: (author: ChangeAuthor) => ChangeRecord[]): Promise<ChangeRecord[]> {
    const records = build({ who: await this.who(), at: this.clock().toISOString() });
    if (records.length > 0) await this.sink.recordChanges(records);
    return records;
  }
}

// --- the store -------------------------------------------------------------------------------

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
  /** Who changed a job, the config or a flag (ChangeRecord, above). */
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

// --- output formats --------------------------------------------------------------------------

/** `cloudsweep audit --output json`: a JSON array of exactly the ten public fields. */
export function auditJson(entries: readonly AuditEntry[]): string {
  return JSON.stringify(entries.map(publicEntry), null, 2);
}

/** `--output csv`: a header line, then one RFC 4180 line per entry, formulas neutralised. */
export function auditCsv(entries: readonly AuditEntry[]): string {
  return renderCsv(AUDIT_FIELDS, entries.map((entry) => AUDIT_FIELDS.map((field) => entry[field])));
}

/** `cloudsweep audit --changes --output json`: a JSON array of change records, exactly their eight fields. */
export function changesJson(records: readonly ChangeRecord[]): string {
  return JSON.stringify(records.map((record) => Object.fromEntries(CHANGE_FIELDS.map((field) => [field, record[field]]))), null, 2);
}

/** `--changes --output csv`: a header line, then one RFC 4180 line per change, formulas neutralised. */
export function changesCsv(records: readonly ChangeRecord[]): string {
  return renderCsv(CHANGE_FIELDS, records.map((record) => CHANGE_FIELDS.map((field) => record[field])));
}

/** How many entries per result: the footer of the text output. */
export function resultCounts(entries: readonly AuditEntry[]): string {
  const counts = new Map<string, number>();
  for (const entry of entries) {
    const label = entry.dry_run && entry.result !== 'dry_run' ? `${entry.result} (dry run)` : entry.result;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([result, n]) => `${result}: ${n}`)
    .join(', ');
}
