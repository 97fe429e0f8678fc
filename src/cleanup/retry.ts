/**
 * A bounded retry for throttled IAM calls, on top of the SDK's adaptive retry: when the SDK gives
 * up on a throttle, cleanup waits (exponential backoff, full jitter) and tries again a few times
 * rather than failing a key it could still clean.
 */
export interface RetryPolicy {
  /** Further attempts after the SDK's own. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  sleep: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'sleep'> = { attempts: 5, baseMs: 500, maxMs: 20_000 };

export async function retryThrottled<T>(call: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const random = policy.random ?? Math.random;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt >= policy.attempts) throw error;
      const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
      await policy.sleep(Math.round(random() * ceiling));
    }
  }
}

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceeded',
]);

export function isThrottling(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; $retryable?: { throttling?: boolean }; $metadata?: { httpStatusCode?: number } };
  // IAM's LimitExceeded also means "too many keys/entities"; only treat it as throttling with HTTP 429.
  if (e.name === 'LimitExceeded') return e.$metadata?.httpStatusCode === 429;
  return (e.name !== undefined && THROTTLING_NAMES.has(e.name)) || e.$retryable?.throttling === true || e.$metadata?.httpStatusCode === 429;
}
