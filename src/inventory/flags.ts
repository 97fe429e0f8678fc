import { NOTICE_FIELDS } from '../owners/notices';
import type { InventoryGraph } from './graph';
import type { InventoryNode, Metadata } from './model';
import type { NodeUpdate } from './store';

/**
 * `clean`, `unclean`, `protect` and `unprotect` as data: each turns nodes into the NodeUpdates a store
 * writes. Pure and idempotent: a node already in the wanted state yields no update, so a job that
 * flags the same key every hour keeps its first `flagged_at`.
 */

/** The account id of a node, for NodeUpdate.accountId (the store partitions by account). */
export type AccountResolver = (node: InventoryNode) => string;

/**
 * `flagged_by` of a key flagged by a user's own `search ... | clean`: not a job, so its audit
 * entries say `job_id: null`; no job may take this id.
 */
export const INTERACTIVE_FLAGGER = 'cli';

export interface FlagOptions {
  /** Who flagged: a job id, or INTERACTIVE_FLAGGER for a user at the CLI. */
  flaggedBy: string;
  /** ISO 8601 time of the flagging. */
  at: string;
  reason?: string;
  accountOf: AccountResolver;
}

/** Sets `desired.clean` with `flagged_by`, `flagged_at` and `clean_reason` on nodes not yet flagged. */
export function flagForCleanup(nodes: Iterable<InventoryNode>, options: FlagOptions): NodeUpdate[] {
  const updates: NodeUpdate[] = [];
  for (const node of nodes) {
    if (node.desired.clean === true) continue;
    const metadata = withoutReason(node.metadata);
    updates.push({
      id: node.id,
      accountId: options.accountOf(node),
      metadata: {
        ...metadata,
        flagged_by: options.flaggedBy,
        flagged_at: options.at,
        ...(options.reason === undefined ? {} : { clean_reason: options.reason }),
      },
      desired: { ...node.desired, clean: true },
    });
  }
  return updates;
}

/** The metadata without a previous flag's reason (a copy: the node itself is not changed). */
function withoutReason(metadata: Metadata): Metadata {
  if (!('clean_reason' in metadata)) return metadata;
  const { clean_reason: _previous, ...rest } = metadata;
  return rest;
}

/**
 * `unclean`: clears `desired.clean` and the flag's metadata (`flagged_by`, `flagged_at`,
 * `clean_reason`, and a grace period's `deactivated_at`/`deactivated_by`, as cleanup does when it
 * withdraws a flag) on flagged nodes, so a later flag starts over. Who undid it and why is kept in
 * the audit table, not on the node.
 */
export function unflag(nodes: Iterable<InventoryNode>, options: { accountOf: AccountResolver }): NodeUpdate[] {
  const updates: NodeUpdate[] = [];
  for (const node of nodes) {
    if (node.desired.clean !== true) continue;
    const metadata: Metadata = { ...node.metadata };
    for (const field of FLAG_FIELDS) delete metadata[field];
    const { clean: _clean, ...desired } = node.desired;
    updates.push({ id: node.id, accountId: options.accountOf(node), metadata, desired });
  }
  return updates;
}

const FLAG_FIELDS = ['flagged_by', 'flagged_at', 'clean_reason', 'deactivated_at', 'deactivated_by', ...NOTICE_FIELDS] as const;

export interface ProtectOptions {
  accountOf: AccountResolver;
  /** The end of the exemption (a date or ISO instant); without it, it holds until unprotected. */
  until?: string;
  reason?: string;
  /** Who set it (the caller's ARN at the CLI, the job's id in a job) and when: shown by `cloudsweep exemptions`. */
  by?: string;
  at?: string;
}

/** The metadata fields of an exemption besides `protected` itself. */
const EXEMPTION_FIELDS = ['protected_until', 'protect_reason', 'protected_by', 'protected_at'] as const;

/**
 * Sets `metadata.protected` with the exemption's end, reason, author and time: cleanup never
 * touches a protected key, or any key of a protected user, until the end. A node already protected
 * on the same terms is left alone; other terms replace the old ones (a plain `protect` removes an end).
 */
export function protect(nodes: Iterable<InventoryNode>, options: ProtectOptions): NodeUpdate[] {
  const updates: NodeUpdate[] = [];
  for (const node of nodes) {
    const until = longerEnd(node.metadata, options.until);
    const same = node.metadata.protected === true && node.metadata.protected_until === until && node.metadata.protect_reason === options.reason;
    if (same) continue;
    const metadata: Metadata = { ...node.metadata, protected: true };
    for (const field of EXEMPTION_FIELDS) delete metadata[field];
    if (until !== undefined) metadata.protected_until = until;
    if (options.reason !== undefined) metadata.protect_reason = options.reason;
    if (options.by !== undefined) metadata.protected_by = options.by;
    if (options.at !== undefined) metadata.protected_at = options.at;
    updates.push({ id: node.id, accountId: options.accountOf(node), metadata });
  }
  return updates;
}

/**
 * A protect extends a protection, never shortens it: `protect --until` over a protection without an
 * end, or with a later end, keeps the longer one, so a stored job (which may not unprotect) cannot
 * end a protection by setting a date in the past. Shortening is `unprotect`, then `protect`, at the CLI.
 */
function longerEnd(current: Metadata, until: string | undefined): string | undefined {
  if (until === undefined || current.protected !== true) return until;
  const existing = current.protected_until;
  if (typeof existing !== 'string') return undefined;
  return Date.parse(existing) > Date.parse(until) ? existing : until;
}

/** Clears `metadata.protected` and the exemption's terms. */
export function unprotect(nodes: Iterable<InventoryNode>, options: { accountOf: AccountResolver }): NodeUpdate[] {
  const updates: NodeUpdate[] = [];
  for (const node of nodes) {
    if (node.metadata.protected !== true) continue;
    const metadata: Metadata = { ...node.metadata, protected: false };
    for (const field of EXEMPTION_FIELDS) delete metadata[field];
    updates.push({ id: node.id, accountId: options.accountOf(node), metadata });
  }
  return updates;
}

/**
 * Resolves account ids through the graph (`accountOf`): an account is its own, a user or key has
 * its ancestor's. The walk goes over the graph's ordinals (two steps from a key), so 150,000 keys
 * cost an id lookup each and no allocation.
 */
export function accountResolver(graph: InventoryGraph): AccountResolver {
  // A node outside any account (not produced by collect) is its own partition.
  return (node) => graph.accountOf(node.id)?.id ?? node.id;
}
