import { decide, Decision, flaggedKey } from '../../../src/cleanup/policy';
import type { KeyFacts } from '../../../src/cleanup/verify-and-act';
import { HOME, InventoryBuilder, NOW } from './fixtures';

const DAY = 86_400_000;
const context = (graceMs = 0) => ({ protectTags: ['cloudsweep:protect'], graceMs, now: NOW, minimumIdleMs: 30 * DAY });
const facts = (change: Partial<KeyFacts> = {}): KeyFacts => ({
  present: true,
  owner: 'nancy',
  status: 'Active',
  lastUsed: null,
  createdAt: new Date('2024-01-01T00:00:00Z'),
  userTags: {},
  ...change,
});

function keyWith(options: Parameters<InventoryBuilder['key']>[2] = {}) {
  const inventory = new InventoryBuilder().account(HOME);
  const node = inventory.key(inventory.user(HOME, 'nancy'), 'AKIAKEY', { flagged: true, ...options });
  return flaggedKey(inventory.graph, node);
}

describe('deciding what to do with a verified key', () => {
  it('deletes a flagged key nobody used since', () => {
    expect(decide(keyWith({ atime: '2025-06-01T00:00:00Z' }), facts({ lastUsed: new Date('2025-06-01T00:00:00Z') }), context())).toEqual<Decision>({
      kind: 'delete',
      reason: 'flagged by clean_outdated_access_keys: unused for 90 days',
    });
  });

  it('counts a key IAM no longer lists as done', () => {
    expect(decide(keyWith(), facts({ present: false }), context())).toMatchObject({ kind: 'absent', action: 'delete' });
  });

  it('skips and unflags a key used after it was flagged', () => {
    const decision = decide(keyWith(), facts({ lastUsed: new Date('2026-01-15T10:00:00Z') }), context());
    expect(decision).toEqual({ kind: 'skip', unflag: true, reason: 'used at 2026-01-15T10:00:00.000Z, after it was flagged at 2026-01-01T00:00:00.000Z' });
  });

  it('skips a key used after the collect the flag was based on, even before the flag', () => {
    const decision = decide(keyWith({ atime: '2025-06-01T00:00:00Z' }), facts({ lastUsed: new Date('2025-12-31T00:00:00Z') }), context());
    expect(decision).toMatchObject({ kind: 'skip', unflag: true });
  });

  it('skips a never-used key that has a use now', () => {
    expect(decide(keyWith({ atime: null }), facts({ lastUsed: new Date('2025-12-01T00:00:00Z') }), context())).toMatchObject({ kind: 'skip', unflag: true });
  });

  it('skips a key whose user got the protect tag since the collect, keeping the flag', () => {
    const decision = decide(keyWith(), facts({ userTags: { 'cloudsweep:protect': 'true' } }), context());
    expect(decision).toEqual({ kind: 'skip', unflag: false, reason: 'protected: user nancy carries the protect tag cloudsweep:protect=true' });
  });

  it('skips a key IAM lists under another user than the inventory', () => {
    expect(decide(keyWith(), facts({ owner: 'bob' }), context())).toMatchObject({ kind: 'skip', unflag: false });
  });

  describe('the act-time floor', () => {
    it('skips and unflags a key flagged after its last use when IAM shows that use within the floor', () => {
      // The inventory knew the use and the flag came after it: only the floor sees a key in daily use.
      const usedAt = new Date(NOW.getTime() - 60_000);
      const key = keyWith({ atime: usedAt.toISOString(), metadata: { flagged_at: NOW.toISOString() } });

      expect(decide(key, facts({ lastUsed: usedAt }), context())).toEqual({
        kind: 'skip',
        unflag: true,
        reason:
          'below the act-time floor: IAM shows it last used at 2026-01-31T23:59:00.000Z, idle 1min, less than the minimum idle time of 30d (deploy-time minimumIdleDays)',
      });
    });

    it('skips a never-used key created within the floor', () => {
      const decision = decide(keyWith(), facts({ createdAt: new Date(NOW.getTime() - 29 * DAY) }), context());
      expect(decision).toMatchObject({ kind: 'skip', unflag: true, reason: expect.stringContaining('never used, created at 2026-01-03') });
    });

    it('acts on a key idle exactly as long as the floor', () => {
      expect(decide(keyWith(), facts({ createdAt: new Date(NOW.getTime() - 30 * DAY) }), context())).toMatchObject({ kind: 'delete' });
    });

    it('skips a key when IAM shows neither a use nor a creation date', () => {
      const decision = decide(keyWith(), facts({ createdAt: undefined }), context());
      expect(decision).toMatchObject({ kind: 'skip', unflag: true, reason: expect.stringContaining('neither a last use nor a creation date') });
    });

    it('holds before the delete that ends a grace period too', () => {
      const key = keyWith({ status: 'Inactive', atime: '2026-01-20T00:00:00Z', metadata: { deactivated_at: new Date(NOW.getTime() - 8 * DAY).toISOString() } });
      expect(decide(key, facts({ status: 'Inactive', lastUsed: new Date('2026-01-20T00:00:00Z') }), context(7 * DAY))).toMatchObject({ kind: 'skip', unflag: true });
    });
  });

  describe('with a grace period', () => {
    it('deactivates an active key first', () => {
      expect(decide(keyWith(), facts(), context(7 * DAY))).toMatchObject({ kind: 'deactivate' });
    });

    it('deletes a key cloudsweep deactivated once the grace has passed', () => {
      const key = keyWith({ status: 'Inactive', metadata: { deactivated_at: new Date(NOW.getTime() - 8 * DAY).toISOString() } });
      expect(decide(key, facts({ status: 'Inactive' }), context(7 * DAY))).toMatchObject({ kind: 'delete' });
    });

    it('withdraws the flag of a key someone reactivated', () => {
      const key = keyWith({ metadata: { deactivated_at: new Date(NOW.getTime() - 8 * DAY).toISOString() } });
      expect(decide(key, facts({ status: 'Active' }), context(7 * DAY))).toMatchObject({ kind: 'skip', unflag: true });
    });

    it('starts the grace for a key found inactive that cloudsweep did not deactivate', () => {
      expect(decide(keyWith(), facts({ status: 'Inactive' }), context(7 * DAY))).toMatchObject({ kind: 'skip', unflag: false, startGrace: true });
    });
  });
});

