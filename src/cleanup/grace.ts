import type { FixWorkerConfig } from '../config/fix-worker';
import { ValidationError } from '../errors';
import { parseDuration } from '../query/durations';

/** `deactivate_grace` in milliseconds; 0 means delete at once. */
export function graceMs(fixworker: FixWorkerConfig['fixworker']): number {
  const ms = parseDuration(fixworker.deactivate_grace);
  if (ms === undefined || ms < 0 || !Number.isFinite(ms)) {
    throw new ValidationError(
      `fixworker.deactivate_grace: ${JSON.stringify(fixworker.deactivate_grace)} is not a duration of zero or more (such as 0d, 7d, P7D)`,
    );
  }
  return ms;
}
