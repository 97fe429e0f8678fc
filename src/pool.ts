/**
 * The product's one worker pool: `mapPool` runs work over a list with a fixed number in flight
 * (accounts in collect, keys in cleanup), `inFlightLimit` caps the calls that share one limit
 * (an account's IAM calls) wherever they come from.
 */

/**
 * Runs `work` over `items` with at most `size` in flight, keeping results in input order.
 * After the first failure, or once `stop()` says so, no new item starts (items never started have
 * no result); a failure is rethrown once the started ones settle, so no call is left running
 * behind the caller's back.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  size: number,
  work: (item: T, index: number) => Promise<R>,
  stop: () => boolean = () => false,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length && !stop()) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(size) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.error;
  return results;
}

/** Runs the calls given to it at most `size` at a time (at least 1), first come, first served. */
export function inFlightLimit(size: number): <T>(call: () => Promise<T>) => Promise<T> {
  const limit = Math.max(1, Math.floor(size) || 1);
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (call) => {
    if (active < limit) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve)); // the finishing call hands over its place
    try {
      return await call();
    } finally {
      const nextCall = waiting.shift();
      if (nextCall) nextCall();
      else active -= 1;
    }
  };
}
