/**
 * Runs `work` over `items` with at most `size` in flight. Stops taking new items once `stop()`
 * says so (the in-flight ones finish). `work` must not throw: cleanup records failures itself.
 */
export async function forEachPooled<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(size, items.length)) }, () => worker());
  await Promise.all(workers);
}
