import { effectiveSettings } from '../config/account-overrides';
import type { FixWorkerConfig } from '../config/fix-worker';
import { INTERACTIVE_FLAGGER } from '../inventory/flags';
import type { InventoryGraph } from '../inventory/graph';
import type { InventoryNode } from '../inventory/model';
import { protectionOf } from './protection';

/** A key flagged for cleanup (`desired.clean == true`, not yet cleaned), with where it lives. */
export interface FlaggedKey {
  node: InventoryNode;
  user: InventoryNode | undefined;
  accessKeyId: string;
  userName: string;
  /** Undefined when the inventory has no account above the key: such a key is never acted on. */
  accountId: string | undefined;
  accountName: string | undefined;
  /** The job that flagged it (`metadata.flagged_by`); null for a user's own search, or unknown. */
  jobId: string | null;
  /** Flagged by a user's own `search ... | clean`, not by a job. */
  flaggedInteractively: boolean;
}

export interface CleanupSelection {
  flagged: FlaggedKey[];
  protected: { key: FlaggedKey; reason: string }[];
  /** Deactivated by cloudsweep and still inside `deactivate_grace`: nothing to do this run. */
  waiting: { key: FlaggedKey; until: string }[];
  /** What this run verifies and acts on. */
  candidates: FlaggedKey[];
  /** All keys in the inventory that are not cleaned: the base of `max_cleanup_percent`. */
  keysInScope: number;
  /** The same, per account id (for accounts with their own breaker limits). */
  keysInScopeByAccount: Map<string, number>;
}

/** SPEC section 7 step 1, from the inventory alone: who is flagged, protected, waiting, or a candidate. */
export function selectCandidates(
  graph: InventoryGraph,
  protectTags: readonly string[],
  graceMs: number | ((key: FlaggedKey) => number),
  now: Date,
): CleanupSelection {
  const selection: CleanupSelection = { flagged: [], protected: [], waiting: [], candidates: [], keysInScope: 0, keysInScopeByAccount: new Map() };
  for (const node of graph.nodes()) {
    if (node.kind !== 'aws_iam_access_key' || node.metadata.cleaned === true) continue;
    selection.keysInScope += 1;
    const accountId = graph.accountOf(node.id)?.id;
    if (accountId !== undefined) selection.keysInScopeByAccount.set(accountId, (selection.keysInScopeByAccount.get(accountId) ?? 0) + 1);
    if (node.desired.clean !== true) continue;
    const key = flaggedKey(graph, node);
    selection.flagged.push(key);
    const protection = protectionOf(node, key.user, protectTags, now);
    if (protection) {
      selection.protected.push({ key, reason: protection });
      continue;
    }
    const until = graceEnd(node, typeof graceMs === 'number' ? graceMs : graceMs(key));
    if (until !== undefined && until > now.getTime()) {
      selection.waiting.push({ key, until: new Date(until).toISOString() });
      continue;
    }
    selection.candidates.push(key);
  }
  const order = (a: FlaggedKey, b: FlaggedKey) =>
    (a.accountId ?? '').localeCompare(b.accountId ?? '') || a.userName.localeCompare(b.userName) || a.accessKeyId.localeCompare(b.accessKeyId);
  selection.flagged.sort(order);
  selection.candidates.sort(order);
  selection.protected.sort((a, b) => order(a.key, b.key));
  selection.waiting.sort((a, b) => order(a.key, b.key));
  return selection;
}

export function flaggedKey(graph: InventoryGraph, node: InventoryNode): FlaggedKey {
  const user = graph.ancestor(node.id, 'aws_iam_user');
  const account = graph.accountOf(node.id);
  const reportedUser = node.reported.user_name;
  const flaggedBy = typeof node.metadata.flagged_by === 'string' ? node.metadata.flagged_by : undefined;
  const interactive = flaggedBy === INTERACTIVE_FLAGGER;
  return {
    node,
    user,
    accessKeyId: node.id,
    userName: typeof reportedUser === 'string' ? reportedUser : typeof user?.reported.name === 'string' ? user.reported.name : '',
    accountId: account?.id,
    accountName: account && typeof account.reported.name === 'string' ? account.reported.name : account?.id,
    jobId: interactive ? null : (flaggedBy ?? null),
    flaggedInteractively: interactive,
  };
}

/** When a key cloudsweep deactivated may be deleted (epoch ms), or undefined when it has no deactivation. */
export function graceEnd(node: InventoryNode, graceMs: number): number | undefined {
  if (graceMs <= 0 || typeof node.metadata.deactivated_at !== 'string') return undefined;
  const at = Date.parse(node.metadata.deactivated_at);
  return Number.isNaN(at) ? undefined : at + graceMs;
}

/**
 * The selection without the keys of accounts where cleanup is off (fix.worker `accounts`): nothing
 * there is touched or audited, as under `cleanup: false`. `notEnabled` counts their flagged keys.
 */
export function onlyEnabledAccounts(selection: CleanupSelection, config: Pick<FixWorkerConfig, 'fixworker' | 'accounts'>): { kept: CleanupSelection; notEnabled: number } {
  const enabled = (key: FlaggedKey) => effectiveSettings(config, key.accountId, key.accountName).cleanup;
  const kept: CleanupSelection = {
    ...selection,
    protected: selection.protected.filter(({ key }) => enabled(key)),
    waiting: selection.waiting.filter(({ key }) => enabled(key)),
    candidates: selection.candidates.filter(enabled),
  };
  const notEnabled = selection.protected.length + selection.waiting.length + selection.candidates.length - (kept.protected.length + kept.waiting.length + kept.candidates.length);
  return { kept, notEnabled };
}
