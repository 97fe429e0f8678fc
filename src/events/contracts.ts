import type { CleanupSummary, CollectSummary, PlanSummary } from '../workflow/step-payloads';
import type { WorkflowEvent, WorkflowName } from '../workflow/declaration';

/**
 * What cloudsweep publishes on its EventBridge bus, as contracts subscribers (rules, notification
 * topics, jobs, tests) can depend on: each event's detail-type, version and detail payload
 * (`EventDetails`, `EVENT_CONTRACTS`). The workflow events' detail is exactly
 * `{workflow, run_id, summary}` (SPEC section 6); the key stage events' detail carries its own
 * `version`. A change that would break a subscriber publishes a new version instead.
 */
export const EVENT_SOURCE = 'cloudsweep';

/** Published when a workflow fails at any step (the state machine's catch path, the runner's catch). */
export const WORKFLOW_FAILED = 'workflow_failed';

/** Published when the circuit breaker refuses a cleanup run before any write. */
export const CLEANUP_REFUSED = 'cleanup_refused';

export type PublishedEvent = WorkflowEvent | typeof WORKFLOW_FAILED | typeof CLEANUP_REFUSED;

export interface WorkflowEventDetail<Summary = Record<string, unknown>> {
  workflow: WorkflowName;
  run_id: string;
  summary: Summary;
}

export interface WorkflowFailedSummary {
  step: string;
  error: string;
  cause: string;
}

// --- key stages: what happens to one key, for its owner (docs/owners.md) ---------------------

/** A key's owner was sent (or, in a dry run, would be sent) a notice: cleanup acts after `acts_after`. */
export const KEY_NOTICED = 'key_noticed';
/** Cleanup made the key Inactive; it is deleted after `delete_after` unless restored. */
export const KEY_DEACTIVATED = 'key_deactivated';
/** Cleanup deleted the key (or found it gone). */
export const KEY_DELETED = 'key_deleted';
/** The key was used after its notice: it is unflagged and stays. */
export const KEY_KEPT = 'key_kept';

export const KEY_STAGE_EVENTS = [KEY_NOTICED, KEY_DEACTIVATED, KEY_DELETED, KEY_KEPT] as const;
export type KeyStageEvent = (typeof KEY_STAGE_EVENTS)[number];

export const KEY_STAGE_VERSION = 1;

/** The detail of every key stage event (version 1). Dates are ISO 8601 UTC; a stage not reached is null. */
export interface KeyStageDetail {
  version: typeof KEY_STAGE_VERSION;
  /** `noticed`, `deactivated`, `deleted` or `kept`. */
  stage: 'noticed' | 'deactivated' | 'deleted' | 'kept';
  run_id: string;
  workflow: WorkflowName;
  /** The address that answers for the key (docs/owners.md); null when none is configured. */
  owner: string | null;
  account: string;
  account_name: string;
  user_name: string;
  access_key_id: string;
  /** Why the key was flagged (the job and its reason). */
  reason: string;
  dates: {
    flagged_at: string | null;
    noticed_at: string | null;
    /** When cleanup may act on a noticed key. */
    acts_after: string | null;
    deactivated_at: string | null;
    /** When a deactivated key is deleted, unless restored. */
    delete_after: string | null;
    deleted_at: string | null;
    /** When the key was used after its notice (`kept`). */
    last_used_at: string | null;
  };
  /** True in a dry run: nothing was done and nobody was sent anything. */
  dry_run: boolean;
}

/** Every event cloudsweep publishes, mapped to its detail payload: the one type subscribers import. */
export type EventDetails = {
  pre_collect: WorkflowEventDetail<Record<string, never>>;
  collect: WorkflowEventDetail<Record<string, never>>;
  post_collect: WorkflowEventDetail<CollectSummary>;
  pre_cleanup_plan: WorkflowEventDetail<Record<string, never>>;
  cleanup_plan: WorkflowEventDetail<Record<string, never>>;
  post_cleanup_plan: WorkflowEventDetail<PlanSummary>;
  pre_cleanup: WorkflowEventDetail<Record<string, never>>;
  cleanup: WorkflowEventDetail<Record<string, never>>;
  post_cleanup: WorkflowEventDetail<CleanupSummary>;
  workflow_failed: WorkflowEventDetail<WorkflowFailedSummary>;
  cleanup_refused: WorkflowEventDetail<CleanupSummary & { refused: string }>;
} & { [E in KeyStageEvent]: KeyStageDetail };

export type CloudsweepEvent = keyof EventDetails;

/** Each event's contract version and what it says; source is always EVENT_SOURCE, detail-type the key. */
export const EVENT_CONTRACTS: { readonly [E in CloudsweepEvent]: { readonly version: number; readonly description: string } } = {
  pre_collect: { version: 1, description: 'a collect is about to start; summary {}' },
  collect: { version: 1, description: 'the collect step; summary {}' },
  post_collect: { version: 1, description: 'the collect finished; summary: the collect summary' },
  pre_cleanup_plan: { version: 1, description: 'planning is about to start; summary {}' },
  cleanup_plan: { version: 1, description: 'the plan step; summary {}' },
  post_cleanup_plan: { version: 1, description: 'what the next cleanup will do; summary: the plan' },
  pre_cleanup: { version: 1, description: 'cleanup is about to start; summary {}' },
  cleanup: { version: 1, description: 'the cleanup step; summary {}' },
  post_cleanup: { version: 1, description: 'cleanup finished; summary: the cleanup summary' },
  workflow_failed: { version: 1, description: 'a workflow failed; summary {step, error, cause}' },
  cleanup_refused: { version: 1, description: 'the circuit breaker refused the run; summary: the cleanup summary with refused' },
  key_noticed: { version: KEY_STAGE_VERSION, description: "a key's owner got a notice; cleanup acts after dates.acts_after" },
  key_deactivated: { version: KEY_STAGE_VERSION, description: 'a key was deactivated; deleted after dates.delete_after unless restored' },
  key_deleted: { version: KEY_STAGE_VERSION, description: 'a key was deleted' },
  key_kept: { version: KEY_STAGE_VERSION, description: 'a key used after its notice was unflagged and stays' },
};
