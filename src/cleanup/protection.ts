import type { InventoryNode, Metadata } from '../inventory/model';
import { describeTerms, exemptionEnded, protectTagTerms } from '../owners/exemption';

/**
 * Why a key must not be cleaned, or undefined when nothing protects it: `metadata.protected` on the
 * key or its user, or one of the protect tags (the deployed one, and fix.worker's when it names
 * another) on the user with any value but "false" (IAM access keys carry no tags of their own).
 * An exemption whose `until` has passed no longer protects (see protectTagReason for the tag).
 */
export function protectionOf(key: InventoryNode, user: InventoryNode | undefined, protectTags: readonly string[], now: Date): string | undefined {
  if (isProtected(key.metadata, now)) return `the key is protected (metadata.protected${describeTerms(metadataTerms(key.metadata))})`;
  if (user && isProtected(user.metadata, now)) return `user ${userName(user)} is protected (metadata.protected${describeTerms(metadataTerms(user.metadata))})`;
  const tags = user?.reported.tags;
  if (tags && typeof tags === 'object') {
    const reason = protectTagReason(tags as Record<string, unknown>, protectTags, user ? userName(user) : '?', now);
    if (reason) return reason;
  }
  return undefined;
}

/** `metadata.protected`, unless its `protected_until` has passed. */
export function isProtected(metadata: Metadata, now: Date): boolean {
  return metadata.protected === true && !exemptionEnded(metadata.protected_until, now);
}

function metadataTerms(metadata: Metadata): { until?: string; reason?: string } {
  return {
    ...(typeof metadata.protected_until === 'string' ? { until: metadata.protected_until } : {}),
    ...(typeof metadata.protect_reason === 'string' ? { reason: metadata.protect_reason } : {}),
  };
}

/**
 * The protect tags' verdict on a user's tags (as collected, or fresh from ListUserTags). The first
 * of `protectTags` is the deployed one, which IAM enforces on the key writes whatever its value
 * says; fix.worker's is enforced by this code alone. A value `until=DATE; reason=...` whose date
 * has passed ends the exemption: fix.worker's tag then no longer protects; the deployed one still
 * does (IAM would refuse the writes, it cannot read dates), and the reason says to remove it.
 */
export function protectTagReason(tags: Record<string, unknown>, protectTags: readonly string[], user: string, now: Date): string | undefined {
  for (const [index, protectTag] of protectTags.entries()) {
    if (!Object.prototype.hasOwnProperty.call(tags, protectTag)) continue;
    const value = tags[protectTag];
    // Only an explicit "false" lifts the protection (IAM's deny reads it the same way): an empty or odd value still protects.
    if (typeof value === 'string' && value.toLowerCase() === 'false') continue;
    const terms = typeof value === 'string' ? protectTagTerms(value) : {};
    if (exemptionEnded(terms.until, now)) {
      if (index > 0) continue;
      return `the exemption of user ${user} ended at ${terms.until}${terms.reason ? ` (${terms.reason})` : ''}, but the user still carries the protect tag ${protectTag}, which IAM enforces: remove the tag to let cleanup act`;
    }
    return terms.until === undefined ? `user ${user} carries the protect tag ${protectTag}=${String(value)}` : `user ${user} carries the protect tag ${protectTag}${describeTerms(terms)}`;
  }
  return undefined;
}

function userName(user: InventoryNode): string {
  return typeof user.reported.name === 'string' ? user.reported.name : user.id;
}
