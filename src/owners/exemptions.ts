import type { InventoryGraph } from '../inventory/graph';
import type { InventoryNode } from '../inventory/model';
import { exemptionEnd, protectTagTerms } from './exemption';
import { OwnerSettings, ownerOf } from './owner';

/** One exemption, as `cloudsweep exemptions` lists it. */
export interface ExemptionRow {
  kind: 'aws_iam_user' | 'aws_iam_access_key';
  id: string;
  /** The user's name, or the key's id. */
  name: string;
  user_name: string;
  account: string;
  owner: string | null;
  /** `metadata.protected`, or `tag NAME` for a protect tag on the user. */
  source: string;
  reason: string | null;
  /** The end as set (a date or an instant); null when it holds until lifted. */
  until: string | null;
  /** `active`; `ended` once its end has passed (a protect tag that IAM enforces still blocks cleanup then: remove it). */
  state: 'active' | 'ended';
  /** Who set it: the caller's ARN or job id for `| protect`; for a tag, IAM does not record it. */
  set_by: string | null;
  set_at: string | null;
}

export interface ExemptionQuery {
  protectTags: readonly string[];
  owners: OwnerSettings;
  now: Date;
  /** Only exemptions that end within this many ms from now (ended ones included); all when undefined. */
  expiringWithinMs?: number;
}

/** Every exemption in the inventory: protected keys and users, and users carrying a protect tag; soonest end first. */
export function listExemptions(graph: InventoryGraph, query: ExemptionQuery): ExemptionRow[] {
  const rows: ExemptionRow[] = [];
  for (const node of graph.nodes()) {
    if (node.kind !== 'aws_iam_user' && node.kind !== 'aws_iam_access_key') continue;
    const user = node.kind === 'aws_iam_user' ? node : graph.ancestor(node.id, 'aws_iam_user');
    const account = graph.accountOf(node.id);
    const base = {
      kind: node.kind,
      id: node.id,
      name: text(node.reported.name) ?? node.id,
      user_name: text(user?.reported.name) ?? text(node.reported.user_name) ?? '',
      account: account ? (text(account.reported.name) ?? account.id) : '',
      owner:
        ownerOf({ tags: tagsOf(user), accountId: account?.id, accountName: text(account?.reported.name) }, query.owners).address ?? null,
    };
    if (node.metadata.protected === true) {
      const until = text(node.metadata.protected_until) ?? null;
      rows.push({
        ...base,
        source: 'metadata.protected',
        reason: text(node.metadata.protect_reason) ?? null,
        until,
        state: stateOf(until, query.now),
        set_by: text(node.metadata.protected_by) ?? null,
        set_at: text(node.metadata.protected_at) ?? null,
      });
    }
    if (node.kind !== 'aws_iam_user') continue;
    const tags = tagsOf(node) ?? {};
    for (const tag of query.protectTags) {
      const value = tags[tag];
      if (value === undefined || (typeof value === 'string' && value.toLowerCase() === 'false')) continue;
      const terms = typeof value === 'string' ? protectTagTerms(value) : {};
      const until = terms.until ?? null;
      rows.push({ ...base, source: `tag ${tag}`, reason: terms.reason ?? null, until, state: stateOf(until, query.now), set_by: null, set_at: null });
    }
  }
  const horizon = query.expiringWithinMs === undefined ? undefined : query.now.getTime() + query.expiringWithinMs;
  const kept = horizon === undefined ? rows : rows.filter((row) => row.until !== null && (exemptionEnd(row.until) ?? Infinity) <= horizon);
  return kept.sort((a, b) => endOf(a) - endOf(b) || a.account.localeCompare(b.account) || a.user_name.localeCompare(b.user_name) || a.id.localeCompare(b.id));
}

function stateOf(until: string | null, now: Date): 'active' | 'ended' {
  const end = until === null ? undefined : exemptionEnd(until);
  return end !== undefined && now.getTime() >= end ? 'ended' : 'active';
}

function endOf(row: ExemptionRow): number {
  return row.until === null ? Infinity : (exemptionEnd(row.until) ?? Infinity);
}

function tagsOf(user: InventoryNode | undefined): Record<string, unknown> | undefined {
  const tags = user?.reported.tags;
  return typeof tags === 'object' && tags !== null ? (tags as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
