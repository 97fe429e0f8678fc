import { accountBatches, MAX_ACCOUNTS_PER_BATCH } from '../../../src/collect';

const ids = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('accountBatches', () => {
  it('spreads a small organization over as many batches as the Map runs at once', () => {
    const batches = accountBatches(ids(20), 8);
    expect(batches.map((b) => b.length)).toEqual([2, 3, 2, 3, 2, 3, 2, 3]);
    expect(batches.flat()).toEqual(ids(20));
  });

  it('puts 5,000 accounts in 200 batches of 25, keeping their order (the home account first)', () => {
    const batches = accountBatches(ids(5_000), 8);
    expect(batches).toHaveLength(200);
    expect(new Set(batches.map((b) => b.length))).toEqual(new Set([MAX_ACCOUNTS_PER_BATCH]));
    expect(batches.flat()).toEqual(ids(5_000));
  });

  it('makes one batch per account when there are fewer accounts than parallel batches, and none for none', () => {
    expect(accountBatches(ids(3), 8)).toEqual([[0], [1], [2]]);
    expect(accountBatches(ids(1), 8)).toEqual([[0]]);
    expect(accountBatches([], 8)).toEqual([]);
  });
});
