import type { WorkflowEvent, WorkflowName } from '../workflow/declaration';

/**
 * What cloudsweep publishes on its EventBridge bus. Subscribers (rules, notification topics,
 * tests) depend on these shapes: detail is exactly `{workflow, run_id, summary}` (SPEC section 6).
 */
export const EVENT_SOURCE = 'cloudsweep';

/** Published when a workflow fails at any step (the state machine's catch path, the runner's catch). */
export const WORKFLOW_FAILED = 'workflow_failed';

/** Published when the circuit breaker refuses a cleanup run before any write. */
export const CLEANUP_REFUSED = 'cleanup_refused';

export type PublishedEvent = WorkflowEvent | typeof WORKFLOW_FAILED | typeof CLEANUP_REFUSED;

export interface WorkflowEventDetail {
  workflow: WorkflowName;
  run_id: string;
  summary: Record<string, unknown>;
}

export interface WorkflowFailedSummary {
  step: string;
  error: string;
  cause: string;
}
