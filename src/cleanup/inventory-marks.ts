import type { Metadata } from '../inventory/model';
import type { NodeUpdate } from '../inventory/store';
import type { FlaggedKey } from './candidates';

/**
 * The inventory changes cleanup makes, as whole NodeUpdates (pure). A cleaned key stays in the
 * inventory marked `metadata.cleaned` until the next collect drops it, so it is never retried;
 * searches leave it out meanwhile (src/inventory/cleaned.ts).
 */
export function markCleaned(key: FlaggedKey, accountId: string, runId: string, at: string, result: string): NodeUpdate {
  return { id: key.accessKeyId, accountId, metadata: { ...key.node.metadata, cleaned: true, cleaned_at: at, cleaned_by: runId, cleanup_result: result } };
}

export function markDeactivated(key: FlaggedKey, accountId: string, runId: string, at: string): NodeUpdate {
  return { id: key.accessKeyId, accountId, metadata: { ...key.node.metadata, deactivated_at: at, deactivated_by: runId } };
}

/** The flag is withdrawn (used or reactivated since): the key is no longer a candidate. */
export function unflag(key: FlaggedKey, accountId: string, at: string, reason: string): NodeUpdate {
  const metadata: Metadata = { ...key.node.metadata, unflagged_at: at, unflag_reason: reason };
  for (const field of ['flagged_by', 'flagged_at', 'clean_reason', 'deactivated_at', 'deactivated_by']) delete metadata[field];
  return { id: key.accessKeyId, accountId, metadata, desired: { ...key.node.desired, clean: false } };
}

/** Applies an update to the node held in memory too, so this run's later reads see it. */
export function applyLocally(key: FlaggedKey, update: NodeUpdate): void {
  if (update.metadata) key.node.metadata = { ...update.metadata };
  if (update.desired) key.node.desired = { ...update.desired };
}
