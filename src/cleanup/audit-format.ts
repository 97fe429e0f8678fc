import { csvCell } from '../untrusted-text';
import { CHANGE_FIELDS, ChangeRecord } from './audit-change';
import { AUDIT_FIELDS, AuditEntry, publicEntry } from './audit-entry';

/** `cloudsweep audit --output json`: a JSON array of exactly the ten public fields. */
export function auditJson(entries: readonly AuditEntry[]): string {
  return JSON.stringify(entries.map(publicEntry), null, 2);
}

/** `--output csv`: a header line, then one RFC 4180 line per entry, formulas neutralised. */
export function auditCsv(entries: readonly AuditEntry[]): string {
  const lines = [AUDIT_FIELDS.join(',')];
  for (const entry of entries) lines.push(AUDIT_FIELDS.map((field) => csvCell(entry[field])).join(','));
  return lines.join('\n');
}

/** `cloudsweep audit --changes --output json`: a JSON array of change records, exactly their eight fields. */
export function changesJson(records: readonly ChangeRecord[]): string {
  return JSON.stringify(records.map((record) => Object.fromEntries(CHANGE_FIELDS.map((field) => [field, record[field]]))), null, 2);
}

/** `--changes --output csv`: a header line, then one RFC 4180 line per change, formulas neutralised. */
export function changesCsv(records: readonly ChangeRecord[]): string {
  const lines = [CHANGE_FIELDS.join(',')];
  for (const record of records) lines.push(CHANGE_FIELDS.map((field) => csvCell(record[field])).join(','));
  return lines.join('\n');
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
