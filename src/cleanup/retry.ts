import type { AwsSettings } from '../aws/clients';

/**
 * Cleanup's IAM and STS clients retry in the SDK and only there: standard mode (exponential backoff
 * with full jitter, 0.5 s doubling up to 20 s for throttling), 8 attempts per call. Chosen from
 * `bench/cleanup-throttled.bench.mjs` (docs/cleanup.md, "Under throttling"): the adaptive mode's
 * client-side rate limiter, with a second retry loop around it, cleaned 279 of 1,000 keys in the
 * 15 minutes of a Lambda at 30 % throttling (adaptive alone, as slow); standard mode cleaned all
 * 1,000 in 158 s with the same attempts per key (about 5.7).
 */
export const CLEANUP_RETRY: Required<Pick<AwsSettings, 'retryMode' | 'maxAttempts'>> = { retryMode: 'standard', maxAttempts: 8 };
