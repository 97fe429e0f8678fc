/**
 * The inventory model (SPEC section 2): a directed graph `account --> user --> access_key`.
 * Nodes carry what AWS reported, cloudsweep's own metadata, and the desired state set by `clean`.
 */

export const KINDS = {
  aws_account: ['account', 'resource'],
  aws_iam_user: ['user', 'resource'],
  aws_iam_access_key: ['access_key', 'resource'],
} as const;

export type Kind = keyof typeof KINDS;

/** Every name `is(...)` accepts: the concrete kinds and the kinds they are. */
export const ALL_KIND_NAMES: readonly string[] = [
  ...new Set([...Object.keys(KINDS), ...Object.values(KINDS).flat()]),
].sort();

export function isKind(value: string): value is Kind {
  return Object.prototype.hasOwnProperty.call(KINDS, value);
}

/** True when a node of `kind` is an instance of `name` (`aws_iam_user` is a `user` and a `resource`). */
export function kindIsA(kind: Kind, name: string): boolean {
  return kind === name || (KINDS[kind] as readonly string[]).includes(name);
}

export interface AccountReported {
  id: string;
  name: string;
}

export interface UserReported {
  id: string;
  name: string;
  arn: string;
  path: string;
  ctime: string;
  atime: string | null;
  tags: Record<string, string>;
  password_enabled: boolean;
  mfa_active: boolean;
}

export interface AccessKeyLastUsed {
  last_used: string | null;
  service_name: string | null;
  region: string | null;
}

export interface AccessKeyReported {
  id: string;
  name: string;
  user_name: string;
  ctime: string;
  atime: string | null;
  access_key_status: 'Active' | 'Inactive';
  access_key_last_used: AccessKeyLastUsed;
}

/** cloudsweep's own bookkeeping on a node; survives re-collects. */
export interface Metadata {
  protected?: boolean;
  cleaned?: boolean;
  flagged_by?: string;
  flagged_at?: string;
  clean_reason?: string;
  deactivated_at?: string;
  [key: string]: unknown;
}

export interface Desired {
  clean?: boolean;
  [key: string]: unknown;
}

export interface InventoryNode {
  /** Account id, IAM UserId or AccessKeyId: unique across the inventory. */
  id: string;
  kind: Kind;
  reported: Record<string, unknown>;
  metadata: Metadata;
  desired: Desired;
}

export interface Edge {
  from: string;
  to: string;
}

export function accountNode(reported: AccountReported): InventoryNode {
  return { id: reported.id, kind: 'aws_account', reported: { ...reported }, metadata: {}, desired: {} };
}

export function userNode(reported: UserReported): InventoryNode {
  return { id: reported.id, kind: 'aws_iam_user', reported: { ...reported }, metadata: {}, desired: {} };
}

export function accessKeyNode(reported: AccessKeyReported): InventoryNode {
  return { id: reported.id, kind: 'aws_iam_access_key', reported: { ...reported }, metadata: {}, desired: {} };
}
