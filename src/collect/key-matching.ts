import type { ReportKeySlot } from './credential-report';

/** An access key as ListAccessKeys returns it. */
export interface ListedKey {
  accessKeyId: string;
  userName: string;
  /** ISO 8601, as precise as IAM gives it. */
  createDate: string;
  status: 'Active' | 'Inactive';
}

export interface KeyMatching {
  /** Keys whose report column is certain, with that column. */
  matched: Array<{ key: ListedKey; slot: ReportKeySlot }>;
  /** Keys no single column belongs to: two keys created in the same second, or a key newer than the report. */
  unresolved: ListedKey[];
}

/**
 * Pairs a user's keys with the report's `access_key_1/2` columns by creation time: a column's
 * `last_rotated` is the key's CreateDate to the second. Never by position: the columns' order is
 * not the order ListAccessKeys answers in. A pairing that is not one-to-one is left unresolved
 * rather than guessed.
 */
export function matchKeysToReport(keys: readonly ListedKey[], slots: readonly ReportKeySlot[]): KeyMatching {
  const matched: KeyMatching['matched'] = [];
  const unresolved: ListedKey[] = [];
  for (const key of keys) {
    const second = toSecond(key.createDate);
    const columns = slots.filter((slot) => toSecond(slot.lastRotated) === second);
    const twins = keys.filter((other) => toSecond(other.createDate) === second);
    const slot = columns[0];
    if (columns.length === 1 && twins.length === 1 && slot) matched.push({ key, slot });
    else unresolved.push(key);
  }
  return { matched, unresolved };
}

function toSecond(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}
