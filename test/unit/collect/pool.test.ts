import { mapPool } from '../../../src/collect/pool';

describe('the pool', () => {
  it('keeps at most `size` items in flight and results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapPool([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n));
      inFlight -= 1;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(most).toBe(2);
  });

  it('starts nothing new after a failure and rethrows it once the started ones settle', async () => {
    const started: number[] = [];
    let settled = 0;
    const run = mapPool([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await new Promise((resolve) => setTimeout(resolve, n === 1 ? 1 : 20));
      settled += 1;
      if (n === 1) throw new Error('boom');
      return n;
    });
    await expect(run).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
    expect(settled).toBe(2);
  });
});
