import { inFlightLimit, mapPool } from '../../src/pool';

/** Work that stays in flight until `finish(name)`, recording what started. */
function gatedWork() {
  const started: string[] = [];
  const finishers = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  const work = (name: string) =>
    new Promise<string>((resolve, reject) => {
      started.push(name);
      finishers.set(name, { resolve: () => resolve(name), reject });
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const finish = async (name: string) => {
    finishers.get(name)?.resolve();
    await settle();
  };
  const fail = async (name: string, error: Error) => {
    finishers.get(name)?.reject(error);
    await settle();
  };
  return { started, work, finish, fail, settle };
}

describe('the pool', () => {
  it('keeps at most `size` items in flight and results in input order', async () => {
    const { started, work, finish, settle } = gatedWork();
    const run = mapPool(['a', 'b', 'c', 'd'], 2, (name) => work(name));
    await settle();
    expect(started).toEqual(['a', 'b']);
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('c');
    await finish('a');
    await finish('d');
    await expect(run).resolves.toEqual(['a', 'b', 'c', 'd']);
  });

  it('starts nothing new after a failure and rethrows it once the started ones settle', async () => {
    const { started, work, finish, fail, settle } = gatedWork();
    let settled = false;
    const run = mapPool(['a', 'b', 'c', 'd'], 2, (name) => work(name));
    run.catch(() => undefined).finally(() => (settled = true));
    await settle();
    await fail('a', new Error('boom'));
    expect(settled).toBe(false); // b is still in flight
    await finish('b');
    await expect(run).rejects.toThrow('boom');
    expect(started).toEqual(['a', 'b']);
  });

  it('starts nothing new once told to stop', async () => {
    const { started, work, finish, settle } = gatedWork();
    let stopped = false;
    const run = mapPool(['a', 'b', 'c'], 1, (name) => work(name), () => stopped);
    await settle();
    stopped = true;
    await finish('a');
    await run;
    expect(started).toEqual(['a']);
  });
});

describe('the in-flight limit', () => {
  it('keeps at most its limit of calls in flight, first come, first served', async () => {
    const limit = inFlightLimit(2);
    const { started, work, finish, settle } = gatedWork();
    const runs = ['a', 'b', 'c', 'd'].map((name) => limit(() => work(name)));
    await settle();
    expect(started).toEqual(['a', 'b']);
    await finish('b');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('a');
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    await finish('c');
    await finish('d');
    await expect(Promise.all(runs)).resolves.toEqual(['a', 'b', 'c', 'd']);
  });

  it('frees its place when a call fails', async () => {
    const limit = inFlightLimit(1);
    await expect(limit(() => Promise.reject(new Error('throttled out')))).rejects.toThrow('throttled out');
    await expect(limit(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
