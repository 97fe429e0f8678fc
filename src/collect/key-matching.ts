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
 * not the order ListAccessKeys answers in. A pairing that is not one-to-one (a key with two
 * columns of its second, a column two keys could have) is left unresolved rather than guessed.
 */
export function matchKeysToReport(keys: readonly ListedKey[], slots: readonly ReportKeySlot[]): KeyMatching {
  const candidates = keys.map((key) => columnsOf(key, slots));
  const claims = new Map<ReportKeySlot, number>();
  for (const columns of candidates) for (const slot of columns) claims.set(slot, (claims.get(slot) ?? 0) + 1);
  const matched: KeyMatching['matched'] = [];
  const unresolved: ListedKey[] = [];
  keys.forEach((key, i) => {
    const columns = candidates[i] ?? [];
    const slot = columns[0];
    if (columns.length === 1 && slot && claims.get(slot) === 1) matched.push({ key, slot });
    else unresolved.push(key);
  });
  // Two keys of one second, each of which could have either of two columns: when the columns say
  // the same in everything the inventory keeps, either pairing gives the same nodes.
  const [first, second] = unresolved;
  if (unresolved.length === 2 && first && second) {
    const [a, b] = columnsOf(first, slots);
    const same = (x: readonly ReportKeySlot[], y: readonly ReportKeySlot[]) => x.length === y.length && x.every((slot, i) => slot === y[i]);
    if (a && b && columnsOf(first, slots).length === 2 && same(columnsOf(first, slots), columnsOf(second, slots)) && sameUsage(a, b)) {
      return { matched: [...matched, { key: first, slot: a }, { key: second, slot: b }], unresolved: [] };
    }
  }
  return { matched, unresolved };
}

/** What the inventory keeps of a column: whether the key is active, and its last use. */
function sameUsage(a: ReportKeySlot, b: ReportKeySlot): boolean {
  return a.active === b.active && a.lastUsed === b.lastUsed && a.lastUsedService === b.lastUsedService && a.lastUsedRegion === b.lastUsedRegion;
}

/**
 * The user's stored keys still stand when the report's columns are those keys' columns, one to
 * one by creation second, with the same status (so no key was deleted, created, rotated,
 * deactivated or activated since). Undefined when anything differs: the user's keys are listed.
 */
export function storedKeysStanding(stored: readonly ListedKey[] | undefined, slots: readonly ReportKeySlot[]): ListedKey[] | undefined {
  if (!stored || stored.length === 0 || stored.length !== slots.length) return undefined;
  const { matched, unresolved } = matchKeysToReport(stored, slots);
  if (unresolved.length > 0 || matched.length !== slots.length) return undefined;
  if (matched.some(({ key, slot }) => slot.active !== (key.status === 'Active'))) return undefined;
  return [...stored];
}

/**
 * The columns of the key's creation second. IAM may give CreateDate to the microsecond, which the
 * SDK rounds to the millisecond, so a key made in the last half millisecond of a second reads as
 * the next whole second: a key on a whole second with no column of its own may have the
 * previous second's.
 */
function columnsOf(key: ListedKey, slots: readonly ReportKeySlot[]): ReportKeySlot[] {
  const created = Date.parse(key.createDate);
  const second = Math.floor(created / 1000);
  const exact = slots.filter((slot) => toSecond(slot.lastRotated) === second);
  if (exact.length > 0 || created % 1000 !== 0) return exact;
  return slots.filter((slot) => toSecond(slot.lastRotated) === second - 1);
}

function toSecond(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}
