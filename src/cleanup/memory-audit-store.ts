import { AuditEntry, AuditFilter, AuditStore, ChangeRecord, compareChanges, compareEntries, IntentExistsError } from './audit';

/** An AuditStore in memory, with the DynamoDB store's semantics: for unit tests and the in-process demo. */
export class MemoryAuditStore implements AuditStore {
  private readonly entries = new Map<string, AuditEntry>();
  private readonly intents = new Map<string, AuditEntry>();
  private readonly changeRecords: ChangeRecord[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.entries.set(entryKey(entry), { ...entry });
  }

  async recordIntent(entry: AuditEntry): Promise<void> {
    if (this.intents.has(entry.access_key_id)) throw new IntentExistsError(entry.access_key_id);
    this.intents.set(entry.access_key_id, { ...entry });
    this.entries.set(entryKey(entry), { ...entry });
  }

  async resolveIntent(entry: AuditEntry): Promise<void> {
    const intent = this.intents.get(entry.access_key_id);
    if (!intent || intent.run_id !== entry.run_id) {
      throw new Error(`no intent of run ${entry.run_id} for access key ${entry.access_key_id}`);
    }
    this.entries.set(entryKey(entry), { ...entry });
    this.intents.delete(entry.access_key_id);
  }

  async pendingIntents(): Promise<AuditEntry[]> {
    return [...this.intents.values()].map((intent) => ({ ...intent }));
  }

  async query(filter: AuditFilter): Promise<AuditEntry[]> {
    const since = filter.since?.toISOString();
    return [...this.entries.values()]
      .filter((entry) => filter.runId === undefined || entry.run_id === filter.runId)
      .filter((entry) => since === undefined || entry.at >= since)
      .map((entry) => ({ ...entry }))
      .sort(compareEntries);
  }

  async recordChanges(records: readonly ChangeRecord[]): Promise<void> {
    this.changeRecords.push(...records.map((record) => ({ ...record })));
  }

  async changes(filter: AuditFilter): Promise<ChangeRecord[]> {
    if (filter.runId !== undefined) return [];
    const since = filter.since?.toISOString();
    return this.changeRecords
      .filter((record) => since === undefined || record.at >= since)
      .map((record) => ({ ...record }))
      .sort(compareChanges);
  }
}

function entryKey(entry: AuditEntry): string {
  return `${entry.run_id}\u0000${entry.access_key_id}`;
}
