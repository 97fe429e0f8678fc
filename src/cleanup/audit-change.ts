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
