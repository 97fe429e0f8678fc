import { CallBudget, mapPool } from '../../../src/collect/pool';

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

describe('the call budget', () => {
  /** A call that stays in flight until `finish` is called, recording when it started. */
  function gatedCalls() {
    const started: string[] = [];
    const finishers = new Map<string, () => void>();
    const call = (name: string) => () =>
      new Promise<string>((resolve) => {
        started.push(name);
        finishers.set(name, () => resolve(name));
      });
    const finish = async (name: string) => {
      finishers.get(name)?.();
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { started, call, finish };
  }

  it('keeps at most its limit of calls in flight', async () => {
    const budget = new CallBudget(2);
    const { started, call, finish } = gatedCalls();
    const runs = ['a', 'b', 'c'].map((name) => budget.run(call(name)));
    await finish('');
    expect(started).toEqual(['a', 'b']);
    await finish('a');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('b');
    await finish('c');
    await expect(Promise.all(runs)).resolves.toEqual(['a', 'b', 'c']);
  });

  it('lets calls that open an account up go before the fan-out already waiting', async () => {
    const budget = new CallBudget(1);
    const { started, call, finish } = gatedCalls();
    const runs = [
      budget.run(call('first')),
      budget.run(call('list keys 1'), 'fan-out'),
      budget.run(call('list keys 2'), 'fan-out'),
      budget.run(call('assume role')),
    ];
    await finish(''); // let the first one start
    for (const name of ['first', 'assume role', 'list keys 1', 'list keys 2']) await finish(name);
    await Promise.all(runs);
    expect(started).toEqual(['first', 'assume role', 'list keys 1', 'list keys 2']);
  });

  it('admits waiting calls when its limit is raised, and holds new ones back when it is lowered', async () => {
    const budget = new CallBudget(1);
    const { started, call, finish } = gatedCalls();
    const runs = ['a', 'b', 'c'].map((name) => budget.run(call(name)));
    await finish('');
    expect(started).toEqual(['a']);
    budget.setLimit(3);
    await finish('');
    expect(started).toEqual(['a', 'b', 'c']);
    budget.setLimit(1);
    const late = budget.run(call('d'));
    await finish('a');
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('c');
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    await finish('d');
    await Promise.all([...runs, late]);
  });

  it('frees its place when a call fails', async () => {
    const budget = new CallBudget(1);
    await expect(budget.run(() => Promise.reject(new Error('throttled out')))).rejects.toThrow('throttled out');
    await expect(budget.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
