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

describe('fix.worker defaults and messages', () => {
  const FIXWORKER_KEYS = 'cleanup, cleanup_dry_run, cleanup_pool_size, protect_tag, max_cleanup_per_run, max_cleanup_percent, deactivate_grace, restore_protection';

  it('takes the safe defaults for every key left out, and for a section written with nothing under it', () => {
    const safe = {
      fixworker: { cleanup: false, cleanup_dry_run: true, cleanup_pool_size: 16, protect_tag: 'cloudsweep:protect', max_cleanup_per_run: 100, max_cleanup_percent: 25, deactivate_grace: '0d', restore_protection: '30d' },
      collector: { accounts: [], member_role: 'CloudSweepMemberRole', pool_size: 8 },
      accounts: {},
      notify: { owner_tags: ['owner', 'email', 'contact'], account_contacts: {}, central_contact: '', notice_period: '0d', exemption_warning: '14d' },
    };
    expect(defaultFixWorkerConfig()).toEqual(safe);
    expect(parseFixWorkerYaml('fixworker:\ncollector:\naccounts:\nnotify:\n', 'empty sections')).toEqual(safe);
  });

  it('gives each config its own default lists and mappings', () => {
    const first = defaultFixWorkerConfig();
    first.notify.owner_tags.push('team');
    first.notify.account_contacts.prod = 'platform@example.com';
    expect(defaultFixWorkerConfig().notify).toMatchObject({ owner_tags: ['owner', 'email', 'contact'], account_contacts: {} });
  });

  it('reads a bare 0 as 0d, and keeps each account id and owner tag once', () => {
    const config = validateFixWorkerConfig({
      fixworker: { deactivate_grace: 0 },
      collector: { accounts: [111111111111, '111111111111', '222222222222'] },
      notify: { owner_tags: ['email', 'owner', 'email'] },
    });
    expect(config.fixworker.deactivate_grace).toBe('0d');
    expect(config.collector.accounts).toEqual(['111111111111', '222222222222']);
    expect(config.notify.owner_tags).toEqual(['email', 'owner']);
  });

  it.each([
    [{ collector: { accounts: 'all' } }, 'collector.accounts: string "all" is neither "organization" nor a list; allowed: "organization" or a list of 12-digit account ids (quote ids that start with 0)'],
    [{ collector: { accounts: ['111111111111', 1234] } }, 'collector.accounts: item 2 (number 1234) is not a 12-digit account id; allowed: "organization"'],
    [{ collector: { member_role: 'bad role/name' } }, 'collector.member_role: "bad role/name" is not valid; allowed: an IAM role name (1-64 letters, digits and +=,.@_-)'],
    [{ fixworker: { restore_protection: '-1d' } }, 'fixworker.restore_protection: "-1d" is negative; allowed: a duration of zero or more, such as 0d, 7d, 36h or P7D'],
    [{ fixworker: { cleanup_pool_size: 2.5 } }, 'fixworker.cleanup_pool_size: number 2.5 is not an integer; allowed: an integer from 1 to 256'],
    [{ notify: { owner_tags: ['owner', 5] } }, 'notify.owner_tags: item 2 (number 5) is not an IAM tag key; allowed: a list of IAM tag keys, such as [owner, email, contact]'],
    [{ notify: { central_contact: 'nobody' } }, 'notify.central_contact: "nobody" is not an e-mail address; allowed: an e-mail address, or "" for none'],
    [{ collector: 5 }, 'collector: expected a mapping of accounts, member_role, pool_size, got number 5'],
    [{ accounts: { ' ': { cleanup: true } } }, 'accounts: " " is not an account id or name'],
    [JSON.parse('{"accounts": {"__proto__": {"cleanup": true}}}'), 'accounts: "__proto__" is not an account id or name'],
    [{ accounts: { sandbox: { cleanup: 'soon' } } }, 'accounts.sandbox.cleanup: string "soon" is not a boolean; allowed: true or false'],
  ])('refuses %j saying: %s', (raw, message) => {
    expect(refusal(() => validateFixWorkerConfig(raw)).message).toContain(message);
  });

  it('refuses a config that is not a mapping, naming the sections', () => {
    expect(refusal(() => validateFixWorkerConfig(['cleanup'])).message).toBe('fix.worker: expected a mapping with the sections fixworker, collector, notify, accounts, got a list');
  });

  it('lists every problem at once, in the order of the text, each at its line', () => {
    const error = refusal(() => parseFixWorkerYaml('collector:\n  pool_size: 0\nfixworker:\n  cleanup: maybe\n  nope: 1\ncleanup_dry_run: false\n', 'f.yaml'));
    expect(error.message).toBe(
      [
        'f.yaml is invalid:',
        '  line 2: collector.pool_size: 0 is out of range; allowed: an integer from 1 to 256',
        '  line 4: fixworker.cleanup: string "maybe" is not a boolean; allowed: true or false',
        `  line 5: unknown key fixworker.nope; allowed keys in fixworker: ${FIXWORKER_KEYS}`,
        '  line 6: unknown key cleanup_dry_run (indent it under its section); allowed sections: fixworker, collector, notify, accounts',
      ].join('\n'),
    );
  });

  it('leaves out an account named with no overrides: it follows fixworker', () => {
    expect(validateFixWorkerConfig({ accounts: { sandbox: null, dev: {}, prod: { cleanup: true } } }).accounts).toEqual({ prod: { cleanup: true } });
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
