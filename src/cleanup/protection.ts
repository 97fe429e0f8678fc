import type { InventoryNode } from '../inventory/model';

/**
 * Why a key must not be cleaned, or undefined when nothing protects it: `metadata.protected` on the
 * key or its user, or one of the protect tags (the deployed one, and fix.worker's when it names
 * another) on the user with any value but "false" (IAM access keys carry no tags of their own).
 */
export function protectionOf(key: InventoryNode, user: InventoryNode | undefined, protectTags: readonly string[]): string | undefined {
  if (key.metadata.protected === true) return 'the key is protected (metadata.protected)';
  if (user?.metadata.protected === true) return `user ${userName(user)} is protected (metadata.protected)`;
  const tags = user?.reported.tags;
  if (tags && typeof tags === 'object') {
    const reason = protectTagReason(tags as Record<string, unknown>, protectTags, user ? userName(user) : '?');
    if (reason) return reason;
  }
  return undefined;
}

/** The protect tags' verdict on a user's tags (as collected, or fresh from ListUserTags). */
export function protectTagReason(tags: Record<string, unknown>, protectTags: readonly string[], user: string): string | undefined {
  for (const protectTag of protectTags) {
    if (!Object.prototype.hasOwnProperty.call(tags, protectTag)) continue;
    const value = tags[protectTag];
    // Only an explicit "false" lifts the protection (IAM's deny reads it the same way): an empty or odd value still protects.
    if (typeof value === 'string' && value.toLowerCase() === 'false') continue;
    return `user ${user} carries the protect tag ${protectTag}=${String(value)}`;
  }
  return undefined;
}

function userName(user: InventoryNode): string {
  return typeof user.reported.name === 'string' ? user.reported.name : user.id;
}
