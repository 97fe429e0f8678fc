import type { ReportKeySlot } from '../../../src/collect/credential-report';
import { ListedKey, matchKeysToReport, storedKeysStanding } from '../../../src/collect/key-matching';

const key = (id: string, createDate: string): ListedKey => ({ accessKeyId: id, userName: 'u', createDate, status: 'Active' });
const slot = (n: 1 | 2, lastRotated: string, lastUsed: string | null = null): ReportKeySlot => ({
  slot: n, active: true, lastRotated, lastUsed, lastUsedRegion: null, lastUsedService: null,
});

describe('matching keys to credential report columns', () => {
  it('pairs by creation second, not by position', () => {
    const older = key('AKIAOLD', '2024-01-01T00:00:00.000Z');
    const newer = key('AKIANEW', '2024-06-01T12:00:00.000Z');
    const slots = [slot(1, '2024-06-01T12:00:00.000Z', '2024-07-01T00:00:00.000Z'), slot(2, '2024-01-01T00:00:00.000Z')];
    const { matched, unresolved } = matchKeysToReport([older, newer], slots);
    expect(unresolved).toEqual([]);
    expect(matched.map((m) => [m.key.accessKeyId, m.slot.slot])).toEqual([
      ['AKIAOLD', 2],
      ['AKIANEW', 1],
    ]);
  });

  it('compares to the second: milliseconds of CreateDate do not matter', () => {
    const { matched } = matchKeysToReport([key('AKIA1', '2024-01-01T00:00:00.987Z')], [slot(1, '2024-01-01T00:00:00.000Z')]);
    expect(matched).toHaveLength(1);
  });

  it('leaves two keys created in the same second unresolved', () => {
    const keys = [key('AKIAA', '2024-01-01T00:00:00.100Z'), key('AKIAB', '2024-01-01T00:00:00.900Z')];
    const slots = [slot(1, '2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z'), slot(2, '2024-01-01T00:00:00.000Z')];
    const { matched, unresolved } = matchKeysToReport(keys, slots);
    expect(matched).toEqual([]);
    expect(unresolved.map((k) => k.accessKeyId)).toEqual(['AKIAA', 'AKIAB']);
  });

  it('pairs two keys of the same second when their columns say the same: either pairing gives the same nodes', () => {
    const keys = [key('AKIAA', '2024-01-01T00:00:00.100Z'), key('AKIAB', '2024-01-01T00:00:00.900Z')];
    const slots = [slot(1, '2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z'), slot(2, '2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z')];
    const { matched, unresolved } = matchKeysToReport(keys, slots);
    expect(unresolved).toEqual([]);
    expect(matched.map((m) => m.slot.lastUsed)).toEqual(['2024-02-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z']);
    // A different status is a difference too.
    expect(matchKeysToReport(keys, [slots[0] as ReportKeySlot, { ...(slots[1] as ReportKeySlot), active: false }]).unresolved).toHaveLength(2);
  });

  it('lets the stored keys stand while the report shows the same columns with the same status', () => {
    const stored = [key('AKIAOLD', '2024-01-01T00:00:00.000Z'), { ...key('AKIANEW', '2024-06-01T12:00:00.250Z'), status: 'Inactive' as const }];
    const slots = [{ ...slot(1, '2024-06-01T12:00:00.000Z'), active: false }, slot(2, '2024-01-01T00:00:00.000Z', '2024-09-09T00:00:00.000Z')];
    expect(storedKeysStanding(stored, slots)).toEqual(stored);

    // A key rotated (a column of another second), deleted, activated, or none stored: list again.
    expect(storedKeysStanding(stored, [slots[0] as ReportKeySlot, slot(2, '2024-10-01T00:00:00.000Z')])).toBeUndefined();
    expect(storedKeysStanding(stored, [slots[0] as ReportKeySlot])).toBeUndefined();
    expect(storedKeysStanding(stored, [slot(1, '2024-06-01T12:00:00.000Z'), slots[1] as ReportKeySlot])).toBeUndefined();
    expect(storedKeysStanding(undefined, slots)).toBeUndefined();
  });

  it('leaves a key newer than the report unresolved', () => {
    const { matched, unresolved } = matchKeysToReport(
      [key('AKIAOLD', '2024-01-01T00:00:00Z'), key('AKIANEW', '2024-09-09T00:00:00Z')],
      [slot(1, '2024-01-01T00:00:00Z')],
    );
    expect(matched.map((m) => m.key.accessKeyId)).toEqual(['AKIAOLD']);
    expect(unresolved.map((k) => k.accessKeyId)).toEqual(['AKIANEW']);
  });

  it('pairs a key the SDK rounded up to a whole second with the column of the second before', () => {
    // IAM said 12:49:08.9997; the SDK keeps milliseconds and reads 12:49:09.000.
    const { matched, unresolved } = matchKeysToReport([key('AKIA1', '2026-11-24T12:49:09.000Z')], [slot(1, '2026-11-24T12:49:08Z')]);
    expect(unresolved).toEqual([]);
    expect(matched.map((m) => m.slot.slot)).toEqual([1]);
  });

  it('prefers a key\'s own second, so keys one second apart still pair exactly', () => {
    const keys = [key('AKIALATER', '2024-01-01T00:00:01Z'), key('AKIAEARLIER', '2024-01-01T00:00:00Z')];
    const { matched, unresolved } = matchKeysToReport(keys, [slot(1, '2024-01-01T00:00:00Z'), slot(2, '2024-01-01T00:00:01Z')]);
    expect(unresolved).toEqual([]);
    expect(matched.map((m) => [m.key.accessKeyId, m.slot.slot])).toEqual([
      ['AKIALATER', 2],
      ['AKIAEARLIER', 1],
    ]);
  });

  it('leaves a column two keys could have unresolved for both', () => {
    // AKIANEW is newer than the report and on a whole second: it might be the second before's.
    const keys = [key('AKIAOLD', '2024-01-01T00:00:00.500Z'), key('AKIANEW', '2024-01-01T00:00:01Z')];
    const { matched, unresolved } = matchKeysToReport(keys, [slot(1, '2024-01-01T00:00:00Z')]);
    expect(matched).toEqual([]);
    expect(unresolved.map((k) => k.accessKeyId)).toEqual(['AKIAOLD', 'AKIANEW']);
  });
});
