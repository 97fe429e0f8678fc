import type { InventoryNode } from '../inventory/model';

/**
 * Why a key must not be cleaned, or undefined when nothing protects it: `metadata.protected` on the
 * key or its user, or the protect tag on the user with any value but "false" (IAM access keys carry
 * no tags of their own).
 */
export function protectionOf(key: InventoryNode, user: InventoryNode | undefined, protectTag: string): string | undefined {
  if (key.metadata.protected === true) return 'the key is protected (metadata.protected)';
  if (user?.metadata.protected === true) return `user ${userName(user)} is protected (metadata.protected)`;
  const tags = user?.reported.tags;
  if (tags && typeof tags === 'object') {
    const reason = protectTagReason(tags as Record<string, unknown>, protectTag, user ? userName(user) : '?');
    if (reason) return reason;
  }
  return undefined;
}

/** The protect tag's verdict on a user's tags (as collected, or fresh from ListUserTags). */
export function protectTagReason(tags: Record<string, unknown>, protectTag: string, user: string): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(tags, protectTag)) return undefined;
  const value = tags[protectTag];
  // Only an explicit "false" lifts the protection: an empty or odd value still protects.
  if (typeof value === 'string' && value.trim().toLowerCase() === 'false') return undefined;
  return `user ${user} carries the protect tag ${protectTag}=${String(value)}`;
}

function userName(user: InventoryNode): string {
  return typeof user.reported.name === 'string' ? user.reported.name : user.id;
}
