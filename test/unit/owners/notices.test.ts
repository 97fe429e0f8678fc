import { validateFixWorkerConfig } from '../../../src/config/schema';
import { effectiveSettings } from '../../../src/config/account-overrides';
import { composeDigests, OwnerItem } from '../../../src/owners/digest';
import { keyStageDetail, noticeLines } from '../../../src/owners/delivery';
import { durationSetting, noticeStage } from '../../../src/owners/notices';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const DAY = 86_400_000;

describe('the notice stage of a flagged key', () => {
  it('gates nothing when the notice period is zero', () => {
    expect(noticeStage({ flagged_at: '2026-11-01T00:00:00Z' }, 0, NOW)).toEqual({ kind: 'none' });
  });

  it('is due for a flagged key without a notice, acting a whole period from now', () => {
    expect(noticeStage({ flagged_at: '2026-11-01T00:00:00Z' }, 7 * DAY, NOW)).toEqual({ kind: 'due', actsAfter: '2026-12-04T12:00:00.000Z' });
  });

  it('waits until the period after the notice has passed, then lets cleanup act', () => {
    const metadata = { flagged_at: '2026-11-20T00:00:00Z', noticed_at: '2026-11-21T12:00:00.000Z' };
    expect(noticeStage(metadata, 7 * DAY, NOW)).toEqual({ kind: 'waiting', noticedAt: '2026-11-21T12:00:00.000Z', actsAfter: '2026-11-28T12:00:00.000Z' });
    expect(noticeStage(metadata, 6 * DAY, NOW)).toEqual({ kind: 'passed', noticedAt: '2026-11-21T12:00:00.000Z', actsAfter: '2026-11-27T12:00:00.000Z' });
  });

  it('does not count a notice given before the current flag: a key flagged again gets a notice of its own', () => {
    expect(noticeStage({ flagged_at: '2026-11-25T00:00:00Z', noticed_at: '2026-11-10T00:00:00Z' }, DAY, NOW).kind).toBe('due');
  });

  it('leaves a key cloudsweep already deactivated to its grace', () => {
    expect(noticeStage({ flagged_at: '2026-11-01T00:00:00Z', deactivated_at: '2026-11-02T00:00:00Z' }, 7 * DAY, NOW)).toEqual({ kind: 'none' });
  });

  it('refuses a setting that is not a duration, naming it', () => {
    expect(() => durationSetting('soon', 'notify.notice_period')).toThrow('notify.notice_period: "soon" is not a duration');
    expect(durationSetting('2s', 'notify.notice_period')).toBe(2000);
  });
});

describe('notify settings in fix.worker', () => {
  it('default to no notice period and a warning 14 days before an exemption ends', () => {
    const config = validateFixWorkerConfig({});
    expect(config.notify).toMatchObject({ notice_period: '0d', exemption_warning: '14d' });
    expect(effectiveSettings(config, '111111111111').notice_period).toBe('0d');
  });

  it('take a notice period globally and per account, the account winning', () => {
    const config = validateFixWorkerConfig({ notify: { notice_period: '7d' }, accounts: { sandbox: { notice_period: '1d' } } });
    expect(effectiveSettings(config, '222222222222', 'sandbox').notice_period).toBe('1d');
    expect(effectiveSettings(config, '333333333333', 'prod').notice_period).toBe('7d');
  });

  it('refuse a value that is not a duration, naming the key', () => {
    expect(() => validateFixWorkerConfig({ notify: { notice_period: 'a week' } })).toThrow(/notify\.notice_period: "a week" is not a duration/);
    expect(() => validateFixWorkerConfig({ notify: { exemption_warning: -1 } })).toThrow(/notify\.exemption_warning: number -1 is not a duration/);
    expect(() => validateFixWorkerConfig({ accounts: { sandbox: { notice_period: true } } })).toThrow(/accounts\.sandbox\.notice_period: boolean true is not a duration/);
  });
});

