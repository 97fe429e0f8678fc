import { effectiveSettings, overridesFor } from '../../../src/config/account-overrides';
import { applyAssignments } from '../../../src/config/assignments';
import { defaultFixWorkerConfig } from '../../../src/config/fix-worker';
import { unknownAccounts, validateFixWorkerConfig } from '../../../src/config/schema';
import { parseFixWorkerYaml, renderFixWorkerYaml } from '../../../src/config/yaml';

describe('per-account overrides of fixworker', () => {
  const config = validateFixWorkerConfig({
    accounts: { sandbox: { cleanup: true, deactivate_grace: '7d' }, '111111111111': { cleanup_dry_run: false, deactivate_grace: '1d' } },
  });

  it('apply by name and by id, the id winning where both set a key; other accounts follow fixworker', () => {
    expect(overridesFor(config, '111111111111', 'sandbox')).toEqual({ cleanup: true, cleanup_dry_run: false, deactivate_grace: '1d' });
    expect(effectiveSettings(config, '111111111111', 'sandbox')).toMatchObject({ cleanup: true, cleanup_dry_run: false, deactivate_grace: '1d', max_cleanup_per_run: 100 });
    expect(effectiveSettings(config, '222222222222', 'prod')).toEqual({ ...defaultFixWorkerConfig().fixworker, notice_period: '0d' });
  });

  it('refuse an unknown key and a wrong value, naming the account and the key', () => {
    expect(() => validateFixWorkerConfig({ accounts: { sandbox: { protect_tag: 'x' } } })).toThrow(/unknown key accounts\.sandbox\.protect_tag; allowed keys per account: cleanup, cleanup_dry_run/);
    expect(() => validateFixWorkerConfig({ accounts: { sandbox: { max_cleanup_per_run: -1 } } })).toThrow(/accounts\.sandbox\.max_cleanup_per_run: -1 is out of range/);
    expect(() => validateFixWorkerConfig({ accounts: { sandbox: true } })).toThrow(/accounts\.sandbox: expected a mapping of cleanup/);
  });

  it('are set and removed one key or one account at a time, and survive the YAML round trip', () => {
    let next = applyAssignments(defaultFixWorkerConfig(), ['accounts.sandbox.cleanup=true', 'accounts.team.dev={cleanup: true}', 'accounts."011111111111".cleanup=true']);
    expect(next.accounts).toEqual({ sandbox: { cleanup: true }, 'team.dev': { cleanup: true }, '011111111111': { cleanup: true } });
    expect(parseFixWorkerYaml(renderFixWorkerYaml(next), 'round trip')).toEqual(next);
    next = applyAssignments(next, ['accounts.sandbox.cleanup=null', 'accounts.team.dev=null']);
    expect(next.accounts).toEqual({ '011111111111': { cleanup: true } });
  });

  it('name the accounts the inventory does not hold, by id or name', () => {
    expect(unknownAccounts(config, [{ id: '111111111111', name: 'member' }])).toEqual(['sandbox']);
    expect(unknownAccounts(config, [{ id: '111111111111', name: 'member' }, { id: '333333333333', name: 'sandbox' }])).toEqual([]);
  });
});
