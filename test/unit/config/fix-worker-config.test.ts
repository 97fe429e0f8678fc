import { applyAssignments } from '../../../src/config/assignments';
import { defaultFixWorkerConfig } from '../../../src/config/fix-worker';
import { validateFixWorkerConfig } from '../../../src/config/schema';
import { parseFixWorkerYaml, renderFixWorkerYaml } from '../../../src/config/yaml';
import { ValidationError } from '../../../src/errors';

const SEED_EDIT = `fixworker:
  # Enable cleanup of resources
  cleanup: true
  # Do not actually cleanup resources, just create log messages
  cleanup_dry_run: false
  # How many cleanup threads to run in parallel
  cleanup_pool_size: 16
`;

function refusal(work: () => unknown): ValidationError {
  try {
    work();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('fix.worker validation', () => {
  it('accepts the seed edit with its comments and fills the rest with the safe defaults', () => {
    const config = parseFixWorkerYaml(SEED_EDIT, 'edit');
    expect(config.fixworker).toMatchObject({ cleanup: true, cleanup_dry_run: false, cleanup_pool_size: 16, max_cleanup_per_run: 100 });
    expect(config.collector).toEqual(defaultFixWorkerConfig().collector);
  });

  it('round-trips the YAML it prints, comments included', () => {
    const config = { ...defaultFixWorkerConfig(), collector: { accounts: ['012345678901'], member_role: 'Sweeper', pool_size: 4 } };
    const yaml = renderFixWorkerYaml(config);
    expect(yaml).toContain('# Enable cleanup of resources');
    expect(yaml).toContain('"012345678901"');
    expect(parseFixWorkerYaml(yaml, 'printed')).toEqual(config);
  });

  it.each([
    [{ fixworker: { cleanup: 'yes' } }, 'fixworker.cleanup', 'true or false'],
    [{ fixworker: { cleanup_pool_size: 0 } }, 'fixworker.cleanup_pool_size', 'an integer from 1'],
    [{ fixworker: { max_cleanup_percent: 101 } }, 'fixworker.max_cleanup_percent', 'from 0 to 100'],
    [{ fixworker: { deactivate_grace: 'soon' } }, 'fixworker.deactivate_grace', 'a duration'],
    [{ fixworker: { deactivate_grace: '-1d' } }, 'fixworker.deactivate_grace', 'negative'],
    [{ collector: { member_role: 'bad role/name' } }, 'collector.member_role', 'an IAM role name'],
    [{ collector: { accounts: ['1234'] } }, 'collector.accounts', '12-digit'],
    [{ collector: { accounts: 'all' } }, 'collector.accounts', '"organization"'],
    [{ collector: { pool_size: 2.5 } }, 'collector.pool_size', 'integer'],
  ])('refuses %j naming %s and what it allows', (raw, key, allowed) => {
    const error = refusal(() => validateFixWorkerConfig(raw));
    expect(error.message).toContain(key);
    expect(error.message).toContain(allowed);
    expect(error.exitCode).toBe(2);
  });

  it("builds on the text it was saved as: the user's comments stay, changed values are replaced on their line, missing keys come with their comment", () => {
    const saved = parseFixWorkerYaml(SEED_EDIT, 'edit');
    const changed = { ...saved, fixworker: { ...saved.fixworker, cleanup_dry_run: true }, collector: { ...saved.collector, accounts: ['012345678901'] } };
    const yaml = renderFixWorkerYaml(changed, SEED_EDIT.replace('cleanup_dry_run: false', 'cleanup_dry_run: false # until the audit is signed off'));
    expect(yaml).toContain('  # Do not actually cleanup resources, just create log messages\n  cleanup_dry_run: true # until the audit is signed off\n');
    expect(yaml).toContain('  # How many cleanup threads to run in parallel\n  cleanup_pool_size: 16\n');
    expect(yaml).toContain('  # Circuit breaker: refuse the whole run above this many keys\n  max_cleanup_per_run: 100\n');
    expect(yaml).toContain('collector:\n  # Account ids to collect besides the home account, or "organization"\n  accounts:\n    - "012345678901"\n');
    expect(parseFixWorkerYaml(yaml, 'rendered')).toEqual(changed);
    // Nothing changed, nothing missing: the saved text as it was.
    const complete = renderFixWorkerYaml(saved, SEED_EDIT);
    expect(renderFixWorkerYaml(saved, complete)).toBe(complete);
  });

  it('refuses unknown keys and sections, listing the known ones', () => {
    const error = refusal(() => validateFixWorkerConfig({ fixworker: { cleanup_dryrun: true }, workers: {} }));
    expect(error.message).toContain('unknown key fixworker.cleanup_dryrun; allowed keys in fixworker: cleanup, cleanup_dry_run');
    expect(error.message).toContain('unknown key workers; allowed sections: fixworker, collector');
  });

  it('points at the line of a bad key in a file', () => {
    const error = refusal(() => parseFixWorkerYaml('fixworker:\n  cleanup: true\n  cleanup_pool_size: -3\n', 'my.yaml'));
    expect(error.message).toMatch(/my\.yaml is invalid:\n {2}line 3: fixworker\.cleanup_pool_size: -3 is out of range/);
  });

  it('says how to fix seed text pasted without its indentation', () => {
    const error = refusal(() => parseFixWorkerYaml('fixworker:\n# Enable cleanup of resources\ncleanup: true\n', 'paste'));
    expect(error.message).toContain('unknown key cleanup (indent it under its section)');
  });

  it('reports YAML syntax errors with their line', () => {
    const error = refusal(() => parseFixWorkerYaml('fixworker:\n  cleanup: [true\n', 'broken.yaml'));
    expect(error.message).toMatch(/broken\.yaml is not valid YAML:\n {2}line \d+/);
  });

  it('lays out the YAML afresh when the stored text is an alias bomb, rather than expanding it', () => {
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...'bcdefg'.split('').map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefg'[i] as string}`).join(', ')}]`)];
    const bomb = `${levels.join('\n')}\nfixworker:\n  cleanup: *g\n`;
    const yaml = renderFixWorkerYaml(defaultFixWorkerConfig(), bomb);
    expect(yaml).not.toContain('*a');
    expect(parseFixWorkerYaml(yaml, 'rendered')).toEqual(defaultFixWorkerConfig());
  });

  it('refuses Object.prototype member names as keys of validated data too (a row written to the config table)', () => {
    const error = refusal(() => validateFixWorkerConfig(JSON.parse('{"fixworker": {"constructor": 1, "toString": true}, "__proto__": {"cleanup": true}}')));
    expect(error.message).toContain('unknown key fixworker.constructor');
    expect(error.message).toContain('unknown key fixworker.toString');
    expect(error.message).toContain('unknown key __proto__; allowed sections');
  });

  it('keeps twelve-digit account ids that YAML read as numbers, and "organization"', () => {
    expect(validateFixWorkerConfig({ collector: { accounts: [111111111111] } }).collector.accounts).toEqual(['111111111111']);
    expect(validateFixWorkerConfig({ collector: { accounts: 'organization' } }).collector.accounts).toBe('organization');
  });
});

describe('config set assignments', () => {
  it('sets typed values by dotted key', () => {
    const config = applyAssignments(defaultFixWorkerConfig(), [
      'fixworker.cleanup=true',
      'fixworker.cleanup_pool_size=4',
      'fixworker.deactivate_grace=7d',
      'collector.accounts=[111111111111, "222222222222"]',
    ]);
    expect(config.fixworker).toMatchObject({ cleanup: true, cleanup_pool_size: 4, deactivate_grace: '7d' });
    expect(config.collector.accounts).toEqual(['111111111111', '222222222222']);
  });

  it('applies nothing when one assignment is bad, and leaves the given config untouched', () => {
    const before = defaultFixWorkerConfig();
    const error = refusal(() => applyAssignments(before, ['fixworker.cleanup=true', 'fixworker.max_cleanup_percent=250']));
    expect(error.message).toContain('fixworker.max_cleanup_percent: 250 is out of range; allowed: a number from 0 to 100');
    expect(before).toEqual(defaultFixWorkerConfig());
  });

  it('refuses unknown keys and text that is not KEY=VALUE', () => {
    expect(refusal(() => applyAssignments(defaultFixWorkerConfig(), ['fixworker.clean=true'])).message).toContain('unknown key fixworker.clean');
    expect(refusal(() => applyAssignments(defaultFixWorkerConfig(), ['cleanup'])).message).toContain('is not KEY=VALUE');
    expect(refusal(() => applyAssignments(defaultFixWorkerConfig(), ['nope.x=1'])).message).toContain('keys: fixworker.cleanup');
  });
});
