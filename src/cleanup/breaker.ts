import type { FixWorkerConfig } from '../config/fix-worker';

/**
 * The circuit breaker (SPEC section 7 step 3): why the whole run must be refused before any write,
 * or undefined. A run that would touch more keys than a person would expect is stopped for review.
 */
export function breakerRefusal(candidates: number, keysInScope: number, fixworker: FixWorkerConfig['fixworker']): string | undefined {
  if (candidates === 0) return undefined;
  if (candidates > fixworker.max_cleanup_per_run) {
    return `${candidates} keys to clean exceed max_cleanup_per_run (${fixworker.max_cleanup_per_run})`;
  }
  const percent = keysInScope === 0 ? 100 : (candidates * 100) / keysInScope;
  if (percent > fixworker.max_cleanup_percent) {
    return `${candidates} of ${keysInScope} keys in scope (${round(percent)}%) exceed max_cleanup_percent (${fixworker.max_cleanup_percent}%)`;
  }
  return undefined;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
