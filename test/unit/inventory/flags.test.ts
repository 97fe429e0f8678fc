import { accountResolver, flagForCleanup, protect, unprotect } from '../../../src/inventory/flags';
import { seedInventory } from '../../fixtures/seed-inventory';

const AT = '2026-11-23T10:00:00.000Z';

describe('flags', () => {
  const setup = () => {
    const seed = seedInventory();
    const key = seed.graph.node(seed.unusedKeyIds[0] as string)!;
    return { seed, key, accountOf: accountResolver(seed.graph) };
  };

  it('flags a node for cleanup with who, when and why, keeping its other metadata', () => {
    const { key, accountOf } = setup();
    key.metadata.deactivated_at = '2026-11-01T00:00:00Z';
    expect(flagForCleanup([key], { flaggedBy: 'job-1', at: AT, reason: 'unused', accountOf })).toEqual([
      {
        id: key.id,
        accountId: '100000000001',
        metadata: { deactivated_at: '2026-11-01T00:00:00Z', flagged_by: 'job-1', flagged_at: AT, clean_reason: 'unused' },
        desired: { clean: true },
      },
    ]);
    expect(key.desired.clean).toBeUndefined();
  });

  it('yields no update for a node already flagged, so flagged_at does not move', () => {
    const { key, accountOf } = setup();
    key.desired.clean = true;
    key.metadata.flagged_at = '2026-01-01T00:00:00Z';
    expect(flagForCleanup([key], { flaggedBy: 'job-2', at: AT, accountOf })).toEqual([]);
  });

  it('drops a stale reason when flagging again without one', () => {
    const { key, accountOf } = setup();
    key.metadata.clean_reason = 'old';
    expect(flagForCleanup([key], { flaggedBy: 'job', at: AT, accountOf })[0]?.metadata).toEqual({ flagged_by: 'job', flagged_at: AT });
  });

  it('protects and unprotects only what changes', () => {
    const { seed, accountOf } = setup();
    const nancy = seed.graph.node('AIDANANCY01')!;
    const alice = seed.graph.node('AIDAALICE01')!;
    alice.metadata.protected = true;
    expect(protect([nancy, alice], { accountOf })).toEqual([{ id: 'AIDANANCY01', accountId: '100000000001', metadata: { protected: true } }]);
    expect(unprotect([nancy, alice], { accountOf })).toEqual([{ id: 'AIDAALICE01', accountId: '100000000001', metadata: { protected: false } }]);
  });

  it('extends a protection but never shortens it, so a protect with a past end cannot end one', () => {
    const { seed, accountOf } = setup();
    const alice = seed.graph.node('AIDAALICE01')!;
    alice.metadata.protected = true;
    expect(protect([alice], { accountOf, until: '2000-01-01T00:00:00Z' })).toEqual([]);
    alice.metadata.protected_until = '2027-03-31T23:59:59Z';
    expect(protect([alice], { accountOf, until: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect(protect([alice], { accountOf, until: '2028-01-01T00:00:00Z' })[0]?.metadata).toMatchObject({ protected: true, protected_until: '2028-01-01T00:00:00Z' });
    expect(protect([alice], { accountOf })[0]?.metadata).toEqual({ protected: true });
  });

  it('resolves an account as its own account', () => {
    const { seed, accountOf } = setup();
    expect(accountOf(seed.graph.node('100000000002')!)).toBe('100000000002');
  });

  it('resolves a key and a user to their account, and a node outside any account to its own id', () => {
    const { seed, key, accountOf } = setup();
    expect(accountOf(key)).toBe('100000000001');
    expect(accountOf(seed.graph.node('AIDANANCY01')!)).toBe('100000000001');
    const stray = { id: 'AKIASTRAY', kind: 'aws_iam_access_key' as const, reported: {}, metadata: {}, desired: {} };
    seed.graph.addNode(stray);
    expect(accountOf(stray)).toBe('AKIASTRAY');
  });
});