const base = { account: '111111111111', accountName: 'sandbox', reason: 'flagged by unused-keys: unused for 90 days', flaggedAt: '2026-11-20T00:00:00.000Z', noticedAt: null, dryRun: false };

describe('the digest an owner gets', () => {
  const items: OwnerItem[] = [
    { ...base, stage: 'deactivated', owner: 'nancy@example.com', userName: 'nancy', accessKeyId: 'AKIANANCY2', deactivatedAt: '2026-11-27T12:00:00.000Z', deleteAfter: '2026-12-04T12:00:00.000Z' },
    { ...base, stage: 'noticed', owner: 'nancy@example.com', userName: 'nancy', accessKeyId: 'AKIANANCY1', actsAfter: '2026-12-04T12:00:00.000Z', action: 'deactivate', graceText: '7d' },
    { ...base, stage: 'noticed', owner: 'ci@example.com', userName: 'ci', accessKeyId: 'AKIACI', actsAfter: '2026-12-04T12:00:00.000Z', action: 'delete', graceText: undefined },
    { ...base, stage: 'deleted', owner: undefined, userName: 'orphan', accessKeyId: 'AKIAORPHAN', deletedAt: '2026-11-27T12:00:00.000Z' },
    { stage: 'exemption_ending', owner: 'nancy@example.com', account: '111111111111', accountName: 'sandbox', userName: 'vendor', accessKeyId: undefined, until: '2026-12-01', reason: 'vendor migration', source: 'tag cloudsweep:protect', dryRun: false },
  ];

  it('is one message per owner, never one per key, and nobody for keys without an owner', () => {
    const digests = composeDigests(items);
    expect(digests.map((d) => [d.to, d.items.length])).toEqual([['ci@example.com', 1], ['nancy@example.com', 3]]);
    expect(digests[1]?.subject).toBe('cloudsweep: your AWS access keys: 1 to be cleaned up, 1 deactivated, 1 exemption ending');
  });

  it('says what, why, when, how to keep and how to undo, stage by stage', () => {
    const text = composeDigests(items)[1]?.text ?? '';
    expect(text.indexOf('== Notice')).toBeLessThan(text.indexOf('== Deactivated'));
    expect(text).toContain('- AKIANANCY1 of user nancy in account sandbox (111111111111)');
    expect(text).toContain('Why: flagged by unused-keys: unused for 90 days');
    expect(text).toContain('When: not before 2026-12-04T12:00:00.000Z, cleanup will deactivate it, then delete it after 7d inactive.');
    expect(text).toContain(`protect it: cloudsweep search 'id(AKIANANCY1)' | protect --until YYYY-MM-DD --reason`);
    expect(text).toContain('To undo: cloudsweep restore AKIANANCY2');
    expect(text).toContain('- every key of user vendor in account sandbox (111111111111): exempt (vendor migration) until 2026-12-01 (tag cloudsweep:protect)');
    expect(text).toContain("set the user's tag cloudsweep:protect to until=YYYY-MM-DD; reason=...");
  });

  it('becomes a versioned bus event per key stage, none for an exemption', () => {
    const ref = { workflow: 'cleanup' as const, run_id: 'run-1' };
    expect(keyStageDetail(items[1] as OwnerItem, ref)).toEqual({
      event: 'key_noticed',
      detail: expect.objectContaining({ version: 1, stage: 'noticed', owner: 'nancy@example.com', access_key_id: 'AKIANANCY1', user_name: 'nancy', account: '111111111111', dates: expect.objectContaining({ acts_after: '2026-12-04T12:00:00.000Z', flagged_at: '2026-11-20T00:00:00.000Z' }) }),
    });
    expect(keyStageDetail(items[0] as OwnerItem, ref)?.detail.dates).toMatchObject({ deactivated_at: '2026-11-27T12:00:00.000Z', delete_after: '2026-12-04T12:00:00.000Z' });
    expect(keyStageDetail(items[4] as OwnerItem, ref)).toBeUndefined();
    expect(noticeLines(items).map((line) => [line.stage, line.next])).toContainEqual(['exemption_ending', '2026-12-01']);
  });
});
