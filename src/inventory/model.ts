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

/**
 * What each kind reports, as a closed model: a search may name only these properties (after
 * `tags.` anything goes), and a snapshot or stored node must hold values of these types.
 * `datetime` is an ISO 8601 string; a trailing `?` allows null; `tags` is an object of strings
 * whose keys are free; a nested object lists its own fields.
 */
export type FieldType = 'string' | 'boolean' | 'datetime' | 'string?' | 'datetime?' | 'tags' | FieldTypes;
export interface FieldTypes {
  readonly [key: string]: FieldType;
}

export const REPORTED_FIELDS: Readonly<Record<Kind, FieldTypes>> = {
  aws_account: { id: 'string', name: 'string' },
  aws_iam_user: {
    id: 'string',
    name: 'string',
    arn: 'string',
    path: 'string',
    ctime: 'datetime',
    atime: 'datetime?',
    tags: 'tags',
    password_enabled: 'boolean',
    mfa_active: 'boolean',
  },
  aws_iam_access_key: {
    id: 'string',
    name: 'string',
    user_name: 'string',
    ctime: 'datetime',
    atime: 'datetime?',
    access_key_status: 'string',
    access_key_last_used: { last_used: 'datetime?', service_name: 'string?', region: 'string?' },
  },
};

/**
 * cloudsweep's own bookkeeping, the same for every kind. Code that records a new key in
 * `metadata` or `desired` adds it here, so that searches may name it.
 */
export const METADATA_FIELDS: FieldTypes = {
  protected: 'boolean',
  protected_until: 'datetime',
  protect_reason: 'string',
  protected_by: 'string',
  protected_at: 'datetime',
  restored_at: 'datetime',
  restored_by: 'string',
  cleaned: 'boolean',
  cleaned_at: 'datetime',
  cleaned_by: 'string',
  cleanup_result: 'string',
  flagged_by: 'string',
  flagged_at: 'datetime',
  clean_reason: 'string',
  deactivated_at: 'datetime',
  deactivated_by: 'string',
};

export const DESIRED_FIELDS: FieldTypes = { clean: 'boolean' };

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
