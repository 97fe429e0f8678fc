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
    /** The `cloudsweep config set fix.worker ...` that raises the exceeded limits to let this run through. */
    readonly raise: string,
  ) {
    // The command ends the message so that it can be copied whole: nothing after it, not even a period.
    super(`cleanup refused by the circuit breaker: ${refusal}. Nothing was changed. Review the flagged keys (cloudsweep search 'is(access_key) and /desired.clean = true | list'); to let this run through, raise the limit: ${raise}`);
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
