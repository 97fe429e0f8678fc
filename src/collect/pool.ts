/**
 * Runs `work` over `items` with at most `size` in flight, keeping results in input order.
 * After the first failure no new item starts; the error is rethrown once the started ones settle,
 * so no call is left running behind the caller's back.
 */
export async function mapPool<T, R>(items: readonly T[], size: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
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

/** Which calls go first when the budget is spent. */
export type CallPriority = 'opening' | 'fan-out';

/**
 * A limit on the calls in flight shared by every account of one collect. An account that is still
 * waiting on its role or its credential report leaves its share to one that is listing keys, so
 * the whole run, not each account alone, keeps the limit busy. Calls that open an account up
 * (AssumeRole, the report, the users' details, the stored state) go before calls that fan out
 * over its users, so every account starts listing keys as early as it can; within a priority,
 * first come, first served. The limit may change while calls are in flight (once the accounts
 * are known).
 */
export class CallBudget {
  private active = 0;
  private limit = 1;
  private readonly waiting: Record<CallPriority, Array<() => void>> = { opening: [], 'fan-out': [] };

  constructor(limit: number) {
    this.setLimit(limit);
  }

  /** At least 1, so a call always gets its turn. */
  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.floor(limit) || 1);
    this.admit();
  }

  async run<T>(call: () => Promise<T>, priority: CallPriority = 'opening'): Promise<T> {
    await new Promise<void>((resolve) => {
      this.waiting[priority].push(resolve);
      this.admit();
    });
    try {
      return await call();
    } finally {
      this.active -= 1;
      this.admit();
    }
  }

  private admit(): void {
    while (this.active < this.limit) {
      const next = this.waiting.opening.shift() ?? this.waiting['fan-out'].shift();
      if (!next) return;
      this.active += 1;
      next();
    }
  }
}