describe('the notice stage in the decision (notify.notice_period)', () => {
  const withNotice = (noticeMs: number, graceMs = 0) => ({ ...context(graceMs), noticeMs });
  const idle = facts({ lastUsed: new Date('2025-06-01T00:00:00Z') });

  it('gives a flagged key without a notice a notice instead of any write, acting a whole period later', () => {
    const decision = decide(keyWith({ atime: '2025-06-01T00:00:00Z' }), idle, withNotice(7 * DAY, DAY));
    expect(decision).toMatchObject({ kind: 'notice', then: 'deactivate', actsAfter: new Date(NOW.getTime() + 7 * DAY).toISOString() });
  });

  it('writes nothing while the notice period runs, then acts as without notices', () => {
    const noticedAt = new Date(NOW.getTime() - 2 * DAY).toISOString();
    const key = () => keyWith({ atime: '2025-06-01T00:00:00Z', metadata: { noticed_at: noticedAt } });
    expect(decide(key(), idle, withNotice(7 * DAY))).toMatchObject({ kind: 'skip', unflag: false });
    expect(decide(key(), idle, withNotice(DAY))).toMatchObject({ kind: 'delete' });
  });

  it('unflags a noticed key used after its notice', () => {
    const noticedAt = new Date(NOW.getTime() - 2 * DAY).toISOString();
    const key = keyWith({ atime: '2025-06-01T00:00:00Z', metadata: { noticed_at: noticedAt } });
    expect(decide(key, facts({ lastUsed: new Date(NOW.getTime() - DAY) }), withNotice(7 * DAY))).toMatchObject({ kind: 'skip', unflag: true });
  });

  it('still refuses a key below the act-time floor, notice or not', () => {
    const decision = decide(keyWith({ atime: '2025-06-01T00:00:00Z' }), facts({ lastUsed: null, createdAt: new Date(NOW.getTime() - DAY) }), withNotice(7 * DAY));
    expect(decision).toMatchObject({ kind: 'skip', unflag: true });
  });
});
