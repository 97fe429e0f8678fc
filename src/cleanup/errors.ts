import { RuntimeError } from '../errors';
import type { CleanupRunSummary } from './summary';

/**
 * The circuit breaker refused the run before any write. Thrown (after the refusal is audited and
 * published) so that every runner marks the step failed without having to remember to check.
 */
export class CleanupRefusedError extends RuntimeError {
  constructor(
    readonly refusal: string,
    readonly summary: CleanupRunSummary,
  ) {
    super(`cleanup refused by the circuit breaker: ${refusal}. Nothing was changed; review the flagged keys or raise the limits in fix.worker.`);
  }
}

/** The run stopped because a decision could not be recorded; no unaudited write was made. */
export class CleanupStoppedError extends RuntimeError {
  constructor(
    message: string,
    readonly summary: CleanupRunSummary,
  ) {
    super(message);
  }
}
