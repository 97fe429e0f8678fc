import { breakerRaiseCommand, breakerRefusal, selectCandidates } from '../../../src/cleanup/policy';
import { configWith, HOME, InventoryBuilder, NOW } from './fixtures';

const TAG = 'cloudsweep:protect';
const DAY = 86_400_000;

describe('selecting the keys a cleanup acts on', () => {
  it('takes flagged keys that are not cleaned and not protected', () => {
    const inventory = new InventoryBuilder().account(HOME);
    const nancy = inventory.user(HOME, 'nancy');
    inventory.key(nancy, 'AKIAFLAGGED', { flagged: true });
    inventory.key(nancy, 'AKIANOTFLAGGED');
    inventory.key(nancy, 'AKIACLEANED', { flagged: true, metadata: { cleaned: true } });

    const selection = selectCandidates(inventory.graph, [TAG], 0, NOW);

    expect(selection.candidates.map((key) => key.accessKeyId)).toEqual(['AKIAFLAGGED']);
    expect(selection.flagged).toHaveLength(1);
    expect(selection.keysInScope).toBe(2);
    expect(selection.candidates[0]).toMatchObject({ accountId: HOME, userName: 'nancy', jobId: 'clean_outdated_access_keys' });
  });

  it('leaves out keys protected on the key, on the user, or by the protect tag', () => {
    const inventory = new InventoryBuilder().account(HOME);
    const plain = inventory.user(HOME, 'plain');
    const marked = inventory.user(HOME, 'marked', { protected: true });
    const tagged = inventory.user(HOME, 'tagged', { tags: { [TAG]: 'yes' } });
    const emptyTag = inventory.user(HOME, 'emptytag', { tags: { [TAG]: '' } });
    const untagged = inventory.user(HOME, 'untagged', { tags: { [TAG]: 'False' } });
    inventory.key(plain, 'AKIAKEYPROTECTED', { flagged: true, metadata: { protected: true } });
    inventory.key(marked, 'AKIAUSERPROTECTED', { flagged: true });
    inventory.key(tagged, 'AKIATAGGED', { flagged: true });
    inventory.key(emptyTag, 'AKIAEMPTYTAG', { flagged: true });
    inventory.key(untagged, 'AKIATAGFALSE', { flagged: true });

    const selection = selectCandidates(inventory.graph, [TAG], 0, NOW);

    expect(selection.candidates.map((key) => key.accessKeyId)).toEqual(['AKIATAGFALSE']);
    expect(Object.fromEntries(selection.protected.map(({ key, reason }) => [key.accessKeyId, reason]))).toEqual({
      AKIAKEYPROTECTED: 'the key is protected (metadata.protected)',
      AKIAUSERPROTECTED: 'user marked is protected (metadata.protected)',
      AKIATAGGED: 'user tagged carries the protect tag cloudsweep:protect=yes',
      AKIAEMPTYTAG: 'user emptytag carries the protect tag cloudsweep:protect=',
    });
  });

  it('lets keys deactivated by cloudsweep wait out the grace period', () => {
    const inventory = new InventoryBuilder().account(HOME);
    const nancy = inventory.user(HOME, 'nancy');
    inventory.key(nancy, 'AKIARECENT', { flagged: true, metadata: { deactivated_at: new Date(NOW.getTime() - 2 * DAY).toISOString() } });
    inventory.key(nancy, 'AKIAOLD', { flagged: true, metadata: { deactivated_at: new Date(NOW.getTime() - 8 * DAY).toISOString() } });

    const selection = selectCandidates(inventory.graph, [TAG], 7 * DAY, NOW);

    expect(selection.waiting.map(({ key, until }) => [key.accessKeyId, until])).toEqual([['AKIARECENT', '2026-02-06T00:00:00.000Z']]);
    expect(selection.candidates.map((key) => key.accessKeyId)).toEqual(['AKIAOLD']);
  });

  it('honours every protect tag it is given: the deployed one and the configured one', () => {
    const inventory = new InventoryBuilder().account(HOME);
    const deployed = inventory.user(HOME, 'deployed', { tags: { [TAG]: 'true' } });
    const configured = inventory.user(HOME, 'configured', { tags: { 'team:keep': 'true' } });
    inventory.key(deployed, 'AKIADEPLOYED', { flagged: true });
    inventory.key(configured, 'AKIACONFIGURED', { flagged: true });

    const selection = selectCandidates(inventory.graph, [TAG, 'team:keep'], 0, NOW);

    expect(selection.candidates).toEqual([]);
    expect(selection.protected.map(({ key }) => key.accessKeyId).sort()).toEqual(['AKIACONFIGURED', 'AKIADEPLOYED']);
  });
});

describe('the circuit breaker', () => {
  const limits = configWith({ max_cleanup_per_run: 10, max_cleanup_percent: 25 }).fixworker;

  it('lets a run within both limits go ahead', () => {
    expect(breakerRefusal(10, 40, limits)).toBeUndefined();
    expect(breakerRefusal(0, 0, limits)).toBeUndefined();
  });

  it('refuses more keys than max_cleanup_per_run', () => {
    expect(breakerRefusal(11, 1000, limits)).toBe('11 keys to clean exceed max_cleanup_per_run (10)');
  });

  it('refuses a larger share of the keys in scope than max_cleanup_percent', () => {
    expect(breakerRefusal(3, 11, limits)).toBe('3 of 11 keys in scope (27.3%) exceed max_cleanup_percent (25%)');
  });

  it('names every limit exceeded, and the command that raises exactly those to let the run through', () => {
    expect(breakerRefusal(12, 20, limits)).toBe('12 keys to clean exceed max_cleanup_per_run (10); and 12 of 20 keys in scope (60%) exceed max_cleanup_percent (25%)');
    expect(breakerRaiseCommand(12, 20, limits)).toBe('cloudsweep config set fix.worker fixworker.max_cleanup_per_run=12 fixworker.max_cleanup_percent=60');
    expect(breakerRaiseCommand(3, 11, limits)).toBe('cloudsweep config set fix.worker fixworker.max_cleanup_percent=28');
    expect(breakerRefusal(3, 11, { ...limits, max_cleanup_percent: 28 })).toBeUndefined();
    expect(breakerRaiseCommand(10, 40, limits)).toBeUndefined();
  });
});
