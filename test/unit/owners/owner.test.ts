import { applyAssignments } from '../../../src/config/assignments';
import { defaultFixWorkerConfig } from '../../../src/config/fix-worker';
import { parseFixWorkerYaml, renderFixWorkerYaml } from '../../../src/config/yaml';
import { ValidationError } from '../../../src/errors';
import { emailIn, ownerOf, OwnerSettings } from '../../../src/owners/owner';
import { executeSearch, readsOwner } from '../../../src/query/execute';
import { parse } from '../../../src/query/parser';
import { seedInventory } from '../../fixtures/seed-inventory';

const settings = (overrides: Partial<OwnerSettings> = {}): OwnerSettings => ({ ...defaultFixWorkerConfig().notify, ...overrides });

describe('a key\'s owner', () => {
  it('is the first owner tag, in the configured order, that holds an e-mail address', () => {
    const tags = { owner: 'platform team', Email: 'Ops <ops@example.com>', contact: 'c@example.com' };
    expect(ownerOf({ tags }, settings())).toEqual({ address: 'ops@example.com', source: 'tag', tag: 'Email' });
    expect(ownerOf({ tags }, settings({ owner_tags: ['contact', 'email'] })).address).toBe('c@example.com');
  });

  it('falls back to the account\'s contact, by id or by name, when no tag holds an address', () => {
    const contacts = { '111111111111': 'sandbox@example.com', prod: 'prod-team@example.com' };
    expect(ownerOf({ tags: { owner: 'platform' }, accountId: '111111111111', accountName: 'sandbox' }, settings({ account_contacts: contacts })))
      .toEqual({ address: 'sandbox@example.com', source: 'account', account: '111111111111' });
    expect(ownerOf({ accountId: '222222222222', accountName: 'prod' }, settings({ account_contacts: contacts })).address).toBe('prod-team@example.com');
  });

  it('falls back to the central address, and to nobody when none is set', () => {
    expect(ownerOf({ accountId: '333333333333' }, settings({ central_contact: 'security@example.com' }))).toEqual({ address: 'security@example.com', source: 'central' });
    expect(ownerOf({ accountId: '333333333333' }, settings())).toEqual({ address: undefined, source: 'none' });
  });

  it('reads an address out of a tag value and nothing out of a value without one', () => {
    expect(emailIn('Jane Doe <jane.doe@example.co.uk>')).toBe('jane.doe@example.co.uk');
    expect(emailIn('data team')).toBeUndefined();
    expect(emailIn(42)).toBeUndefined();
  });
});

describe('owner in searches', () => {
  it('is a list column: a key\'s owner is its user\'s, else its account\'s contact', () => {
    const seed = seedInventory();
    const owners = settings({ central_contact: 'security@example.com' });
    const result = executeSearch('is(access_key) and /ancestors.user.reported.name in [nancy, ccm-sa] | list user_name, owner', { graph: seed.graph, now: seed.now, owners });
    expect(result.output).toMatchObject({ type: 'list', columns: ['user_name', 'owner'] });
    const rows = (result.output as { rows: unknown[][] }).rows;
    // ccm-sa's owner tag says "platform", not an address: the central address answers for it.
    expect(new Set(rows.map((row) => row.join(' ')))).toEqual(new Set(['ccm-sa security@example.com', 'nancy nancy@example.com']));
  });

  it('can be searched on, as can the user\'s owner tag itself', () => {
    const seed = seedInventory();
    const byOwner = executeSearch('is(access_key) and owner = nancy@example.com | count user_name', { graph: seed.graph, now: seed.now });
    const byTag = executeSearch('is(access_key) and /ancestors.user.reported.tags.owner = nancy@example.com | count user_name', { graph: seed.graph, now: seed.now });
    expect(byOwner.output).toMatchObject({ counts: [{ value: 'nancy', count: 1 }] });
    expect(byTag.output).toEqual(byOwner.output);
  });

  it('tells which searches need the owner settings', () => {
    expect(readsOwner(parse('is(access_key) | list name, owner'))).toBe(true);
    expect(readsOwner(parse('is(access_key) and /ancestors.user.reported.owner = a@b.example'))).toBe(true);
    expect(readsOwner(parse('is(user) | count tags.owner'))).toBe(false);
  });
});

describe('notify settings in fix.worker', () => {
  it('defaults to the owner tags owner, email, contact , no contacts, no notice period and a 14-day exemption warning', () => {
    expect(defaultFixWorkerConfig().notify).toEqual({ owner_tags: ['owner', 'email', 'contact'], account_contacts: {}, central_contact: '', notice_period: '0d', exemption_warning: '14d' });
  });

  it('accepts contacts by account id or name and keeps them through the YAML', () => {
    const config = applyAssignments(defaultFixWorkerConfig(), ['notify.account_contacts={"011111111111": a@example.com, prod: b@example.com}', 'notify.central_contact=sec@example.com']);
    expect(config.notify.account_contacts).toEqual({ '011111111111': 'a@example.com', prod: 'b@example.com' });
    expect(parseFixWorkerYaml(renderFixWorkerYaml(config), 'round trip')).toEqual(config);
  });

  it('refuses an owner contact that is not an address, naming the key', () => {
    expect(() => applyAssignments(defaultFixWorkerConfig(), ['notify.account_contacts={prod: platform}'])).toThrow(ValidationError);
    expect(() => applyAssignments(defaultFixWorkerConfig(), ['notify.account_contacts={prod: platform}'])).toThrow(/notify\.account_contacts: prod: string "platform" is not an e-mail address/);
    expect(() => applyAssignments(defaultFixWorkerConfig(), ['notify.owner_tags=owner'])).toThrow(/notify\.owner_tags: string "owner" is not a list/);
    expect(() => applyAssignments(defaultFixWorkerConfig(), ['notify.central_contact=nobody'])).toThrow(/notify\.central_contact/);
  });
});
