import { summaryLines } from '../../cli/workflow';

const CLEANUP = { flagged: 9, protected: 1, skipped: 0, deleted: 0, deactivated: 0, already_absent: 0, failed: 0, cleanup_enabled: true, failed_accounts: [], account_failures: [], remaining: 0, invocations: 1 };

describe('the cleanup summary line of a workflow run', () => {
  it('says what a dry run would delete, not that it deleted nothing', () => {
    expect(summaryLines('cleanup', { ...CLEANUP, dry_run: true, would_delete: 8, would_deactivate: 0 })).toEqual([
      'cleanup (dry run): 9 flagged, 1 protected, 0 skipped, would delete 8, would deactivate 0, 0 failed',
    ]);
  });

  it('says what a real run deleted', () => {
    expect(summaryLines('cleanup', { ...CLEANUP, dry_run: false, deleted: 8 })).toEqual([
      'cleanup: 9 flagged, 1 protected, 0 skipped, 8 deleted, 0 deactivated, 0 already absent, 0 failed',
    ]);
  });
});
