import { accountBatches, MAX_ACCOUNTS_PER_BATCH } from '../../../src/collect';

const ids = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('accountBatches', () => {
  it('collects an organization of up to 25 accounts in one batch: one invocation waits on IAM for all of them', () => {
    expect(accountBatches(ids(20))).toEqual([ids(20)]);
    expect(accountBatches(ids(1))).toEqual([[0]]);
  });

  it('spreads more accounts over as few batches of at most 25 as hold them, of nearly equal size', () => {
    expect(accountBatches(ids(100)).map((b) => b.length)).toEqual([25, 25, 25, 25]);
    expect(accountBatches(ids(26)).map((b) => b.length)).toEqual([13, 13]);
    expect(accountBatches(ids(26)).flat()).toEqual(ids(26));
  });

  it('puts 5,000 accounts in 200 batches of 25, keeping their order (the home account first)', () => {
    const batches = accountBatches(ids(5_000));
    expect(batches).toHaveLength(200);
    expect(new Set(batches.map((b) => b.length))).toEqual(new Set([MAX_ACCOUNTS_PER_BATCH]));
    expect(batches.flat()).toEqual(ids(5_000));
  });

  it('makes no batch for no account', () => {
    expect(accountBatches([])).toEqual([]);
  });
});
