import { configChangeRecord, flagChangeRecords, NODES_PER_CHANGE } from '../../../src/cleanup/audit';
import { defaultFixWorkerConfig } from '../../../src/config/fix-worker';

const AUTHOR = { who: 'arn:aws:iam::123456789012:user/alice', at: '2026-11-26T10:00:00.000Z' };

describe('change records', () => {
  it('splits a flag change on many nodes into records of at most NODES_PER_CHANGE ids', () => {
    const nodes = Array.from({ length: 2 * NODES_PER_CHANGE + 1 }, (_, i) => ({ id: `AKIA${String(i).padStart(16, '0')}` }));
    const records = flagChangeRecords([{ command: 'unclean', reason: 'in use', nodes }], AUTHOR);
    expect(records.map((record) => record.target.split(' ').length)).toEqual([NODES_PER_CHANGE, NODES_PER_CHANGE, 1]);
    expect(records[0]).toMatchObject({ ...AUTHOR, subject: 'flag', action: 'unclean', before: 'flagged for cleanup', after: 'not flagged', reason: 'in use' });
    expect(records.flatMap((record) => record.target.split(' '))).toEqual(nodes.map((node) => node.id));
  });

  it('shows only the config keys that changed', () => {
    const before = defaultFixWorkerConfig();
    const after = { ...before, fixworker: { ...before.fixworker, cleanup: true } };
    expect(configChangeRecord('set', 'fix.worker', before, after, AUTHOR)).toEqual({
      ...AUTHOR,
      subject: 'config',
      action: 'set',
      target: 'fix.worker',
      before: '{"fixworker.cleanup":false}',
      after: '{"fixworker.cleanup":true}',
      reason: '',
    });
  });
});
