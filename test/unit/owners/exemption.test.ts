import { protectTagReason, selectCandidates } from '../../../src/cleanup/policy';
import { defaultFixWorkerConfig } from '../../../src/config/fix-worker';
import { exemptionEnded, protectTagTerms } from '../../../src/owners/exemption';
import { listExemptions } from '../../../src/owners/exemptions';
import { executeSearch } from '../../../src/query/execute';
import { ParseError } from '../../../src/query/errors';
import { parse } from '../../../src/query/parser';
import { format } from '../../../src/query/print';
import type { InventoryNode } from '../../../src/inventory/model';
import { HOME, InventoryBuilder, NOW } from '../cleanup/fixtures';

/** A user with cloudsweep metadata, as `| protect` leaves it. */
function userWith(inventory: InventoryBuilder, name: string, metadata: Record<string, unknown>, tags: Record<string, string> = {}): InventoryNode {
  const user = inventory.user(HOME, name, { tags });
  Object.assign(user.metadata, metadata);
  return user;
}

const TAG = 'cloudsweep:protect';
const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);

describe('an exemption\'s terms', () => {
  it('reads until and reason from a protect tag\'s value, and nothing from a plain value', () => {
    expect(protectTagTerms('until=2027-03-31; reason=vendor migration')).toEqual({ until: '2027-03-31', reason: 'vendor migration' });
    expect(protectTagTerms('Reason = keep ;UNTIL=2027-03-31T12:00:00Z')).toEqual({ until: '2027-03-31T12:00:00Z', reason: 'keep' });
    expect(protectTagTerms('true')).toEqual({});
  });

  it('holds through the day a date names, and up to the instant a date-time names', () => {
    expect(exemptionEnded('2027-03-31', at('2027-03-31T23:59:59Z'))).toBe(false);
    expect(exemptionEnded('2027-03-31', at('2027-04-01T00:00:00Z'))).toBe(true);
    expect(exemptionEnded('2027-03-31T12:00:00Z', at('2027-03-31T12:00:00Z'))).toBe(true);
  });

  it('never ends when it has no end, or one that cannot be read', () => {
    expect(exemptionEnded(undefined, at('2099-01-01T00:00:00Z'))).toBe(false);
    expect(exemptionEnded('next spring', at('2099-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('protect --until --reason', () => {
  it('parses in either order and prints back the same', () => {
    const query = parse('is(user) | protect --reason "vendor migration" --until 2027-03-31');
    expect(query.commands).toEqual([{ name: 'protect', until: '2027-03-31', reason: 'vendor migration' }]);
    expect(format(query)).toBe('is(user) | protect --until 2027-03-31 --reason "vendor migration"');
    expect(parse(format(query))).toEqual(query);
  });

  it('refuses an end that is not a date, at its column', () => {
    expect(() => parse('is(user) | protect --until soon')).toThrow(ParseError);
    expect(() => parse('is(user) | protect --until soon')).toThrow(/expected a date or date-time after --until/);
    expect(() => parse('is(user) | protect --for 3d')).toThrow(/expected --until DATE or --reason TEXT after protect/);
  });

  it('records the end, the reason, who set it and when; a plain protect later removes the end', () => {
    const inventory = new InventoryBuilder().account(HOME);
    inventory.user(HOME, 'vendor');
    const first = executeSearch('is(user) | protect --until 2027-03-31 --reason "vendor migration"', { graph: inventory.graph, now: NOW, recordedAt: NOW, protectedBy: 'arn:aws:iam::123456789012:user/ann' });
    expect(first.updates[0]?.metadata).toEqual({
      protected: true, protected_until: '2027-03-31', protect_reason: 'vendor migration', protected_by: 'arn:aws:iam::123456789012:user/ann', protected_at: NOW.toISOString(),
    });
    expect(first.changes).toEqual([{ command: 'protect', reason: 'vendor migration; until 2027-03-31', nodes: [expect.objectContaining({})] }]);
  });
});

describe('cleanup and expiring exemptions', () => {
  it('lets an exemption set with | protect stop protecting once its end has passed', () => {
    const inventory = new InventoryBuilder().account(HOME);
    const vendor = userWith(inventory, 'vendor', { protected: true, protected_until: '2026-01-31', protect_reason: 'migration' });
    const partner = userWith(inventory, 'partner', { protected: true, protected_until: '2026-02-01', protect_reason: 'contract' });
    inventory.key(vendor, 'AKIAVENDOR', { flagged: true });
    inventory.key(partner, 'AKIAPARTNER', { flagged: true });

    const selection = selectCandidates(inventory.graph, [TAG], 0, NOW);

    expect(selection.candidates.map((key) => key.accessKeyId)).toEqual(['AKIAVENDOR']);
    expect(selection.protected.map(({ reason }) => reason)).toEqual(['user partner is protected (metadata.protected until 2026-02-01 (contract))']);
  });

  it('keeps a user whose deployed protect tag ended protected, saying to remove the tag, since IAM still refuses the writes', () => {
    const tags = { [TAG]: 'until=2026-01-15; reason=vendor migration' };
    expect(protectTagReason(tags, [TAG], 'vendor', NOW)).toBe(
      'the exemption of user vendor ended at 2026-01-15 (vendor migration), but the user still carries the protect tag cloudsweep:protect, which IAM enforces: remove the tag to let cleanup act',
    );
  });

  it('drops a configured (code-only) protect tag whose end has passed, and honours one still running', () => {
    expect(protectTagReason({ 'team:keep': 'until=2026-01-15' }, [TAG, 'team:keep'], 'vendor', NOW)).toBeUndefined();
    expect(protectTagReason({ 'team:keep': 'until=2026-03-01; reason=audit' }, [TAG, 'team:keep'], 'vendor', NOW)).toBe('user vendor carries the protect tag team:keep until 2026-03-01 (audit)');
    expect(protectTagReason({ [TAG]: 'true' }, [TAG], 'vendor', NOW)).toBe('user vendor carries the protect tag cloudsweep:protect=true');
  });
});

describe('listing exemptions', () => {
  const build = () => {
    const inventory = new InventoryBuilder().account(HOME);
    const vendor = userWith(inventory, 'vendor', { protected: true, protected_until: '2026-02-20', protect_reason: 'migration', protected_by: 'arn:aws:iam::123456789012:user/ann' }, { owner: 'v@example.com' });
    const ci = inventory.user(HOME, 'ci', { tags: { [TAG]: 'until=2026-01-01; reason=old' } });
    const ops = inventory.user(HOME, 'ops');
    inventory.key(vendor, 'AKIAVENDOR');
    inventory.key(ci, 'AKIACI');
    inventory.key(ops, 'AKIAOPS', { metadata: { protected: true } });
    return inventory;
  };
  const owners = { ...defaultFixWorkerConfig().notify, central_contact: 'sec@example.com' };

  it('lists protected users and keys and protect tags, soonest end first, with owner, reason, end and who set it', () => {
    const rows = listExemptions(build().graph, { protectTags: [TAG], owners, now: NOW });
    expect(rows.map((row) => [row.user_name, row.source, row.until, row.state, row.reason, row.owner, row.set_by])).toEqual([
      ['ci', `tag ${TAG}`, '2026-01-01', 'ended', 'old', 'sec@example.com', null],
      ['vendor', 'metadata.protected', '2026-02-20', 'active', 'migration', 'v@example.com', 'arn:aws:iam::123456789012:user/ann'],
      ['ops', 'metadata.protected', null, 'active', null, 'sec@example.com', null],
    ]);
  });

  it('with --expiring keeps those ending within the window, ended ones included', () => {
    expect(listExemptions(build().graph, { protectTags: [TAG], owners, now: NOW, expiringWithinMs: 7 * DAY }).map((row) => row.user_name)).toEqual(['ci']);
    expect(listExemptions(build().graph, { protectTags: [TAG], owners, now: NOW, expiringWithinMs: 30 * DAY }).map((row) => row.user_name)).toEqual(['ci', 'vendor']);
  });
});
